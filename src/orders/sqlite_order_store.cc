#include "orders/sqlite_order_store.h"

#include <sqlite3.h>

#include <array>
#include <limits>
#include <memory>
#include <span>
#include <unordered_map>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "common/check.h"
#include "orders/sqlite.h"
#include "orders/sqlite_schema.h"
#include "orders/sqlite_verify.h"

namespace flashsale::orders {
namespace {

using sqlite::Database;
using sqlite::Statement;

constexpr int kBusyTimeoutMs = 5000;
// Orders per INSERT statement: each statement run opens its cursors and closes its statement
// transaction, a third of an order's insert when done row by row.
constexpr std::size_t kInsertRowsMax = 16;
constexpr int kInsertParametersPerRow = 8;
constexpr std::size_t kIdleReadersMax = 8;

constexpr std::string_view kOrderColumns =
    "id, sale_id, user_id, quantity, status, created_at_ms, expires_at_ms, updated_at_ms, "
    "idempotency_key";
constexpr std::string_view kSaleColumns =
    "id, name, stock, per_user_limit, price_cents, starts_at_ms, ends_at_ms, reservation_ttl_s, "
    "require_token, paused, pow_difficulty_bits, rate_limit_per_s, rate_limit_burst";

std::int32_t to_int32(std::int64_t value, std::string_view what) {
    if (value < std::numeric_limits<std::int32_t>::min() ||
        value > std::numeric_limits<std::int32_t>::max()) {
        throw StoreError(fmt::format("stored {} {} is out of range", what, value));
    }
    return static_cast<std::int32_t>(value);
}

// `row` holds the columns of kOrderColumns, in that order.
domain::Order read_order(const Statement& row) {
    domain::Order order;
    order.id = row.column_text(0);
    order.sale_id = row.column_text(1);
    order.user_id = row.column_text(2);
    order.quantity = to_int32(row.column_int64(3), "quantity");
    auto status_text = row.column_text(4);
    auto status = domain::parse_order_status(status_text);
    if (!status) {
        throw StoreError(fmt::format("order {} has unknown status '{}'", order.id, status_text));
    }
    order.status = *status;
    order.created_at = from_unix_ms(row.column_int64(5));
    order.expires_at = from_unix_ms(row.column_int64(6));
    order.updated_at = from_unix_ms(row.column_int64(7));
    order.idempotency_key = row.column_text(8);  // NULL reads as empty
    return order;
}

// `row` holds the columns of kSaleColumns, in that order.
domain::Sale read_sale(const Statement& row) {
    domain::Sale sale;
    sale.id = row.column_text(0);
    sale.name = row.column_text(1);
    sale.stock = row.column_int64(2);
    sale.per_user_limit = to_int32(row.column_int64(3), "per_user_limit");
    sale.price_cents = row.column_int64(4);
    sale.starts_at = from_unix_ms(row.column_int64(5));
    sale.ends_at = from_unix_ms(row.column_int64(6));
    sale.reservation_ttl_s = to_int32(row.column_int64(7), "reservation_ttl_s");
    sale.require_token = row.column_int64(8) != 0;
    sale.paused = row.column_int64(9) != 0;
    sale.pow_difficulty_bits = to_int32(row.column_int64(10), "pow_difficulty_bits");
    sale.rate_limit_per_s = to_int32(row.column_int64(11), "rate_limit_per_s");
    sale.rate_limit_burst = to_int32(row.column_int64(12), "rate_limit_burst");
    return sale;
}

std::unique_ptr<Database> open_writer_database(const std::filesystem::path& file) {
    auto db = std::make_unique<Database>(
        file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    db->exec(fmt::format("PRAGMA busy_timeout = {}", kBusyTimeoutMs));
    {
        Statement journal_mode(*db, "PRAGMA journal_mode = WAL");
        if (!journal_mode.step() || journal_mode.column_text(0) != "wal") {
            throw StoreError(fmt::format("{}: cannot switch to WAL journal mode", file.string()));
        }
    }  // finalized here: a statement still running would keep the migration from committing
    // FULL: the WAL is fsynced at every commit, so a power cut cannot lose a committed batch.
    db->exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
    sqlite::migrate(*db);
    return db;
}

}  // namespace

// The writer connection and its cached statements; used by apply() only.
struct SqliteOrderStore::Writer {
    explicit Writer(std::unique_ptr<Database> database);

