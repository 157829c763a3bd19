#include "orders/order_pipeline.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "stock/redis_layout.h"

namespace flashsale::orders {

using clients::RedisReply;
namespace layout = stock::redis_layout;

namespace {

// The field of a stream entry ([id, [name, value, ...]]), or "" when it has none.
std::string_view entry_field(const RedisReply& entry, std::string_view name) {
    if (entry.elements.size() < 2) return "";
    const auto& fields = entry.elements[1].elements;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].text == name) return fields[i + 1].text;
    }
    return "";
}

const std::string& entry_id(const RedisReply& entry) { return entry.elements.at(0).text; }

// A stream entry as the journal entry the store applies, or the reason it cannot be one.
Result<domain::JournalEntry> journal_entry_of(const RedisReply& entry) {
    auto type = entry_field(entry, "type");
    auto data = entry_field(entry, "data");
    if (type == "sale") {
        boost::system::error_code error;
        auto value = boost::json::parse(data, error);
        if (error || !value.is_object()) return make_error(Errc::kBadRequest, "sale is not JSON");
        std::vector<std::pair<std::string, std::string>> fields;
        for (const auto& [name, field] : value.get_object()) {
            if (field.is_string()) fields.emplace_back(name, field.get_string());
        }
        auto sale = layout::sale_from_fields(fields);
        if (!sale) return sale.error();
        return domain::JournalEntry{domain::SaleSaved{std::move(*sale)}};
    }
    auto order = layout::order_from_json(data);
    if (!order) return order.error();
    if (type == "reserved") return domain::JournalEntry{domain::OrderReserved{std::move(*order)}};
    auto to = domain::parse_order_status(type);
    if (!to || *to == domain::OrderStatus::kReserved) {
        return make_error(Errc::kBadRequest, "unknown entry type " + std::string(type));
    }
    return domain::JournalEntry{domain::OrderTransitioned{order->id, order->sale_id,
                                                          order->quantity, *to,
                                                          order->updated_at, order->user_id}};
}

// The entries of an XREADGROUP reply for one stream: [[stream, [entry, ...]]], or nil.
const std::vector<RedisReply>* entries_of(const RedisReply& reply) {
    if (reply.kind != RedisReply::Kind::kArray || reply.elements.empty()) return nullptr;
    const auto& stream = reply.elements[0];
    if (stream.elements.size() < 2) return nullptr;
    return &stream.elements[1].elements;
}

// The smallest stream id above `id` ("ms-seq" -> "ms-(seq+1)").
std::string next_id(const std::string& id) {
    auto dash = id.find('-');
    if (dash == std::string::npos) return id;
    return id.substr(0, dash + 1) + std::to_string(std::stoull(id.substr(dash + 1)) + 1);
}

void warn_on_failure(const Result<RedisReply>& reply, const char* what) {
    if (!reply) spdlog::warn("order pipeline: {}: {}", what, reply.error().message);
    if (reply && reply->is_error()) spdlog::warn("order pipeline: {}: {}", what, reply->text);
}

// True once per interval; `due` is when it next is.
bool is_due(std::chrono::steady_clock::time_point& due, std::chrono::milliseconds interval) {
    const auto now = std::chrono::steady_clock::now();
    if (now < due) return false;
    due = now + interval;
    return true;
}

}  // namespace

OrderPipeline::OrderPipeline(clients::RedisOptions redis, OrderStore& store,
                             PipelineOptions options, PipelineMetrics metrics)
    : redis_(std::move(redis)), store_(store), options_(std::move(options)), metrics_(metrics) {}

OrderPipeline::~OrderPipeline() { stop(); }

void OrderPipeline::start() {
    thread_ = std::thread([this] { run(); });
}

void OrderPipeline::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    release_leases();
}

// A clean stop hands its sales over at once instead of after the lease runs out.
void OrderPipeline::release_leases() {
    for (auto& [sale_id, cursor] : cursors_) {
        if (!cursor.leased) continue;
        auto released = redis_.execute({"FCALL", "fs_release_lease", "1",
                                        layout::keys_of(sale_id).lease, options_.consumer});
        warn_on_failure(released, "releasing a lease");
        cursor.leased = false;
    }
}

