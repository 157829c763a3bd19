#include "stock/redis_layout.h"

#include <array>

#include <charconv>
#include <unordered_map>

#include <boost/json.hpp>

namespace flashsale::stock::redis_layout {

namespace json = boost::json;

extern const char kFunctionLibrary[];  // redis_functions.cc, generated from redis/flashsale.lua

namespace {

// Built on every call to Redis: concatenation, without a format string to parse each time.
std::string key_of(std::string_view sale_id, std::string_view part) {
    std::string text;
    text.reserve(sale_id.size() + part.size() + 10);
    text.append("fs:{sale:").append(sale_id).append("}:").append(part);
    return text;
}

// The parts of the six keys every function takes, in the order redis/flashsale.lua names them.
constexpr std::array<std::string_view, 6> kFunctionKeyParts = {"sale",   "users",     "idem",
                                                               "orders", "deadlines", "events"};

}  // namespace

SaleKeys keys_of(std::string_view sale_id) {
    const auto key = [sale_id](std::string_view part) { return key_of(sale_id, part); };
    return {key("sale"),      key("users"),  key("idem"), key("orders"),
            key("deadlines"), key("events"), key("dead"), key("lease")};
}

std::vector<std::string> function_call(std::string_view function, std::string_view sale_id,
                                       std::vector<std::string> args) {
    std::vector<std::string> command;
    command.reserve(3 + kFunctionKeyParts.size() + args.size());
    command.emplace_back("FCALL");
    command.emplace_back(function);
    command.push_back(std::to_string(kFunctionKeyParts.size()));
    for (const auto part : kFunctionKeyParts) command.push_back(key_of(sale_id, part));
    command.insert(command.end(), std::make_move_iterator(args.begin()),
                   std::make_move_iterator(args.end()));
    return command;
}

std::vector<std::string> definition_args(const domain::Sale& sale) {
    return {sale.name,
            std::to_string(sale.stock),
            std::to_string(sale.per_user_limit),
            std::to_string(sale.price_cents),
            std::to_string(to_unix_ms(sale.starts_at)),
            std::to_string(to_unix_ms(sale.ends_at)),
            std::to_string(sale.reservation_ttl_s),
            sale.require_token ? "1" : "0",
            sale.paused ? "1" : "0",
            std::to_string(sale.pow_difficulty_bits),
            std::to_string(sale.rate_limit_per_s),
            std::to_string(sale.rate_limit_burst)};
}

std::vector<std::string> function_args(const domain::Sale& sale) {
    std::vector<std::string> args{sale.id};
    auto definition = definition_args(sale);
    args.insert(args.end(), definition.begin(), definition.end());
    return args;
}

namespace {

template <class Int>
Result<Int> parse_integer(const std::unordered_map<std::string, std::string>& fields,
                          const std::string& name) {
    auto found = fields.find(name);
    Int value{};
    if (found == fields.end()) return make_error(Errc::kInternal, "sale hash lacks " + name);
    const auto& text = found->second;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) {
        return make_error(Errc::kInternal, "sale hash field " + name + " is not an integer");
    }
    return value;
}

}  // namespace

