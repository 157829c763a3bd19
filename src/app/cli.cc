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
#include "common/jwt.h"
#include "orders/sqlite_order_store.h"

extern char** environ;

namespace flashsale::app {

namespace {

constexpr int kExitViolations = 1;
constexpr int kExitError = 2;

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

int verify_command(const std::string& data_dir, const std::string& sale_id) {
    auto file = std::filesystem::path(data_dir) / "flashsale.db";
    if (!std::filesystem::exists(file)) {
        std::fprintf(stderr, "verify: no database at %s\n", file.c_str());
        return kExitError;
    }
    orders::SqliteOrderStore store(file, /*read_only=*/true);
    auto violations = store.verify(sale_id.empty() ? std::nullopt : std::optional(sale_id));
    for (const auto& violation : violations) {
        std::printf("%s sale=%s: %s\n", violation.invariant.c_str(), violation.sale_id.c_str(),
                    violation.detail.c_str());
    }
    if (!violations.empty()) return kExitViolations;
    std::printf("verify: clean (I1-I6 hold%s)\n",
                sale_id.empty() ? "" : (" for sale " + sale_id).c_str());
    return 0;
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

    std::string verify_dir, verify_sale;
    auto* verify = app.add_subcommand("verify", "Check invariants I1-I6 against the store");
    verify->add_option("--data-dir", verify_dir, "Directory of the database")->required();
    verify->add_option("--sale", verify_sale, "Check only this sale");

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
        return verify_command(verify_dir, verify_sale);
    } catch (const ConfigError& error) {
        std::fprintf(stderr, "flashsale: configuration error: %s\n", error.what());
    } catch (const std::exception& error) {
        std::fprintf(stderr, "flashsale: %s\n", error.what());
    }
    return kExitError;
}

}  // namespace flashsale::app