    void apply(std::span<const domain::JournalEntry> batch);
    void apply_entry(const domain::SaleSaved& entry);
    void apply_entry(const domain::OrderReserved& entry);
    void apply_entry(const domain::OrderTransitioned& entry);
    void apply_entry(const domain::Barrier&) {}  // writes nothing: durable with its batch
    void add_sold(const std::string& sale_id, std::int64_t delta);
    void flush_inserts();
    Statement& insert_orders(std::size_t rows);
    void flush_sold();
    bool add_sold_at_known_row(const std::string& sale_id, std::int64_t delta);
    void add_sold_by_id(const std::string& sale_id, std::int64_t delta);
    void rollback() noexcept;

    std::unique_ptr<Database> db;  // declared first: outlives the statements
    Statement begin, commit, upsert_sale, add_sold_to_sale, transition;
    Statement add_sold_at_rowid;
    // INSERT statements of 1 to kInsertRowsMax orders, prepared when first needed.
    std::array<std::unique_ptr<Statement>, kInsertRowsMax + 1> insert_statements;
    // The batch's reservations not inserted yet (they live in the batch being applied). They
    // go in before any other entry, so that everything reaches the database in journal order.
    std::vector<const domain::Order*> pending_inserts;
    // Each sale's change of `sold` within the batch, written once per sale before the commit
    // (and before any sale row is rewritten, so its CHECK sees the same numbers as before).
    std::unordered_map<std::string, std::int64_t> sold_deltas;
    // Where each sale's row is: with many sales at once, a batch updates one row per sale,
    // and finding it through the id's index first was a third of each update.
    std::unordered_map<std::string, std::int64_t> sale_rowids;
};

SqliteOrderStore::Writer::Writer(std::unique_ptr<Database> database)
    : db(std::move(database)),
      begin(*db, "BEGIN IMMEDIATE"),
      commit(*db, "COMMIT"),
      upsert_sale(*db, fmt::format("INSERT INTO sales ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                                   "?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                                   "stock = excluded.stock, "
                                   "per_user_limit = excluded.per_user_limit, "
                                   "price_cents = excluded.price_cents, "
                                   "starts_at_ms = excluded.starts_at_ms, "
                                   "ends_at_ms = excluded.ends_at_ms, "
                                   "reservation_ttl_s = excluded.reservation_ttl_s, "
                                   "require_token = excluded.require_token, "
                                   "paused = excluded.paused, "
                                   "pow_difficulty_bits = excluded.pow_difficulty_bits, "
                                   "rate_limit_per_s = excluded.rate_limit_per_s, "
                                   "rate_limit_burst = excluded.rate_limit_burst",
                                   kSaleColumns)),
      add_sold_to_sale(*db, "UPDATE sales SET sold = sold + ?2 WHERE id = ?1 RETURNING rowid"),
      transition(*db,
                 "UPDATE orders SET status = ?2, updated_at_ms = ?3 "
                 "WHERE id = ?1 AND status = 'reserved' RETURNING sale_id, quantity"),
      // The id is checked as well: a VACUUM may renumber the rows of a table like this one.
      add_sold_at_rowid(*db, "UPDATE sales SET sold = sold + ?2 WHERE rowid = ?3 AND id = ?1") {}

void SqliteOrderStore::Writer::apply(std::span<const domain::JournalEntry> batch) {
    begin.run();
    try {
        for (const auto& entry : batch) {
            if (!std::holds_alternative<domain::OrderReserved>(entry)) flush_inserts();
            std::visit([this](const auto& alternative) { apply_entry(alternative); }, entry);
        }
        flush_inserts();
        flush_sold();
        commit.run();
    } catch (const StoreError&) {
        rollback();
        throw;
    } catch (const std::exception& error) {
        rollback();
        throw StoreError(fmt::format("apply failed: {}", error.what()));
    }
}

void SqliteOrderStore::Writer::apply_entry(const domain::SaleSaved& entry) {
    flush_sold();
    const auto& sale = entry.sale;
    upsert_sale.bind_text(1, sale.id);
    upsert_sale.bind_text(2, sale.name);
    upsert_sale.bind_int64(3, sale.stock);
    upsert_sale.bind_int64(4, sale.per_user_limit);
    upsert_sale.bind_int64(5, sale.price_cents);
    upsert_sale.bind_int64(6, to_unix_ms(sale.starts_at));
    upsert_sale.bind_int64(7, to_unix_ms(sale.ends_at));
    upsert_sale.bind_int64(8, sale.reservation_ttl_s);
    upsert_sale.bind_int64(9, sale.require_token ? 1 : 0);
    upsert_sale.bind_int64(10, sale.paused ? 1 : 0);
    upsert_sale.bind_int64(11, sale.pow_difficulty_bits);
    upsert_sale.bind_int64(12, sale.rate_limit_per_s);
    upsert_sale.bind_int64(13, sale.rate_limit_burst);
    upsert_sale.run();
}

void SqliteOrderStore::Writer::apply_entry(const domain::OrderReserved& entry) {
    const auto& order = entry.order;
    if (order.status != domain::OrderStatus::kReserved) {
        throw StoreError(fmt::format("order {} journaled as reserved with status {} (a bug)",
                                     order.id, domain::to_string(order.status)));
    }
    pending_inserts.push_back(&order);
    add_sold(order.sale_id, order.quantity);
}

void SqliteOrderStore::Writer::flush_inserts() {
    std::span<const domain::Order* const> rest(pending_inserts);
    while (!rest.empty()) {
        const auto rows = rest.first(std::min(rest.size(), kInsertRowsMax));
        auto& insert = insert_orders(rows.size());
        int at = 0;
        for (const auto* order : rows) {
            insert.bind_text(++at, order->id);
            insert.bind_text(++at, order->sale_id);
            insert.bind_text(++at, order->user_id);
            insert.bind_int64(++at, order->quantity);
            insert.bind_int64(++at, to_unix_ms(order->created_at));
            insert.bind_int64(++at, to_unix_ms(order->expires_at));
            insert.bind_int64(++at, to_unix_ms(order->updated_at));
            if (order->idempotency_key.empty()) {
                insert.bind_null(++at);
            } else {
                insert.bind_text(++at, order->idempotency_key);
            }
        }
        insert.run();
        rest = rest.subspan(rows.size());
    }
    pending_inserts.clear();
}

Statement& SqliteOrderStore::Writer::insert_orders(std::size_t rows) {
    auto& statement = insert_statements[rows];
    if (statement) return *statement;
    std::string values;
    for (std::size_t row = 0; row < rows; ++row) {
        const auto p = static_cast<int>(row) * kInsertParametersPerRow;
        values += fmt::format("{}(?{}, ?{}, ?{}, ?{}, 'reserved', ?{}, ?{}, ?{}, ?{})",
                              row == 0 ? "" : ", ", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6,
                              p + 7, p + 8);
    }
    statement = std::make_unique<Statement>(
        *db, fmt::format("INSERT INTO orders ({}) VALUES {}", kOrderColumns, values));
    return *statement;
}

void SqliteOrderStore::Writer::apply_entry(const domain::OrderTransitioned& entry) {
    if (!domain::can_transition(domain::OrderStatus::kReserved, entry.to)) {
        throw StoreError(fmt::format("order {}: transition to {} journaled (a bug)",
                                     entry.order_id, domain::to_string(entry.to)));
    }
    transition.bind_text(1, entry.order_id);
    transition.bind_text(2, domain::to_string(entry.to));
    transition.bind_int64(3, to_unix_ms(entry.at));
    if (!transition.step()) {
        transition.reset();
        throw StoreError(fmt::format("order {} cannot become {}: missing or not reserved (a bug "
                                     "upstream, or a release applied twice)",
                                     entry.order_id, domain::to_string(entry.to)));
    }
    // The stored sale and quantity are authoritative; a journal that disagrees has a bug.
    auto sale_id = transition.column_text(0);
    auto quantity = transition.column_int64(1);
    transition.reset();
    if (sale_id != entry.sale_id || quantity != entry.quantity) {
        throw StoreError(fmt::format("order {} is {} x{} in the store but {} x{} in the journal",
                                     entry.order_id, sale_id, quantity, entry.sale_id,
                                     entry.quantity));
    }
    if (!domain::holds_stock(entry.to)) add_sold(sale_id, -quantity);
}

void SqliteOrderStore::Writer::add_sold(const std::string& sale_id, std::int64_t delta) {
    sold_deltas[sale_id] += delta;
}

// One UPDATE per sale and batch instead of one per order: the same sum, in the same
// transaction, for a fraction of the statements. CHECK (sold >= 0 AND sold <= stock) refuses
// oversell here.
void SqliteOrderStore::Writer::flush_sold() {
    for (const auto& [sale_id, delta] : sold_deltas) {
        if (!add_sold_at_known_row(sale_id, delta)) add_sold_by_id(sale_id, delta);
    }
    sold_deltas.clear();
}

// The update at the sale's remembered row; false, with nothing changed, when no row is
// remembered or the row there is not the sale's any more.
bool SqliteOrderStore::Writer::add_sold_at_known_row(const std::string& sale_id,
                                                     std::int64_t delta) {
    const auto known = sale_rowids.find(sale_id);
    if (known == sale_rowids.end()) return false;
    add_sold_at_rowid.bind_text(1, sale_id);
    add_sold_at_rowid.bind_int64(2, delta);
    add_sold_at_rowid.bind_int64(3, known->second);
    add_sold_at_rowid.run();
    if (db->changes() == 1) return true;
    sale_rowids.erase(known);
    return false;
}

// The update through the id's index, which also tells where the row is for the next batches.
void SqliteOrderStore::Writer::add_sold_by_id(const std::string& sale_id, std::int64_t delta) {
    add_sold_to_sale.bind_text(1, sale_id);
    add_sold_to_sale.bind_int64(2, delta);
    const bool found = add_sold_to_sale.step();  // the update happens here, in full
    const auto rowid = found ? add_sold_to_sale.column_int64(0) : 0;
    add_sold_to_sale.reset();
    if (!found) throw StoreError(fmt::format("sale {} does not exist", sale_id));
    sale_rowids[sale_id] = rowid;
}

void SqliteOrderStore::Writer::rollback() noexcept {
    sold_deltas.clear();
    pending_inserts.clear();
    for (auto& insert : insert_statements) {
        if (insert) insert->reset();
    }
    sale_rowids.clear();  // a sale created by the failed batch is not there any more
    for (Statement* statement :
         {&begin, &commit, &upsert_sale, &add_sold_to_sale, &transition, &add_sold_at_rowid}) {
        statement->reset();
    }
    try {
        if (db->in_transaction()) db->exec("ROLLBACK");
    } catch (const StoreError&) {
        // Nothing more to do: the caller reports the original failure and stops writing.
    }
}

// A reader connection borrowed from the store's pool for one call, returned when it ends.
class SqliteOrderStore::ReaderLease {
public:
    explicit ReaderLease(SqliteOrderStore& store) : store_(store) {
        {
            std::lock_guard lock(store_.readers_mutex_);
            if (!store_.idle_readers_.empty()) {
                db_ = std::move(store_.idle_readers_.back());
                store_.idle_readers_.pop_back();
            }
        }
        if (!db_) db_ = store_.open_reader();  // outside the lock: opening touches the disk
    }
    ~ReaderLease() {
        std::lock_guard lock(store_.readers_mutex_);
        if (store_.idle_readers_.size() < kIdleReadersMax) {
            store_.idle_readers_.push_back(std::move(db_));
        }
    }  // a connection beyond kIdleReadersMax closes here, after the lock is released
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;

