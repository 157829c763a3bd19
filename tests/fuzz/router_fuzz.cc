// Fuzzes route matching with the shape of the real route table: any request target, no crash,
// and a match always carries a handler and the parameters its pattern names.
#include <cstdint>
#include <string_view>

#include "common/check.h"
#include "net/router.h"

namespace {

flashsale::net::Router make_router() {
    namespace http = boost::beast::http;
    flashsale::net::Router router;
    // Never called; not a coroutine, so that clang's coverage build can take this file.
    flashsale::net::Handler none = [](flashsale::net::RequestContext) {
        return boost::asio::awaitable<flashsale::net::Response>{};
    };
    for (const char* pattern : {"/healthz", "/api/v1/admin/sales", "/api/v1/admin/sales/{id}",
                                "/api/v1/admin/sales/{id}/stats", "/api/v1/sales/{id}",
                                "/api/v1/sales/{id}/purchase", "/api/v1/orders/{id}/pay"}) {
        router.add(http::verb::post, pattern, none);
    }
    return router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const flashsale::net::Router router = make_router();
    std::string_view target(reinterpret_cast<const char*>(data), size);
    auto match = router.match(boost::beast::http::verb::post, target);
    if (match.outcome == flashsale::net::RouteMatch::Outcome::kFound) {
        FS_CHECK(match.handler != nullptr);
        if (match.pattern.find("{id}") != std::string_view::npos) {
            FS_CHECK(!match.params.get("id").empty() || match.params.values.size() == 1);
        }
    }
    return 0;
}
