// The flashsale command line as the tests run it: see flashsale_cli.h.
#include "support/flashsale_cli.h"

#include "support/backend.h"
#include "support/server_process.h"

namespace flashsale::testing {

CommandResult run_flashsale(std::vector<std::string> args, const EnvOverrides& env,
                            std::chrono::milliseconds timeout) {
    args.insert(args.begin(), flashsale_binary());
    EnvOverrides all{{"FLASHSALE_ADMIN_TOKEN", kAdminToken}, {"FLASHSALE_JWT_SECRET", kJwtSecret}};
    const EnvOverrides& backend = current_backend_env();
    all.insert(all.end(), backend.begin(), backend.end());
    all.insert(all.end(), env.begin(), env.end());
    return run_command(std::move(args), all, timeout);
}

CommandResult run_verify(const std::filesystem::path& data_dir,
                         const std::optional<std::string>& sale_id) {
    std::vector<std::string> args{"verify", "--data-dir", data_dir.string()};
    if (sale_id) {
        args.push_back("--sale");
        args.push_back(*sale_id);
    }
    // Longer than the reconciler's 30 s drain deadline, so that a stream that does not drain
    // fails with verify's own message instead of a killed verify.
    return run_flashsale(std::move(args), {}, std::chrono::seconds(60));
}

::testing::AssertionResult verify_is_clean(const std::filesystem::path& data_dir,
                                           const std::optional<std::string>& sale_id) {
    const CommandResult result = run_verify(data_dir, sale_id);
    if (result.status.clean()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "flashsale verify --data-dir " << data_dir.string()
           << (sale_id ? " --sale " + *sale_id : std::string()) << ": " << result.describe();
}

}  // namespace flashsale::testing
