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

// hiredis's reader builds RedisReply itself through these, instead of its own reply objects that
// were then copied and freed one by one: for the order pipeline's batches and every purchase's
// answer, allocating and freeing both trees was a tenth of the Redis engine's CPU in flashsale.
// Each function places its value in the parent array (sized when it was created, so its
// elements stay where they are) or, for the reply itself, on the heap; the reader hands the
// root back from redisReaderGetReply, or frees it through free_reply should the stream be bad.
RedisReply* place(const redisReadTask* task) {
    if (task->parent == nullptr) return new RedisReply;
    auto* parent = static_cast<RedisReply*>(task->parent->obj);
    return &parent->elements[static_cast<std::size_t>(task->idx)];
}

void* create_string(const redisReadTask* task, char* text, std::size_t length) {
    auto* reply = place(task);
    reply->kind = task->type == REDIS_REPLY_STRING   ? RedisReply::Kind::kString
                  : task->type == REDIS_REPLY_STATUS ? RedisReply::Kind::kStatus
                                                     : RedisReply::Kind::kError;
    reply->text.assign(text, length);
    return reply;
}

void* create_array(const redisReadTask* task, int elements) {
    auto* reply = place(task);
    reply->kind = RedisReply::Kind::kArray;
    reply->elements.resize(static_cast<std::size_t>(elements));
    return reply;
}

void* create_integer(const redisReadTask* task, long long value) {
    auto* reply = place(task);
    reply->kind = RedisReply::Kind::kInteger;
    reply->integer = value;
    return reply;
}

void* create_nil(const redisReadTask* task) { return place(task); }  // kNil by default

void free_reply(void* reply) { delete static_cast<RedisReply*>(reply); }

redisReplyObjectFunctions kReplyFunctions = {create_string, create_array, create_integer,
                                             create_nil, free_reply};

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

RespReader::RespReader() : reader_(redisReaderCreateWithFunctions(&kReplyFunctions)) {
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
    std::unique_ptr<RedisReply> reply(static_cast<RedisReply*>(raw));
    return std::optional<RedisReply>(std::move(*reply));
}

}  // namespace flashsale::clients::detail
