// Sale validation, patches and the status a buyer sees.
#include <gtest/gtest.h>

#include "domain/sale.h"

namespace flashsale::domain {
namespace {

using namespace std::chrono_literals;

Sale valid_sale() {
    return Sale{.id = "s1",
                .name = "Phone",
                .stock = 100,
                .per_user_limit = 1,
                .price_cents = 100,
                .starts_at = from_unix_ms(10'000),
                .ends_at = from_unix_ms(20'000),
                .reservation_ttl_s = 60};
}

TEST(SaleValidation, AcceptsAValidSale) { EXPECT_TRUE(validate(valid_sale()).ok()); }

TEST(SaleValidation, RefusesEachBadField) {
    std::vector<std::pair<std::string, Sale>> cases;
    auto with = [&](std::string what, auto change) {
        Sale sale = valid_sale();
        change(sale);
        cases.emplace_back(std::move(what), sale);
    };
    with("empty id", [](Sale& s) { s.id = ""; });
    with("id with a slash", [](Sale& s) { s.id = "a/b"; });
    with("id too long", [](Sale& s) { s.id = std::string(65, 'a'); });
    with("empty name", [](Sale& s) { s.name = ""; });
    with("negative stock", [](Sale& s) { s.stock = -1; });
    with("limit 0", [](Sale& s) { s.per_user_limit = 0; });
    with("negative price", [](Sale& s) { s.price_cents = -5; });
    with("empty window", [](Sale& s) { s.ends_at = s.starts_at; });
    with("ttl 0", [](Sale& s) { s.reservation_ttl_s = 0; });
    for (const auto& [what, sale] : cases) {
        auto result = validate(sale);
        ASSERT_FALSE(result.ok()) << what;
        EXPECT_EQ(result.error().code, Errc::kBadRequest) << what;
    }
}

TEST(SaleStatus, FollowsWindowAndStock) {
    Sale sale = valid_sale();
    EXPECT_EQ(sale.status_at(from_unix_ms(9'999), 5), SaleStatus::kUpcoming);
    EXPECT_EQ(sale.status_at(from_unix_ms(10'000), 5), SaleStatus::kActive);
    EXPECT_EQ(sale.status_at(from_unix_ms(15'000), 0), SaleStatus::kSoldOut);
    EXPECT_EQ(sale.status_at(from_unix_ms(20'000), 5), SaleStatus::kEnded);
}

TEST(SalePatch, ChangesOnlyPresentFields) {
    SalePatch patch;
    patch.stock = 7;
    patch.name = "Tablet";
    Sale patched = apply(valid_sale(), patch);
    EXPECT_EQ(patched.stock, 7);
    EXPECT_EQ(patched.name, "Tablet");
    EXPECT_EQ(patched.per_user_limit, 1);
    EXPECT_EQ(patched.starts_at, valid_sale().starts_at);
}

TEST(SaleAdmissionFields, ValidateRangesAndPausedStatus) {
    Sale sale{.id = "s", .name = "n", .stock = 5, .starts_at = from_unix_ms(10'000),
              .ends_at = from_unix_ms(20'000)};
    EXPECT_TRUE(validate(sale).ok());
    sale.pow_difficulty_bits = 33;
    EXPECT_FALSE(validate(sale).ok());
    sale.pow_difficulty_bits = 32;
    sale.rate_limit_per_s = -1;
    EXPECT_FALSE(validate(sale).ok());
    sale.rate_limit_per_s = 0;
    sale.rate_limit_burst = -1;
    EXPECT_FALSE(validate(sale).ok());
    sale.rate_limit_burst = 0;
    EXPECT_TRUE(validate(sale).ok());
    sale.paused = true;
    EXPECT_EQ(sale.status_at(from_unix_ms(15'000), 5), SaleStatus::kPaused);
    EXPECT_EQ(sale.status_at(from_unix_ms(9'000), 5), SaleStatus::kUpcoming);
    EXPECT_EQ(apply(sale, SalePatch{.paused = false}).paused, false);
}

}  // namespace
}  // namespace flashsale::domain
