// The RESP wire format of the Redis client: commands encoded as arrays of bulk strings, and
// replies parsed by hiredis's reader straight into RedisReply. No I/O here.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "clients/redis_client.h"
#include "clients/redis_reply.h"
#include "common/result.h"

struct redisReader;

namespace flashsale::clients::detail {

// Appends `command` to `out` as a RESP array of bulk strings (binary-safe).
void append_command(std::string& out, const Command& command);

// An incremental reply parser: feed() what the socket gave, then next() until it has nothing.
class RespReader {
public:
    RespReader();
    ~RespReader();
    RespReader(const RespReader&) = delete;
    RespReader& operator=(const RespReader&) = delete;

    // False when the reader refuses the data (out of memory).
    bool feed(std::string_view data);
    // The next complete reply, std::nullopt when more data is needed, or an error when the
    // stream is not valid RESP (the connection must then be closed).
    Result<std::optional<RedisReply>> next();

private:
    struct Free {
        void operator()(redisReader* reader) const;
    };
    std::unique_ptr<redisReader, Free> reader_;
};

}  // namespace flashsale::clients::detail
