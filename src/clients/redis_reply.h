// RedisReply: one RESP reply, owned, as hiredis's reader parsed it. Scripts and functions
// answer with nested arrays of integers and bulk strings; errors are a kind of reply (a script
// that refused), not a failed command.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace flashsale::clients {

struct RedisReply {
    enum class Kind { kNil, kInteger, kString, kStatus, kError, kArray };

    Kind kind = Kind::kNil;
    std::int64_t integer = 0;
    std::string text;  // kString, kStatus, kError
    std::vector<RedisReply> elements;  // kArray

    bool is_nil() const { return kind == Kind::kNil; }
    bool is_error() const { return kind == Kind::kError; }
};

}  // namespace flashsale::clients
