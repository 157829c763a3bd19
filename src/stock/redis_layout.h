// Where the Redis stock engine keeps a sale, and how its records are written. Every key of a
// sale carries the hash tag {sale:ID}, so one sale's keys live on one Redis Cluster slot and a
// function can touch them all atomically. The engine, the order pipeline (which reads the
// sale's stream into the database) and reconciliation (which rebuilds a sale from the database)
// all go through this one description; the functions themselves are in redis/flashsale.lua.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "domain/order.h"
#include "domain/sale.h"

namespace flashsale::stock::redis_layout {

// The set of every sale id (not tagged: read on its own, never inside a function).
inline constexpr std::string_view kSalesKey = "fs:sales";
// The consumer group that moves each sale's stream into the orders database.
inline constexpr std::string_view kConsumerGroup = "orders";

struct SaleKeys {
    std::string sale;       // hash: definition, counters, state
    std::string users;      // hash: user -> live units
    std::string idem;       // hash: user "\n" key -> order id
    std::string orders;     // hash: order id -> order JSON
    std::string deadlines;  // sorted set: reserved order ids by deadline (ms)
    std::string events;     // stream: every change, in decision order
    std::string dead;       // stream: entries the database refused (dead letters)
    std::string lease;      // string: which node's pipeline consumes this sale now
};

SaleKeys keys_of(std::string_view sale_id);

// FCALL of one of redis/flashsale.lua's functions on a sale: the six keys every function takes,
// in the order the library names them, then `args`. Built without SaleKeys' other two keys:
// this runs on every purchase.
std::vector<std::string> function_call(std::string_view function, std::string_view sale_id,
                                       std::vector<std::string> args = {});

// A sale's definition as the functions take it after its id (name, stock, limit, price, start,
// end, ttl, token, paused, pow, rate, burst).
std::vector<std::string> definition_args(const domain::Sale& sale);

// The sale's id followed by its definition: the arguments of the functions that write one.
std::vector<std::string> function_args(const domain::Sale& sale);

// A sale from the hash fields the functions keep (a flat name/value list).
Result<domain::Sale> sale_from_fields(const std::vector<std::pair<std::string, std::string>>& fields);

// Orders are stored and streamed as JSON.
std::string order_to_json(const domain::Order& order);
Result<domain::Order> order_from_json(std::string_view json);

// Order ids of this engine carry their sale, so that any node can find an order's keys from its
// id alone: "<26-character time-ordered id>.<sale id>".
std::string new_order_id(TimePoint now, std::string_view sale_id);
std::optional<std::string> sale_of_order(std::string_view order_id);

// The Lua library, loaded with FUNCTION LOAD REPLACE.
std::string_view function_library();

}  // namespace flashsale::stock::redis_layout