    Database& db() { return *db_; }

private:
    SqliteOrderStore& store_;
    std::unique_ptr<Database> db_;
};

SqliteOrderStore::SqliteOrderStore(std::filesystem::path file, bool read_only)
    : file_(std::move(file)) {
    if (!read_only) {
        writer_ = std::make_unique<Writer>(open_writer_database(file_));
        return;
    }
    std::error_code error;
    if (!std::filesystem::exists(file_, error)) {
        throw StoreError(fmt::format("orders database {} does not exist", file_.string()));
    }
    ReaderLease lease(*this);
    sqlite::check_schema_version(lease.db());
}

SqliteOrderStore::~SqliteOrderStore() = default;

std::unique_ptr<Database> SqliteOrderStore::open_reader() const {
    auto db = std::make_unique<Database>(file_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    db->exec(fmt::format("PRAGMA busy_timeout = {}", kBusyTimeoutMs));
    return db;
}

void SqliteOrderStore::apply(std::span<const domain::JournalEntry> batch) {
    if (!writer_) throw StoreError(fmt::format("{} is open read-only", file_.string()));
    FS_CHECK(!applying_.exchange(true));  // the contract: one thread at a time
    struct Done {
        std::atomic<bool>& applying;
        ~Done() { applying = false; }
    } done{applying_};
    writer_->apply(batch);
}

std::vector<domain::Sale> SqliteOrderStore::load_sales() {
    ReaderLease lease(*this);
    Statement select(lease.db(), fmt::format("SELECT {} FROM sales ORDER BY id", kSaleColumns));
    std::vector<domain::Sale> sales;
    while (select.step()) sales.push_back(read_sale(select));
    return sales;
}

std::vector<domain::Order> SqliteOrderStore::load_orders(std::string_view sale_id) {
    ReaderLease lease(*this);
    Statement select(lease.db(), fmt::format("SELECT {} FROM orders WHERE sale_id = ?1 "
                                             "ORDER BY created_at_ms, id",
                                             kOrderColumns));
    select.bind_text(1, sale_id);
    std::vector<domain::Order> orders;
    while (select.step()) orders.push_back(read_order(select));
    return orders;
}

void SqliteOrderStore::load_all(const std::function<void(domain::Sale)>& on_sale,
                                const std::function<void(const domain::Order&)>& on_order) {
    for (auto& sale : load_sales()) on_sale(std::move(sale));
    ReaderLease lease(*this);
    Statement select(lease.db(), fmt::format("SELECT {} FROM orders ORDER BY id", kOrderColumns));
    while (select.step()) on_order(read_order(select));
}

std::optional<domain::Order> SqliteOrderStore::find_order(std::string_view order_id) {
    ReaderLease lease(*this);
    Statement select(lease.db(),
                     fmt::format("SELECT {} FROM orders WHERE id = ?1", kOrderColumns));
    select.bind_text(1, order_id);
    if (!select.step()) return std::nullopt;
    return read_order(select);
}

SaleCounts SqliteOrderStore::counts(std::string_view sale_id) {
    ReaderLease lease(*this);
    Statement select(lease.db(),
                     "SELECT status, SUM(quantity) FROM orders WHERE sale_id = ?1 GROUP BY status");
    select.bind_text(1, sale_id);
    SaleCounts counts;
    while (select.step()) {
        auto status = domain::parse_order_status(select.column_text(0));
        if (!status) throw StoreError(fmt::format("sale {} has orders of unknown status", sale_id));
        auto units = select.column_int64(1);
        counts.add(*status, units);
    }
    return counts;
}

std::vector<Violation> SqliteOrderStore::verify(std::optional<std::string> sale_id) {
    ReaderLease lease(*this);
    return sqlite::verify_invariants(lease.db(), sale_id, kViolationsPerCheckMax);
}

bool SqliteOrderStore::ping() {
    try {
        ReaderLease lease(*this);
        Statement select(lease.db(), "SELECT count(*) FROM sqlite_schema");
        return select.step();
    } catch (const StoreError&) {
        return false;
    }
}

}  // namespace flashsale::orders
