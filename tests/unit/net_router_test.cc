#include "net/router.h"

#include <cctype>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace flashsale::net {
namespace {

using boost::beast::http::verb;
using Outcome = RouteMatch::Outcome;

boost::asio::awaitable<Response> noop(RequestContext) { co_return Response{}; }

Router make_router() {
    Router router;
    router.add(verb::get, "/", noop);
    router.add(verb::get, "/api/v1/sales/{id}", noop);
    router.add(verb::get, "/api/v1/sales/active", noop);
    router.add(verb::post, "/api/v1/sales/{id}/purchase", noop);
    router.add(verb::delete_, "/api/v1/sales/{id}/purchase", noop);
    router.add(verb::get, "/a/{x}/c", noop);
    router.add(verb::get, "/a/b/{y}", noop);
    return router;
}

TEST(NetRouter, LiteralSegmentWinsOverCaptureWhateverTheOrderOfAdding) {
    const Router router = make_router();
    const auto literal = router.match(verb::get, "/api/v1/sales/active");
    ASSERT_EQ(literal.outcome, Outcome::kFound);
    EXPECT_EQ(literal.pattern, "/api/v1/sales/active");
    EXPECT_TRUE(literal.params.values.empty());

    const auto captured = router.match(verb::get, "/api/v1/sales/42");
    ASSERT_EQ(captured.outcome, Outcome::kFound);
    EXPECT_EQ(captured.pattern, "/api/v1/sales/{id}");
    EXPECT_EQ(captured.params.get("id"), "42");
    ASSERT_NE(captured.handler, nullptr);
    EXPECT_TRUE(static_cast<bool>(*captured.handler));
}

TEST(NetRouter, FirstDifferingSegmentDecidesBetweenTwoCaptures) {
    const Router router = make_router();
    const auto match = router.match(verb::get, "/a/b/c");
    ASSERT_EQ(match.outcome, Outcome::kFound);
    EXPECT_EQ(match.pattern, "/a/b/{y}");
    EXPECT_EQ(match.params.get("y"), "c");
    EXPECT_EQ(router.match(verb::get, "/a/z/c").pattern, "/a/{x}/c");
}

TEST(NetRouter, CapturesArePercentDecoded) {
    const Router router = make_router();
    const auto match = router.match(verb::post, "/api/v1/sales/a%20b%2Fc/purchase");
    ASSERT_EQ(match.outcome, Outcome::kFound);
    EXPECT_EQ(match.params.get("id"), "a b/c");
    // A literal segment matches its encoded spelling too.
    EXPECT_EQ(router.match(verb::get, "/api/v1/sales/%61ctive").pattern, "/api/v1/sales/active");
}

TEST(NetRouter, QueryStringIsIgnored) {
    const Router router = make_router();
    const auto match = router.match(verb::get, "/api/v1/sales/7?x=1&id=9");
    ASSERT_EQ(match.outcome, Outcome::kFound);
    EXPECT_EQ(match.pattern, "/api/v1/sales/{id}");
    EXPECT_EQ(match.params.get("id"), "7");
    EXPECT_EQ(router.match(verb::get, "/?q=1").outcome, Outcome::kFound);
}

TEST(NetRouter, UnknownPathIsNotFound) {
    const Router router = make_router();
    EXPECT_EQ(router.match(verb::get, "/nope").outcome, Outcome::kNotFound);
    EXPECT_EQ(router.match(verb::get, "/api/v1/sales").outcome, Outcome::kNotFound);
    EXPECT_EQ(router.match(verb::get, "/api/v1/sales/1/2/3").outcome, Outcome::kNotFound);
    EXPECT_EQ(router.match(verb::get, "/api/v1/sales/1/").outcome, Outcome::kNotFound);
    EXPECT_TRUE(router.match(verb::get, "/nope").allow.empty());
}

TEST(NetRouter, KnownPathWithOtherMethodIsMethodNotAllowedWithAllowList) {
    const Router router = make_router();
    const auto match = router.match(verb::get, "/api/v1/sales/9/purchase");
    EXPECT_EQ(match.outcome, Outcome::kMethodNotAllowed);
    EXPECT_EQ(match.allow, "POST, DELETE");
    EXPECT_EQ(match.handler, nullptr);

    const auto put = router.match(verb::put, "/api/v1/sales/active");
    EXPECT_EQ(put.outcome, Outcome::kMethodNotAllowed);
    EXPECT_EQ(put.allow, "GET");  // one entry although two patterns match the path
}

TEST(NetRouter, MalformedTargetIsBadRequest) {
    const Router router = make_router();
    for (const char* target : {"", "*", "http://example.com/", "sales", "/a%zz", "/a b", "/#x"}) {
        EXPECT_EQ(router.match(verb::get, target).outcome, Outcome::kBadRequest) << target;
    }
}

// Every letter and digit of the path spelled as a percent-escape: the same path, parsed by the
// router's general (Boost.URL) path instead of its plain-target one.
std::string escape_path_letters(std::string_view target) {
    std::string escaped;
    const auto query = target.find('?');
    for (std::size_t i = 0; i < target.size(); ++i) {
        const unsigned char c = target[i];
        if (i < query && std::isalnum(c)) {
            escaped += fmt::format("%{:02X}", c);
        } else {
            escaped += target[i];
        }
    }
    return escaped;
}

TEST(NetRouter, PlainTargetsMatchLikeTheirEscapedSpelling) {
    const Router router = make_router();
    for (const std::string target :
         {"/", "/?q=1", "/api/v1/sales/7", "/api/v1/sales/a-b_c.d~e!$&'()*+,;=:@/purchase",
          "/api/v1/sales/7?x=1&y=/?", "/api/v1/sales/1/", "/api//v1/sales", "/api/v1/sales/./x",
          "/api/v1/sales/../purchase", "/a/b/c", "/nope"}) {
        const std::string escaped_target = escape_path_letters(target);  // the params view it
        const auto plain = router.match(verb::post, target);
        const auto escaped = router.match(verb::post, escaped_target);
        EXPECT_EQ(plain.outcome, escaped.outcome) << target;
        EXPECT_EQ(plain.pattern, escaped.pattern) << target;
        EXPECT_EQ(plain.params.values, escaped.params.values) << target;
        EXPECT_EQ(plain.allow, escaped.allow) << target;
    }
    EXPECT_EQ(router.match(verb::post, "/api/v1/sales/a-b_c.d~e!$&'()*+,;=:@/purchase")
                  .params.get("id"),
              "a-b_c.d~e!$&'()*+,;=:@");
}

// The params of an escaped target view the match's own decoded copies, which move with it.
TEST(NetRouter, DecodedParamsSurviveMovingTheMatch) {
    const Router router = make_router();
    auto match = router.match(verb::post, "/api/v1/sales/%61b%2Fc/purchase");
    const auto moved = std::move(match);
    EXPECT_EQ(moved.params.get("id"), "ab/c");
}

TEST(NetRouter, PatternStorageSurvivesMovingTheRouter) {
    Router router = make_router();
    const auto before = router.match(verb::get, "/api/v1/sales/1");
    Router moved = std::move(router);
    const auto after = moved.match(verb::get, "/api/v1/sales/1");
    EXPECT_EQ(before.pattern.data(), after.pattern.data());
    EXPECT_EQ(after.pattern, "/api/v1/sales/{id}");
}

TEST(NetRouter, RouteParamsGetOfAbsentNameIsEmpty) {
    RouteParams params;
    params.values.emplace_back("id", "5");
    EXPECT_EQ(params.get("id"), "5");
    EXPECT_EQ(params.get("user"), "");
}

}  // namespace
}  // namespace flashsale::net