void OrderPipeline::run() {
    while (!stopping_) {
        std::size_t applied = 0;
        try {
            applied = pass();
        } catch (const StoreError& e) {
            if (metrics_.store_failures) metrics_.store_failures->inc();
            spdlog::warn("order pipeline: the orders database failed ({}); retrying", e.what());
            std::this_thread::sleep_for(options_.store_retry);
            continue;
        }
        if (metrics_.lag && is_due(lag_due_, options_.lag_interval)) {
            metrics_.lag->set(static_cast<double>(lag()));
        }
        if (is_due(recheck_due_, options_.recheck_interval)) {
            for (auto& [sale_id, cursor] : cursors_) cursor.unacknowledged = true;
        }
        if (applied == 0) std::this_thread::sleep_for(options_.idle_wait);
    }
}

std::size_t OrderPipeline::pass() {
    auto members = redis_.execute({"SMEMBERS", std::string(layout::kSalesKey)});
    if (!members || members->is_error()) return 0;  // Redis is away; the next pass retries
    std::size_t applied = 0;
    for (const auto& sale : members->elements) {
        applied += consume(sale.text, cursors_[sale.text]);
        if (stopping_) break;
    }
    return applied;
}

std::int64_t OrderPipeline::lag() {
    auto members = redis_.execute({"SMEMBERS", std::string(layout::kSalesKey)});
    if (!members || members->is_error()) return 0;
    std::int64_t total = 0;
    for (const auto& sale : members->elements) {
        auto length = redis_.execute({"XLEN", layout::keys_of(sale.text).events});
        if (length && !length->is_error()) total += length->integer;
    }
    return total;
}

bool OrderPipeline::take_lease(const std::string& sale_id) {
    auto taken = redis_.execute({"FCALL", "fs_take_lease", "1", layout::keys_of(sale_id).lease,
                                 options_.consumer, std::to_string(options_.lease.count())});
    return taken && taken->integer == 1;
}

// A new holder of a sale's lease first takes over what earlier consumers read but never
// acknowledged (they died or lost the lease), so it applies them before anything newer.
void OrderPipeline::claim_abandoned(const std::string& sale_id) {
    auto events = layout::keys_of(sale_id).events;
    // The group may not exist yet (first pass over this sale); BUSYGROUP means it does, and
    // any other failure shows again in the reads that follow.
    auto created = redis_.execute({"XGROUP", "CREATE", events,
                                   std::string(layout::kConsumerGroup), "0", "MKSTREAM"});
    static_cast<void>(created);
    std::string cursor = "0-0";
    do {
        auto claimed = redis_.execute({"XAUTOCLAIM", events, std::string(layout::kConsumerGroup),
                                       options_.consumer, "0", cursor, "COUNT", "1000", "JUSTID"});
        if (!claimed || claimed->is_error() || claimed->elements.empty()) return;
        cursor = claimed->elements[0].text;
    } while (cursor != "0-0");
}

std::size_t OrderPipeline::consume(const std::string& sale_id, SaleCursor& cursor) {
    bool leased = take_lease(sale_id);
    if (leased && !cursor.leased) {
        claim_abandoned(sale_id);
        cursor.unacknowledged = true;
    }
    cursor.leased = leased;
    if (!leased) return 0;

    auto events = layout::keys_of(sale_id).events;
    auto batch = std::to_string(options_.batch_max);
    // Our own unacknowledged entries first, in stream order, when there may be some; then new
    // ones. Skipping the first read when there are none saves a round trip on nearly every pass.
    for (const std::string_view from : {"0", ">"}) {
        const bool own = from == "0";
        if (own && !cursor.unacknowledged) continue;
        auto read = redis_.execute({"XREADGROUP", "GROUP", std::string(layout::kConsumerGroup),
                                    options_.consumer, "COUNT", batch, "STREAMS", events,
                                    std::string(from)});
        if (!read) {
            // Redis may have delivered the entries before the connection broke: they would
            // wait in this consumer's name, and only a read of our own finds them.
            cursor.unacknowledged = true;
            return 0;
        }
        if (read->is_error()) {
            // NOGROUP: the stream and its group are gone (Redis lost them); the next pass
            // creates the group again, as for a sale seen for the first time.
            cursor.leased = false;
            return 0;
        }
        const auto* entries = entries_of(*read);
        if (entries == nullptr || entries->empty()) {
            if (own) cursor.unacknowledged = false;
            continue;
        }
        cursor.unacknowledged = true;  // should the store fail, these wait in Redis for us
        const auto handled = apply_batch(sale_id, *read);
        const bool acknowledged = acknowledge(sale_id, handled);
        // A batch of our own may have more behind it: those are read until none come back.
        if (!own) cursor.unacknowledged = !acknowledged;
        return handled.size();
    }
    return 0;
}

