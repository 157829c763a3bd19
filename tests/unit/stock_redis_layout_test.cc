// The Redis key layout and record formats shared by the engine, the pipeline and reconciliation.
#include "stock/redis_layout.h"

#include <gtest/gtest.h>

namespace flashsale::stock::redis_layout {
namespace {

TEST(RedisLayoutTest, EveryKeyOfASaleCarriesItsHashTag) {
    auto keys = keys_of("phone-1");
    for (const auto& key : {keys.sale, keys.users, keys.idem, keys.orders, keys.deadlines,
                            keys.events, keys.dead, keys.lease}) {
        EXPECT_NE(key.find("{sale:phone-1}"), std::string::npos) << key;
    }
    EXPECT_NE(keys_of("a").orders, keys_of("b").orders);
}

// The keys in the order redis/flashsale.lua names them (KEYS[1] .. KEYS[6]), then the arguments.
TEST(RedisLayoutTest, FunctionCallNamesTheSixKeysInTheLibrarysOrder) {
    const auto keys = keys_of("phone-1");
    const std::vector<std::string> expected{
        "FCALL",     "fs_reserve", "6",           keys.sale, keys.users, keys.idem,
        keys.orders, keys.deadlines, keys.events, "alice",   "1"};
    EXPECT_EQ(function_call("fs_reserve", "phone-1", {"alice", "1"}), expected);
    EXPECT_EQ(function_call("fs_end_rebuild", "phone-1").size(), 9u);
}

TEST(RedisLayoutTest, OrderIdsCarryTheirSale) {
    auto id = new_order_id(from_unix_ms(1'795'000'000'000), "sale.with-dots_1");
    EXPECT_EQ(sale_of_order(id), "sale.with-dots_1");
    EXPECT_EQ(sale_of_order("01M84RFMKKY735JXBZ2G0GDB8Z"), std::nullopt) << "embedded ids";
    EXPECT_EQ(sale_of_order("01M84RFMKKY735JXBZ2G0GDB8Z."), std::nullopt);
    EXPECT_EQ(sale_of_order("01M84RFMKKY735JXBZ2G0GDB8Z.bad/sale"), std::nullopt);
    EXPECT_EQ(sale_of_order("short.s1"), std::nullopt);
}

TEST(RedisLayoutTest, OrderJsonRoundTrips) {
    domain::Order order{.id = "01M84RFMKKY735JXBZ2G0GDB8Z.s1",
                        .sale_id = "s1",
                        .user_id = "alice",
                        .quantity = 2,
                        .status = domain::OrderStatus::kPaid,
                        .created_at = from_unix_ms(1'795'000'000'000),
                        .expires_at = from_unix_ms(1'795'000'300'000),
                        .updated_at = from_unix_ms(1'795'000'010'000),
                        .idempotency_key = "k|\"1"};
    auto back = order_from_json(order_to_json(order));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->id, order.id);
    EXPECT_EQ(back->user_id, order.user_id);
    EXPECT_EQ(back->quantity, 2);
    EXPECT_EQ(back->status, domain::OrderStatus::kPaid);
    EXPECT_EQ(back->expires_at, order.expires_at);
    EXPECT_EQ(back->idempotency_key, order.idempotency_key);
    EXPECT_FALSE(order_from_json("{").ok());
    EXPECT_FALSE(order_from_json(R"({"id":"x"})").ok());
}

TEST(RedisLayoutTest, SaleFieldsRoundTripThroughTheDefinitionArguments) {
    domain::Sale sale{.id = "s1", .name = "Phone", .stock = 100, .per_user_limit = 2,
                      .price_cents = 999, .starts_at = from_unix_ms(1000),
                      .ends_at = from_unix_ms(2000), .reservation_ttl_s = 60,
                      .require_token = true, .paused = true, .pow_difficulty_bits = 12,
                      .rate_limit_per_s = 50, .rate_limit_burst = 80};
    const char* names[] = {"name", "stock", "limit", "price", "start", "end",
                           "ttl",  "token", "paused", "pow",  "rate",  "burst"};
    auto args = definition_args(sale);
    ASSERT_EQ(args.size(), std::size(names));
    std::vector<std::pair<std::string, std::string>> fields{{"id", "s1"}};
    for (std::size_t i = 0; i < args.size(); ++i) fields.emplace_back(names[i], args[i]);
    auto back = sale_from_fields(fields);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->stock, 100);
    EXPECT_EQ(back->ends_at, sale.ends_at);
    EXPECT_TRUE(back->require_token);
    EXPECT_TRUE(back->paused);
    EXPECT_EQ(back->pow_difficulty_bits, 12);
    EXPECT_EQ(back->rate_limit_burst, 80);
    fields[2].second = "many";
    EXPECT_FALSE(sale_from_fields(fields).ok());
}

TEST(RedisLayoutTest, TheFunctionLibraryIsCompiledIn) {
    auto library = function_library();
    EXPECT_TRUE(library.starts_with("#!lua name=flashsale"));
    EXPECT_NE(library.find("fs_reserve"), std::string_view::npos);
}

}  // namespace
}  // namespace flashsale::stock::redis_layout