Result<domain::Sale> sale_from_fields(
    const std::vector<std::pair<std::string, std::string>>& flat) {
    std::unordered_map<std::string, std::string> fields(flat.begin(), flat.end());
    domain::Sale sale;
    sale.id = fields["id"];
    sale.name = fields["name"];
    auto stock = parse_integer<std::int64_t>(fields, "stock");
    auto limit = parse_integer<std::int32_t>(fields, "limit");
    auto price = parse_integer<std::int64_t>(fields, "price");
    auto starts = parse_integer<std::int64_t>(fields, "start");
    auto ends = parse_integer<std::int64_t>(fields, "end");
    auto ttl = parse_integer<std::int32_t>(fields, "ttl");
    for (const Error* error : {stock.ok() ? nullptr : &stock.error(),
                               limit.ok() ? nullptr : &limit.error(),
                               price.ok() ? nullptr : &price.error(),
                               starts.ok() ? nullptr : &starts.error(),
                               ends.ok() ? nullptr : &ends.error(),
                               ttl.ok() ? nullptr : &ttl.error()}) {
        if (error != nullptr) return *error;
    }
    sale.stock = *stock;
    sale.per_user_limit = *limit;
    sale.price_cents = *price;
    sale.starts_at = from_unix_ms(*starts);
    sale.ends_at = from_unix_ms(*ends);
    sale.reservation_ttl_s = *ttl;
    sale.require_token = fields["token"] == "1";
    sale.paused = fields["paused"] == "1";
    // Admission settings came later (issue 4): a sale written before them has none.
    for (auto [name, field] : {std::pair{"pow", &sale.pow_difficulty_bits},
                               std::pair{"rate", &sale.rate_limit_per_s},
                               std::pair{"burst", &sale.rate_limit_burst}}) {
        if (!fields.contains(name)) continue;
        auto value = parse_integer<std::int32_t>(fields, name);
        if (!value) return value.error();
        *field = *value;
    }
    return sale;
}

std::string order_to_json(const domain::Order& order) {
    json::object object{{"id", order.id},
                        {"sale", order.sale_id},
                        {"user", order.user_id},
                        {"quantity", order.quantity},
                        {"status", to_string(order.status)},
                        {"created", to_unix_ms(order.created_at)},
                        {"expires", to_unix_ms(order.expires_at)},
                        {"updated", to_unix_ms(order.updated_at)},
                        {"key", order.idempotency_key}};
    return json::serialize(object);
}

namespace {

// Lua's cjson writes integral numbers as integers, but a double is accepted too.
std::int64_t as_integer(const json::value& value) {
    if (value.is_int64()) return value.get_int64();
    if (value.is_uint64()) return static_cast<std::int64_t>(value.get_uint64());
    if (value.is_double()) return static_cast<std::int64_t>(value.get_double());
    throw std::invalid_argument("not a number");
}

}  // namespace

Result<domain::Order> order_from_json(std::string_view text) {
    // Every order Redis returns, and every one the pipeline reads back, is parsed here: the
    // parsed tree lives in a buffer on the stack instead of a dozen heap allocations.
    unsigned char buffer[2048];
    json::monotonic_resource memory(buffer, sizeof buffer);
    boost::system::error_code error;
    auto value = json::parse(text, error, &memory);
    if (error || !value.is_object()) return make_error(Errc::kInternal, "order is not JSON");
    try {
        const auto& object = value.get_object();
        auto status = domain::parse_order_status(object.at("status").as_string());
        if (!status) return make_error(Errc::kInternal, "order has an unknown status");
        return domain::Order{
            .id = std::string(object.at("id").as_string()),
            .sale_id = std::string(object.at("sale").as_string()),
            .user_id = std::string(object.at("user").as_string()),
            .quantity = static_cast<std::int32_t>(as_integer(object.at("quantity"))),
            .status = *status,
            .created_at = from_unix_ms(as_integer(object.at("created"))),
            .expires_at = from_unix_ms(as_integer(object.at("expires"))),
            .updated_at = from_unix_ms(as_integer(object.at("updated"))),
            .idempotency_key = std::string(object.at("key").as_string())};
    } catch (const std::exception& e) {
        return make_error(Errc::kInternal, std::string("order JSON: ") + e.what());
    }
}

std::string new_order_id(TimePoint now, std::string_view sale_id) {
    return domain::new_order_id(now) + "." + std::string(sale_id);
}

std::optional<std::string> sale_of_order(std::string_view order_id) {
    constexpr std::size_t kTimeOrderedIdLength = 26;
    if (order_id.size() <= kTimeOrderedIdLength + 1 || order_id[kTimeOrderedIdLength] != '.') {
        return std::nullopt;
    }
    auto sale_id = order_id.substr(kTimeOrderedIdLength + 1);
    if (!domain::is_valid_id(sale_id)) return std::nullopt;
    return std::string(sale_id);
}

std::string_view function_library() { return kFunctionLibrary; }

}  // namespace flashsale::stock::redis_layout
