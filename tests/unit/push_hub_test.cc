// The push hub and the wire format of the Redis bus: a push reaches the subscribers of its
// audience on every worker and nobody else; a subscriber that left hears nothing; a batch
// survives the trip through Redis's payload, and a malformed payload delivers nothing.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "push/event_bus.h"
#include "push/push_hub.h"

namespace flashsale::push {
namespace {

struct Recorder final : Subscriber {
    void push(const std::string& text) override { heard.push_back(text); }
    std::vector<std::string> heard;
};

class PushHubTest : public ::testing::Test {
protected:
    PushHub hub_{{io_[0].get_executor(), io_[1].get_executor()}};
    void run() {
        for (auto& io : io_) {
            io.restart();
            io.run();
        }
    }
    boost::asio::io_context io_[2];
};

TEST_F(PushHubTest, PushReachesItsAudienceOnEveryWorkerOnly) {
    Recorder alice_on_0, alice_on_1, bob, watcher;
    hub_.subscribe_user(0, "alice", &alice_on_0);
    hub_.subscribe_user(1, "alice", &alice_on_1);
    hub_.subscribe_user(1, "bob", &bob);
    hub_.subscribe_user(0, "carol", &watcher);
    hub_.watch_sale(0, "phone", &watcher);

    hub_.deliver({Audience::kUser, "alice", "for alice"});
    hub_.deliver({Audience::kSale, "phone", "phone sold out"});
    run();
    EXPECT_EQ(alice_on_0.heard, std::vector<std::string>{"for alice"});
    EXPECT_EQ(alice_on_1.heard, std::vector<std::string>{"for alice"});
    EXPECT_TRUE(bob.heard.empty());
    EXPECT_EQ(watcher.heard, std::vector<std::string>{"phone sold out"});

    EXPECT_TRUE(hub_.has_subscribers());
    hub_.deliver({Audience::kEveryone, "", "time"});
    run();
    EXPECT_EQ(bob.heard, std::vector<std::string>{"time"});
    EXPECT_EQ(watcher.heard.back(), "time");
}

TEST_F(PushHubTest, SubscriberThatLeftHearsNothing) {
    Recorder alice;
    hub_.subscribe_user(0, "alice", &alice);
    hub_.watch_sale(0, "phone", &alice);
    EXPECT_TRUE(hub_.has_subscribers());
    hub_.unsubscribe_user(0, "alice", &alice);
    hub_.unwatch_sale(0, "phone", &alice);
    EXPECT_FALSE(hub_.has_subscribers());
    hub_.unsubscribe_user(0, "alice", &alice);  // twice: counted once
    EXPECT_FALSE(hub_.has_subscribers());
    hub_.deliver({Audience::kUser, "alice", "late"});
    hub_.deliver({Audience::kSale, "phone", "late"});
    run();
    EXPECT_TRUE(alice.heard.empty());
}

TEST(RedisEventBusFormatTest, BatchSurvivesTheTripAndGarbageDeliversNothing) {
    std::vector<Push> batch{{Audience::kUser, "alice", R"({"type":"order","x":"\"quoted\""})"},
                            {Audience::kSale, "phone", "sold out"},
                            {Audience::kEveryone, "", "time"}};
    auto back = RedisEventBus::decode(RedisEventBus::encode(batch));
    ASSERT_EQ(back.size(), batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        EXPECT_EQ(back[i].audience, batch[i].audience);
        EXPECT_EQ(back[i].key, batch[i].key);
        EXPECT_EQ(back[i].text, batch[i].text);
    }
    for (const char* garbage : {"", "not json", "{}", "[1,2]", R"([{"audience":"nobody"}])",
                                R"([{"audience":"user","key":1,"text":"x"}])"}) {
        EXPECT_TRUE(RedisEventBus::decode(garbage).empty()) << garbage;
    }
}

}  // namespace
}  // namespace flashsale::push
