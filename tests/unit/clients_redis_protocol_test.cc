// The RESP wire format without a socket: commands as the encoder writes them, replies as
// hiredis's reader builds them into RedisReply (clients/redis_protocol.h).
#include "clients/redis_protocol.h"

#include <gtest/gtest.h>

namespace flashsale::clients::detail {
namespace {

using Kind = RedisReply::Kind;

// Every reply the feed holds, in order; fails the test on a stream error.
std::vector<RedisReply> replies_of(RespReader& reader) {
    std::vector<RedisReply> out;
    for (;;) {
        auto next = reader.next();
        EXPECT_TRUE(next) << next.error().message;
        if (!next || !*next) return out;
        out.push_back(std::move(**next));
    }
}

TEST(RespReaderTest, BuildsNestedArraysOfEveryKind) {
    RespReader reader;
    ASSERT_TRUE(reader.feed("*4\r\n$5\r\nhello\r\n:-42\r\n*3\r\n+OK\r\n$-1\r\n*0\r\n-ERR no\r\n"));
    const auto replies = replies_of(reader);
    ASSERT_EQ(replies.size(), 1u);
    const auto& top = replies[0];
    ASSERT_EQ(top.kind, Kind::kArray);
    ASSERT_EQ(top.elements.size(), 4u);
    EXPECT_EQ(top.elements[0].kind, Kind::kString);
    EXPECT_EQ(top.elements[0].text, "hello");
    EXPECT_EQ(top.elements[1].kind, Kind::kInteger);
    EXPECT_EQ(top.elements[1].integer, -42);
    const auto& inner = top.elements[2];
    ASSERT_EQ(inner.kind, Kind::kArray);
    ASSERT_EQ(inner.elements.size(), 3u);
    EXPECT_EQ(inner.elements[0].kind, Kind::kStatus);
    EXPECT_EQ(inner.elements[0].text, "OK");
    EXPECT_TRUE(inner.elements[1].is_nil());
    EXPECT_EQ(inner.elements[2].kind, Kind::kArray);
    EXPECT_TRUE(inner.elements[2].elements.empty());
    EXPECT_TRUE(top.elements[3].is_error());
    EXPECT_EQ(top.elements[3].text, "ERR no");
}

TEST(RespReaderTest, AReplySplitAtEveryByteComesOutWhole) {
    const std::string wire = "*2\r\n$3\r\nab\n\r\n*1\r\n:7\r\n+PONG\r\n";
    RespReader reader;
    std::vector<RedisReply> replies;
    for (char c : wire) {
        ASSERT_TRUE(reader.feed(std::string_view(&c, 1)));
        for (auto& reply : replies_of(reader)) replies.push_back(std::move(reply));
    }
    ASSERT_EQ(replies.size(), 2u);
    ASSERT_EQ(replies[0].elements.size(), 2u);
    EXPECT_EQ(replies[0].elements[0].text, "ab\n");
    EXPECT_EQ(replies[0].elements[1].elements.at(0).integer, 7);
    EXPECT_EQ(replies[1].text, "PONG");
}

TEST(RespReaderTest, AnEncodedCommandReadsBackAsItsArguments) {
    const Command command{"SET", std::string("k\0ey", 4), "line\r\nbreak", ""};
    std::string wire;
    append_command(wire, command);
    RespReader reader;
    ASSERT_TRUE(reader.feed(wire));
    const auto replies = replies_of(reader);
    ASSERT_EQ(replies.size(), 1u);
    ASSERT_EQ(replies[0].elements.size(), command.size());
    for (std::size_t i = 0; i < command.size(); ++i) {
        EXPECT_EQ(replies[0].elements[i].kind, Kind::kString);
        EXPECT_EQ(replies[0].elements[i].text, command[i]) << i;
    }
}

// A stream that breaks off inside an array: an error, and the half-built reply is freed (the
// ASan build would report it otherwise).
TEST(RespReaderTest, InvalidDataInsideAnArrayIsAnError) {
    RespReader reader;
    ASSERT_TRUE(reader.feed("*3\r\n:1\r\n$2\r\nok\r\n?what\r\n"));
    const auto next = reader.next();
    ASSERT_FALSE(next);
    EXPECT_NE(next.error().message.find("invalid reply from Redis"), std::string::npos);
}

TEST(RespReaderTest, AHalfReadReplyIsFreedWithTheReader) {
    RespReader reader;
    ASSERT_TRUE(reader.feed("*2\r\n$5\r\nhello\r\n"));
    const auto next = reader.next();
    ASSERT_TRUE(next);
    EXPECT_FALSE(*next);  // the second element has not arrived
}

}  // namespace
}  // namespace flashsale::clients::detail
