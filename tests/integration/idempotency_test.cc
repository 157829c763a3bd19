// Idempotency (I4): one user sending the same Idempotency-Key many times at once gets one order,
// and every answer names it, also after a restart. Keys belong to a user: another user's equal
// key is another order.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "support/server_test.h"
#include "support/storm.h"

namespace flashsale::testing {
namespace {

const std::string kSaleId = "idempotent";
const std::string kKey = "checkout-7f3a9c-attempt";
constexpr std::size_t kRepeats = 20;

class IdempotencyTest : public ServerTest {
protected:
    // kRepeats concurrent purchases by `user_id`, each on its own connection, all with kKey.
    std::vector<Answer> same_key_storm(const std::string& user_id) {
        Buyer buyer;
        buyer.user_id = user_id;
        buyer.token = api().token_for(user_id);
        buyer.idempotency_key = kKey;
        StormOptions options;
        options.port = server().port();
        options.sale_id = kSaleId;
        return run_storm(options, std::vector<Buyer>(kRepeats, buyer));
    }
};

TEST_F(IdempotencyTest, SameKeyConcurrentlyMakesOneOrderAlsoAfterRestart) {
    // A limit above kRepeats: a duplicate order would be accepted, not hidden by limit_reached.
    ASSERT_TRUE(has_status(api().create_sale(open_sale(kSaleId, 100, 50)), 201));
    const std::vector<Answer> answers = same_key_storm("ida");
    ASSERT_EQ(answers.size(), kRepeats);
    std::set<std::string> order_ids;
    for (const Answer& answer : answers) {
        EXPECT_TRUE(has_status(answer.response, 202));
        order_ids.insert(answer.response.string_field("order_id").value_or("(none)"));
    }
    ASSERT_EQ(order_ids.size(), 1u) << "several orders for one key";
    const std::string order_id = *order_ids.begin();
    EXPECT_EQ(int_at(api().stats(kSaleId), {"sold"}), 1);
    EXPECT_EQ(int_at(api().get_sale(kSaleId), {"remaining"}), 99);

    // A new key is a new order; the same key by another user is that user's own order.
    const HttpResponse other_key = api().purchase("ida", kSaleId, 1, "another-key");
    ASSERT_TRUE(has_status(other_key, 202));
    EXPECT_NE(other_key.string_field("order_id"), order_id);
    const HttpResponse other_user = api().purchase("max", kSaleId, 1, kKey);
    ASSERT_TRUE(has_status(other_user, 202));
    EXPECT_NE(other_user.string_field("order_id"), order_id) << "max got ida's order";
    EXPECT_TRUE(is_error(api().get_order("max", order_id), 404, "not_found"));

    ASSERT_TRUE(stop_and_verify());
    ASSERT_TRUE(server().restart());
    const HttpResponse replay = api().purchase("ida", kSaleId, 1, kKey);
    ASSERT_TRUE(has_status(replay, 202));
    EXPECT_EQ(replay.string_field("order_id"), order_id) << "the key was forgotten on restart";
    EXPECT_EQ(int_at(api().stats(kSaleId), {"sold"}), 3);
    const HttpResponse order = api().get_order("ida", order_id);
    EXPECT_TRUE(has_status(order, 200));
    EXPECT_EQ(order.string_field("status"), "reserved") << order.describe();
    EXPECT_TRUE(stop_and_verify());
}

TEST_F(IdempotencyTest, ReplayAfterCancelStillNamesTheSameOrder) {
    ASSERT_TRUE(has_status(api().create_sale(open_sale(kSaleId, 5, 1)), 201));
    const HttpResponse first = api().purchase("ida", kSaleId, 1, kKey);
    ASSERT_TRUE(has_status(first, 202));
    const std::string order_id = first.string_field("order_id").value_or("");
    ASSERT_TRUE(has_status(api().cancel("ida", order_id), 200));
    // A retry of the original request must not buy again behind the user's back.
    const HttpResponse replay = api().purchase("ida", kSaleId, 1, kKey);
    EXPECT_TRUE(has_status(replay, 202));
    EXPECT_EQ(replay.string_field("order_id"), order_id) << replay.describe();
    EXPECT_EQ(int_at(api().get_sale(kSaleId), {"remaining"}), 5);
    EXPECT_TRUE(stop_and_verify());
}

// Any visible ASCII is a key, JSON's own quote and escapes included: the engines that keep the
// order as JSON (the Redis engine's function writes it by hand) must keep the key intact.
TEST_F(IdempotencyTest, KeyWithJsonEscapesReplaysTheSameOrderAfterRestart) {
    const std::string key = R"(q"uote\back/slash{[]},:)";
    ASSERT_TRUE(has_status(api().create_sale(open_sale(kSaleId, 5, 5)), 201));
    const HttpResponse first = api().purchase("ida", kSaleId, 1, key);
    ASSERT_TRUE(has_status(first, 202));
    const std::string order_id = first.string_field("order_id").value_or("");
    EXPECT_EQ(api().purchase("ida", kSaleId, 1, key).string_field("order_id"), order_id);

    ASSERT_TRUE(stop_and_verify());
    ASSERT_TRUE(server().restart());
    const HttpResponse replay = api().purchase("ida", kSaleId, 1, key);
    ASSERT_TRUE(has_status(replay, 202));
    EXPECT_EQ(replay.string_field("order_id"), order_id) << replay.describe();
    EXPECT_EQ(int_at(api().stats(kSaleId), {"sold"}), 1);
    EXPECT_TRUE(stop_and_verify());
}

}  // namespace
}  // namespace flashsale::testing
