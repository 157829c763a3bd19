#include "app/cli.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/config.h"
#include "app/secrets.h"
#include "app/server.h"
#include "app/tools.h"
#include "common/jwt.h"

extern char** environ;

namespace flashsale::app {

namespace {

// Flags shared by every subcommand that needs the configuration.
struct ConfigFlags {
    std::string config_file, listen, data_dir, log_level;
    int workers = -1;

    void add_to(CLI::App& command, bool server_flags) {
        command.add_option("--config", config_file, "TOML configuration file");
        command.add_option("--data-dir", data_dir, "Directory of the database and secrets");
        if (!server_flags) return;
        command.add_option("--listen", listen, "HOST:PORT to listen on");
        command.add_option("--workers", workers, "Worker threads (0: one per core)");
        command.add_option("--log-level", log_level, "trace|debug|info|warn|error|critical|off");
    }

    // The configuration with its secrets resolved (generated and kept in the data dir if absent).
    Config load() const {
        Config config = load_unresolved();
        resolve_secrets(config);
        return config;
    }

    Config load_unresolved() const {
        ConfigSources sources;
        if (!config_file.empty()) sources.file = config_file;
        sources.environment = environment_from(environ);
        if (!listen.empty()) sources.overrides.emplace_back("server.listen", listen);
        if (workers >= 0) sources.overrides.emplace_back("server.workers", std::to_string(workers));
        if (!data_dir.empty()) sources.overrides.emplace_back("storage.data_dir", data_dir);
        if (!log_level.empty()) sources.overrides.emplace_back("log.level", log_level);
        return load_config(sources);
    }
};

void set_up_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("flashsale");
    logger->set_level(spdlog::level::from_str(level));
    spdlog::set_default_logger(logger);
}

}  // namespace

int run_cli(int argc, char** argv) {
    CLI::App app{"flashsale: a flash-sale backend that never oversells"};
    app.set_version_flag("--version", std::string("flashsale ") + FLASHSALE_VERSION);
    app.require_subcommand(1);

    ConfigFlags serve_flags;
    bool demo_sale = false;
    auto* serve_command = app.add_subcommand("serve", "Run the server");
    serve_flags.add_to(*serve_command, true);
    serve_command->add_flag("--demo-sale", demo_sale,
                            "Create a demo sale that opens a minute after start");
    serve_command->footer("Settings (TOML key, environment variable, default):\n" +
                          config_help());

    ConfigFlags mint_flags;
    std::string user;
    int ttl_s = 3600;
    auto* mint_command = app.add_subcommand("mint-token", "Print a buyer's JWT (HS256)");
    mint_flags.add_to(*mint_command, false);
    mint_command->add_option("--user", user, "User id (the token's sub)")->required();
    mint_command->add_option("--ttl-s", ttl_s, "Seconds until the token expires")
        ->check(CLI::Range(1, 31'536'000));

    ConfigFlags verify_flags;
    std::string verify_sale;
    auto* verify = app.add_subcommand("verify", "Check invariants I1-I6 against the stores");
    verify_flags.add_to(*verify, false);
    verify->add_option("--sale", verify_sale, "Check only this sale");

    // Operator tools of the production backends; each reads the same configuration as serve.
    ConfigFlags tool_flags;
    auto* migrate = app.add_subcommand("migrate", "Apply the PostgreSQL schema migrations");
    auto* reconcile = app.add_subcommand(
        "reconcile", "Compare Redis with PostgreSQL; rebuild sales Redis lost or is behind on");
    auto* consume = app.add_subcommand(
        "consume", "Run only the order pipeline (Redis streams -> PostgreSQL) until SIGTERM");
    for (auto* tool : {migrate, reconcile, consume}) tool_flags.add_to(*tool, false);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error) == 0 ? 0 : kExitError;
    }

    try {
        if (*serve_command) {
            Config config = serve_flags.load_unresolved();
            // A token the operator set is theirs to know; one kept in the data dir is shown.
            bool show_admin_token = config.auth.admin_token.empty();
            resolve_secrets(config);
            set_up_logging(config.log.level);
            return serve({config, demo_sale, show_admin_token});
        }
        if (*mint_command) {
            Config config = mint_flags.load();
            auto now = SystemClock{}.now();
            std::cout << mint_jwt(config.auth.jwt_secret, user, now,
                                  now + std::chrono::seconds(ttl_s))
                      << "\n";
            return 0;
        }
        if (*verify) {
            return verify_command(verify_flags.load_unresolved(),
                                  verify_sale.empty() ? std::nullopt : std::optional(verify_sale));
        }
        Config config = tool_flags.load_unresolved();
        set_up_logging(config.log.level);
        if (*migrate) return migrate_command(config);
        if (*reconcile) return reconcile_command(config);
        return consume_command(config);
    } catch (const ConfigError& error) {
        std::fprintf(stderr, "flashsale: configuration error: %s\n", error.what());
    } catch (const std::exception& error) {
        std::fprintf(stderr, "flashsale: %s\n", error.what());
    }
    return kExitError;
}

}  // namespace flashsale::app