// The ids of the entries it took care of: applied, already applied, or parked.
std::vector<std::string> OrderPipeline::apply_batch(const std::string& sale_id,
                                                    const RedisReply& reply) {
    const auto& entries = *entries_of(reply);
    std::vector<domain::JournalEntry> batch;
    std::vector<std::string> ids;
    std::vector<const RedisReply*> sources;
    for (const auto& entry : entries) {
        // An id without fields is an entry deleted after it was delivered: nothing to apply.
        if (entry.elements.size() < 2 || entry.elements[1].is_nil()) {
            ids.push_back(entry_id(entry));
            continue;
        }
        auto journal = journal_entry_of(entry);
        if (!journal) {
            park(sale_id, entry, journal.error().message);
            ids.push_back(entry_id(entry));
            continue;
        }
        batch.push_back(std::move(*journal));
        sources.push_back(&entry);
        ids.push_back(entry_id(entry));
    }
    try {
        store_.apply(batch);
        for (const auto& applied : batch) tell(applied);
    } catch (const ConstraintViolation&) {
        // Find the entries the database refuses, one at a time; park them, keep the rest.
        for (std::size_t i = 0; i < batch.size(); ++i) {
            try {
                store_.apply(std::span(&batch[i], 1));
                tell(batch[i]);
            } catch (const ConstraintViolation& e) {
                park(sale_id, *sources[i], e.what());
            }
        }
    }
    if (metrics_.applied) metrics_.applied->inc(batch.size());
    return ids;
}

void OrderPipeline::tell(const domain::JournalEntry& applied) const {
    if (!observer_) return;
    if (const auto* reserved = std::get_if<domain::OrderReserved>(&applied)) {
        observer_("persisted", reserved->order);
    } else if (const auto* change = std::get_if<domain::OrderTransitioned>(&applied)) {
        if (change->to == domain::OrderStatus::kExpired) observer_("expired", stock::order_of(*change));
    }
}

void OrderPipeline::park(const std::string& sale_id, const RedisReply& entry,
                         const std::string& why) {
    spdlog::error("order pipeline: parking entry {} of sale {}: {}", entry_id(entry), sale_id, why);
    if (metrics_.dead_letters) metrics_.dead_letters->inc();
    auto parked = redis_.execute({"XADD", layout::keys_of(sale_id).dead, "*", "id",
                                  entry_id(entry), "type", std::string(entry_field(entry, "type")),
                                  "data", std::string(entry_field(entry, "data")), "error", why});
    warn_on_failure(parked, "parking an entry");
}

// Trims the stream below what the database now holds, then acknowledges it: with the lease,
// every older entry is ours and applied already. Trimming first means a stop between the two
// leaves entries acknowledged-to-be whose data is gone, which the next read of our own entries
// finds and acknowledges; the other order left acknowledged entries in the stream that no read
// returns, and a drain (`flashsale verify`) waited for them until its deadline.
// False when the acknowledgement failed.
bool OrderPipeline::acknowledge(const std::string& sale_id, const std::vector<std::string>& ids) {
    if (ids.empty()) return true;
    auto events = layout::keys_of(sale_id).events;
    warn_on_failure(redis_.execute({"XTRIM", events, "MINID", next_id(ids.back())}),
                    "trimming a stream");
    clients::Command ack{"XACK", events, std::string(layout::kConsumerGroup)};
    ack.insert(ack.end(), ids.begin(), ids.end());
    // Should the acknowledgement be lost, the entries come again, without their data.
    const auto acknowledged = redis_.execute(std::move(ack));
    warn_on_failure(acknowledged, "acknowledging entries");
    return acknowledged && !acknowledged->is_error();
}

}  // namespace flashsale::orders
