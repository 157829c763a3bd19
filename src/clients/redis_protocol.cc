// RESP encoding and hiredis's reader: see redis_protocol.h.
#include "clients/redis_protocol.h"

#include <hiredis/hiredis.h>

#include <new>

namespace flashsale::clients::detail {

namespace {

void append_length(std::string& out, char prefix, std::size_t length) {
    out.push_back(prefix);
    out.append(std::to_string(length));
    out.append("\r\n");
}

RedisReply copy_reply(const redisReply& in) {
    RedisReply out;
    switch (in.type) {
        case REDIS_REPLY_INTEGER:
            out.kind = RedisReply::Kind::kInteger;
            out.integer = in.integer;
            break;
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
        case REDIS_REPLY_ERROR:
            out.kind = in.type == REDIS_REPLY_STRING   ? RedisReply::Kind::kString
                       : in.type == REDIS_REPLY_STATUS ? RedisReply::Kind::kStatus
                                                       : RedisReply::Kind::kError;
            out.text.assign(in.str, in.len);
            break;
        case REDIS_REPLY_ARRAY:
            out.kind = RedisReply::Kind::kArray;
            out.elements.reserve(in.elements);
            for (std::size_t i = 0; i < in.elements; ++i) {
                out.elements.push_back(copy_reply(*in.element[i]));
            }
            break;
        default:  // REDIS_REPLY_NIL
            out.kind = RedisReply::Kind::kNil;
            break;
    }
    return out;
}

}  // namespace

void append_command(std::string& out, const Command& command) {
    append_length(out, '*', command.size());
    for (const auto& argument : command) {
        append_length(out, '$', argument.size());
        out.append(argument);
        out.append("\r\n");
    }
}

void RespReader::Free::operator()(redisReader* reader) const { redisReaderFree(reader); }

RespReader::RespReader() : reader_(redisReaderCreate()) {
    if (!reader_) throw std::bad_alloc();
}

RespReader::~RespReader() = default;

bool RespReader::feed(std::string_view data) {
    return redisReaderFeed(reader_.get(), data.data(), data.size()) == REDIS_OK;
}

Result<std::optional<RedisReply>> RespReader::next() {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
        return make_error(Errc::kUnavailable,
                          std::string("invalid reply from Redis: ") + reader_->errstr);
    }
    if (raw == nullptr) return std::optional<RedisReply>();
    auto* reply = static_cast<redisReply*>(raw);
    std::optional<RedisReply> out(copy_reply(*reply));
    freeReplyObject(reply);
    return out;
}

}  // namespace flashsale::clients::detail
