#include "api/static_assets.h"

#include <memory>
#include <string_view>
#include <unordered_map>

#include <boost/beast/http/field.hpp>

#include "api/embedded_files.h"
#include "api/errors.h"
#include "common/crypto.h"

namespace flashsale::api {

namespace http = boost::beast::http;

namespace {

// HTML is revalidated often, so a new release reaches buyers within a minute; a CDN still
// absorbs the refresh storm before a sale. Assets change with the release too (their names
// carry no hash), so they get a few minutes.
constexpr std::string_view kPageCacheControl = "public, max-age=60";
constexpr std::string_view kAssetCacheControl = "public, max-age=300";
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; connect-src 'self' ws: wss:; worker-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

struct StaticFile {
    std::string_view body;
    std::string etag;
    std::string_view content_type;
    std::string_view cache_control;
};

std::string_view content_type_of(std::string_view path) {
    auto ends_with = [&](std::string_view suffix) { return path.ends_with(suffix); };
    if (ends_with(".html")) return "text/html; charset=utf-8";
    if (ends_with(".js") || ends_with(".mjs")) return "text/javascript; charset=utf-8";
    if (ends_with(".css")) return "text/css; charset=utf-8";
    if (ends_with(".svg")) return "image/svg+xml";
    if (ends_with(".png")) return "image/png";
    if (ends_with(".json")) return "application/json";
    return "application/octet-stream";
}

// A strong validator from the content itself: the same bytes give the same ETag on every node.
std::string etag_of(std::string_view body) {
    constexpr char kDigits[] = "0123456789abcdef";
    const std::string digest = sha256(body);
    std::string etag = "\"";
    for (std::size_t i = 0; i < 16; ++i) {
        const auto byte = static_cast<unsigned char>(digest[i]);
        etag += kDigits[byte >> 4];
        etag += kDigits[byte & 0xf];
    }
    return etag + "\"";
}

using FileTable = std::unordered_map<std::string_view, StaticFile>;

std::shared_ptr<const FileTable> load_files() {
    auto files = std::make_shared<FileTable>();
    for (const auto* file = kEmbeddedFiles; file->path != nullptr; ++file) {
        std::string_view path(file->path);
        std::string_view body(reinterpret_cast<const char*>(file->data), file->size);
        const bool page = path.ends_with(".html");
        (*files)[path] = StaticFile{body, etag_of(body), content_type_of(path),
                                    page ? kPageCacheControl : kAssetCacheControl};
    }
    return files;
}

bool matches_etag(std::string_view if_none_match, std::string_view etag) {
    if (if_none_match == "*") return true;
    // A list of validators, possibly weak ("W/"): any one equal to ours matches.
    return if_none_match.find(etag) != std::string_view::npos;
}

net::Response serve(const StaticFile& file, const net::Request& request) {
    net::Response response;
    const bool unchanged = matches_etag(request[http::field::if_none_match], file.etag);
    response.result(unchanged ? http::status::not_modified : http::status::ok);
    response.set(http::field::etag, file.etag);
    response.set(http::field::cache_control, file.cache_control);
    response.set("X-Content-Type-Options", "nosniff");
    if (file.content_type.starts_with("text/html")) {
        response.set("Content-Security-Policy", kContentSecurityPolicy);
    }
    if (!unchanged) {
        response.set(http::field::content_type, file.content_type);
        response.body() = std::string(file.body);
    }
    return response;
}

boost::asio::awaitable<net::Response> serve_path(std::shared_ptr<const FileTable> files,
                                                 std::string path, net::RequestContext request) {
    auto found = files->find(path);
    if (found == files->end()) co_return error_response(Errc::kNotFound, "no such file");
    co_return serve(found->second, request.request);
}

// Routes that always answer with one file (the pages).
struct PageRoute {
    const char* pattern;
    const char* file;
};
constexpr PageRoute kPages[] = {
    {"/", "index.html"}, {"/sale/{id}", "index.html"}, {"/admin", "admin.html"}};
constexpr const char* kAssetPattern = "/assets/{name}";

}  // namespace

void add_static_routes(net::Router& router) {
    auto files = load_files();
    for (const auto& page : kPages) {
        std::string file = page.file;
        router.add(http::verb::get, page.pattern, [files, file](net::RequestContext request) {
            return serve_path(files, file, std::move(request));
        });
    }
    router.add(http::verb::get, kAssetPattern, [files](net::RequestContext request) {
        std::string path = "assets/" + std::string(request.params.get("name"));
        return serve_path(files, std::move(path), std::move(request));
    });
}

std::vector<std::string_view> static_route_patterns() {
    std::vector<std::string_view> patterns;
    for (const auto& page : kPages) patterns.emplace_back(page.pattern);
    patterns.emplace_back(kAssetPattern);
    return patterns;
}

}  // namespace flashsale::api
