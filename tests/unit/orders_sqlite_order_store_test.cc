#include "orders/sqlite_order_store.h"

#include <sqlite3.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "orders/sqlite.h"
#include "orders/sqlite_schema.h"
#include "unit/orders_fixtures.h"

namespace flashsale::orders {
namespace {

using domain::OrderStatus;
using testing::kEnd;
using testing::kStart;
using testing::make_order;
using testing::make_sale;
using testing::reserved;
using testing::saved;
using testing::transitioned;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::int64_t query_int(const std::filesystem::path& file, const std::string& sql) {
    sqlite::Database db(file, SQLITE_OPEN_READONLY);
    sqlite::Statement select(db, sql);
    EXPECT_TRUE(select.step()) << sql;
    return select.column_int64(0);
}

std::int64_t stored_sold(const std::filesystem::path& file, const std::string& sale_id) {
    return query_int(file, "SELECT sold FROM sales WHERE id = '" + sale_id + "'");
}

std::string message_of(OrderStore& store, std::vector<domain::JournalEntry> batch) {
    try {
        store.apply(batch);
    } catch (const StoreError& error) {
        return error.what();
    }
    return "(no StoreError)";
}

class SqliteOrderStoreTest : public ::testing::Test {
protected:
    testing::TempDir dir_;
    std::filesystem::path file_ = dir_ / "orders.db";
};

TEST_F(SqliteOrderStoreTest, AppliedBatchesSurviveReopen) {
    auto sale = make_sale("s1", 10, 3);
    auto paid = make_order("o1", "s1", "u1", 2, "key-1");
    auto open = make_order("o2", "s1", "u2", 1);
    {
        SqliteOrderStore store(file_);
        store.apply(std::vector{saved(sale), reserved(paid), reserved(open)});
        store.apply(std::vector{transitioned(paid, OrderStatus::kPaid)});
    }
    paid.status = OrderStatus::kPaid;
    paid.updated_at = paid.created_at + 10s;
    for (bool read_only : {false, true}) {
        SqliteOrderStore store(file_, read_only);
        auto sales = store.load_sales();
        ASSERT_EQ(sales.size(), 1u);
        EXPECT_EQ(testing::fields(sales[0]), testing::fields(sale));
        auto orders = store.load_orders("s1");
        ASSERT_EQ(orders.size(), 2u);
        EXPECT_EQ(testing::fields(orders[0]), testing::fields(paid));
        EXPECT_EQ(testing::fields(orders[1]), testing::fields(open));
        auto found = store.find_order("o2");
        ASSERT_TRUE(found.has_value());
        EXPECT_EQ(testing::fields(*found), testing::fields(open));
        EXPECT_FALSE(store.find_order("nope").has_value());
        auto counts = store.counts("s1");
        EXPECT_EQ(counts.paid, 2);
        EXPECT_EQ(counts.reserved, 1);
        EXPECT_TRUE(store.ping());
        EXPECT_THAT(store.verify(std::nullopt), ::testing::IsEmpty());
    }
    EXPECT_EQ(query_int(file_, "PRAGMA user_version"), sqlite::kSchemaVersion);
    EXPECT_EQ(stored_sold(file_, "s1"), 3);
}

// The embedded engine restores itself from this one pass: every order of every sale, once,
// in id (time) order, and no index on the sale is kept up to date for it.
TEST_F(SqliteOrderStoreTest, LoadAllVisitsEveryOrderOfEverySaleOnceInIdOrder) {
    auto first = make_order("o1", "s1", "u1", 1);
    auto second = make_order("o2", "s2", "u1", 2);
    auto third = make_order("o3", "s1", "u2", 1, "key-3");
    {
        SqliteOrderStore store(file_);
        store.apply(std::vector{saved(make_sale("s1", 10, 3)), saved(make_sale("s2", 10, 3)),
                                reserved(third), reserved(first), reserved(second)});
        store.apply(std::vector{transitioned(second, OrderStatus::kCancelled)});
    }
    SqliteOrderStore store(file_, true);
    std::vector<std::pair<std::string, std::string>> seen;
    store.load_all([](domain::Sale) {}, [&seen](const domain::Order& order) {
        seen.emplace_back(order.id, std::string(domain::to_string(order.status)));
    });
    EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{
                        {"o1", "reserved"}, {"o2", "cancelled"}, {"o3", "reserved"}}));
    EXPECT_EQ(query_int(file_, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
                               "name = 'orders_sale_status'"),
              0);
}

TEST_F(SqliteOrderStoreTest, OpensInWalMode) {
    SqliteOrderStore store(file_);
    sqlite::Database db(file_, SQLITE_OPEN_READONLY);
    sqlite::Statement mode(db, "PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.column_text(0), "wal");
}

TEST_F(SqliteOrderStoreTest, SaleUpsertChangesFieldsButKeepsSold) {
    SqliteOrderStore store(file_);
    auto sale = make_sale("s1", 10, 5);
    store.apply(std::vector{saved(sale), reserved(make_order("o1", "s1", "u1", 3))});
    sale.name = "renamed";
    sale.stock = 50;
    sale.require_token = true;
    // The admission fields at the edges domain::validate accepts (schema v2's CHECKs mirror it).
    sale.paused = true;
    sale.pow_difficulty_bits = domain::kPowDifficultyBitsMax;
    sale.rate_limit_per_s = 2'147'483'647;
    sale.rate_limit_burst = 0;
    ASSERT_TRUE(domain::validate(sale).ok());
    store.apply(std::vector{saved(sale)});
    auto sales = store.load_sales();
    ASSERT_EQ(sales.size(), 1u);
    EXPECT_EQ(testing::fields(sales[0]), testing::fields(sale));
    EXPECT_EQ(stored_sold(file_, "s1"), 3);
    EXPECT_THAT(store.verify("s1"), ::testing::IsEmpty());
}

TEST_F(SqliteOrderStoreTest, CancelAndExpiryReturnTheirQuantityPaymentKeepsIt) {
    SqliteOrderStore store(file_);
    auto a = make_order("o1", "s1", "u1", 2);
    auto b = make_order("o2", "s1", "u2", 1);
    auto c = make_order("o3", "s1", "u3", 3);
    store.apply(std::vector{saved(make_sale("s1", 10, 3)), reserved(a), reserved(b), reserved(c)});
    EXPECT_EQ(stored_sold(file_, "s1"), 6);
    store.apply(std::vector{transitioned(a, OrderStatus::kCancelled)});
    EXPECT_EQ(stored_sold(file_, "s1"), 4);
    store.apply(std::vector{transitioned(b, OrderStatus::kExpired)});
    EXPECT_EQ(stored_sold(file_, "s1"), 3);
    store.apply(std::vector{transitioned(c, OrderStatus::kPaid)});
    EXPECT_EQ(stored_sold(file_, "s1"), 3);
    auto counts = store.counts("s1");
    EXPECT_EQ(counts.cancelled, 2);
    EXPECT_EQ(counts.expired, 1);
    EXPECT_EQ(counts.paid, 3);
    EXPECT_EQ(counts.reserved, 0);
    EXPECT_EQ(store.find_order("o1")->status, OrderStatus::kCancelled);
    EXPECT_EQ(store.find_order("o1")->updated_at, a.created_at + 10s);
    EXPECT_THAT(store.verify(std::nullopt), ::testing::IsEmpty());
}

TEST_F(SqliteOrderStoreTest, TransitionOfANonReservedOrderThrowsAndRollsBackTheBatch) {
    SqliteOrderStore store(file_);
    auto a = make_order("o1", "s1", "u1", 2);
    store.apply(std::vector{saved(make_sale("s1", 10, 3)), reserved(a)});
    store.apply(std::vector{transitioned(a, OrderStatus::kCancelled)});

    auto b = make_order("o2", "s1", "u2", 1);
    auto message = message_of(store, {reserved(b), transitioned(a, OrderStatus::kExpired)});
    EXPECT_THAT(message, HasSubstr("o1 cannot become expired"));
    EXPECT_FALSE(store.find_order("o2").has_value());
    EXPECT_EQ(store.find_order("o1")->status, OrderStatus::kCancelled);
    EXPECT_EQ(stored_sold(file_, "s1"), 0);

    auto ghost = make_order("ghost", "s1", "u3", 1);
    EXPECT_THROW(store.apply(std::vector{transitioned(ghost, OrderStatus::kPaid)}), StoreError);
    // The writer is usable again after a rollback.
    store.apply(std::vector{reserved(b)});
    EXPECT_EQ(stored_sold(file_, "s1"), 1);
}

TEST_F(SqliteOrderStoreTest, TransitionDisagreeingWithTheStoredOrderThrows) {
    SqliteOrderStore store(file_);
    auto a = make_order("o1", "s1", "u1", 2);
    store.apply(std::vector{saved(make_sale("s1", 10, 3)), reserved(a)});
    auto wrong = a;
    wrong.quantity = 1;
    EXPECT_THAT(message_of(store, {transitioned(wrong, OrderStatus::kCancelled)}),
                HasSubstr("in the journal"));
    EXPECT_EQ(store.find_order("o1")->status, OrderStatus::kReserved);
    EXPECT_EQ(stored_sold(file_, "s1"), 2);
}

TEST_F(SqliteOrderStoreTest, OversellIsRefusedByTheCheckAndNothingOfTheBatchStays) {
    SqliteOrderStore store(file_);
    store.apply(std::vector{saved(make_sale("s1", 2, 5))});
    auto message = message_of(store, {reserved(make_order("o1", "s1", "u1", 1)),
                                      reserved(make_order("o2", "s1", "u2", 2))});
    EXPECT_THAT(message, HasSubstr("CHECK constraint failed"));
    EXPECT_FALSE(store.find_order("o1").has_value());
    EXPECT_EQ(stored_sold(file_, "s1"), 0);
    store.apply(std::vector{reserved(make_order("o3", "s1", "u3", 2))});
    EXPECT_EQ(stored_sold(file_, "s1"), 2);
}

// A batch over several sales moves each sale's sold once; an oversell of any one
// of them refuses the whole batch.
TEST_F(SqliteOrderStoreTest, ABatchOverSeveralSalesMovesEachSoldOrNone) {
    SqliteOrderStore store(file_);
    store.apply(std::vector{saved(make_sale("s1", 5, 5)), saved(make_sale("s2", 5, 5)),
                            saved(make_sale("s-3", 2, 5))});
    auto cancelled = make_order("o3", "s2", "u1", 2);
    store.apply(std::vector{reserved(make_order("o1", "s1", "u1", 3)), reserved(cancelled),
                            reserved(make_order("o2", "s1", "u2", 1)),
                            reserved(make_order("o4", "s-3", "u1", 2))});
    store.apply(std::vector{transitioned(cancelled, OrderStatus::kCancelled),
                            reserved(make_order("o5", "s2", "u3", 1))});
    EXPECT_EQ(stored_sold(file_, "s1"), 4);
    EXPECT_EQ(stored_sold(file_, "s2"), 1);
    EXPECT_EQ(stored_sold(file_, "s-3"), 2);
    auto message = message_of(store, {reserved(make_order("o6", "s1", "u3", 1)),
                                      reserved(make_order("o7", "s-3", "u2", 1))});
    EXPECT_THAT(message, HasSubstr("CHECK constraint failed"));
    EXPECT_FALSE(store.find_order("o6").has_value());
    EXPECT_EQ(stored_sold(file_, "s1"), 4);
    EXPECT_EQ(stored_sold(file_, "s-3"), 2);
}

// The writer remembers where each sale's row is. SQLite may renumber the rows of such a table
// (a VACUUM may, says its documentation); here another connection swaps two sales' rows, and
// the sold of each sale must still land on that sale's row.
TEST_F(SqliteOrderStoreTest, SoldLandsOnTheRightSaleAfterTheRowsMoved) {
    SqliteOrderStore store(file_);
    store.apply(std::vector{saved(make_sale("s1", 5, 5)), saved(make_sale("s2", 5, 5))});
    store.apply(std::vector{reserved(make_order("o1", "s1", "u1", 1)),
                            reserved(make_order("o2", "s2", "u1", 2))});
    const auto rowid_of_s1 = query_int(file_, "SELECT rowid FROM sales WHERE id = 's1'");
    const auto rowid_of_s2 = query_int(file_, "SELECT rowid FROM sales WHERE id = 's2'");
    {
        sqlite::Database other(file_, SQLITE_OPEN_READWRITE);
        other.exec(fmt::format("UPDATE sales SET rowid = 1000 WHERE id = 's1'; "
                               "UPDATE sales SET rowid = {} WHERE id = 's2'; "
                               "UPDATE sales SET rowid = {} WHERE id = 's1'",
                               rowid_of_s1, rowid_of_s2));
    }
    ASSERT_EQ(query_int(file_, "SELECT rowid FROM sales WHERE id = 's2'"), rowid_of_s1);
    store.apply(std::vector{reserved(make_order("o3", "s1", "u2", 1)),
                            reserved(make_order("o4", "s2", "u2", 2))});
    EXPECT_EQ(stored_sold(file_, "s1"), 2);
    EXPECT_EQ(stored_sold(file_, "s2"), 4);
}

// Reservations go in by the INSERT of up to 16 rows; every other entry must still see them,
// in journal order: here a cancel of an order reserved earlier in the same batch, in the middle
// of 40 reservations over two sales.
TEST_F(SqliteOrderStoreTest, ABatchOfManyReservationsKeepsJournalOrder) {
    SqliteOrderStore store(file_);
    store.apply(std::vector{saved(make_sale("s1", 100, 100)), saved(make_sale("s2", 100, 100))});
    std::vector<domain::JournalEntry> batch;
    std::vector<domain::Order> orders;
    for (int i = 0; i < 40; ++i) {
        orders.push_back(make_order(fmt::format("o{:02}", i), i % 2 == 0 ? "s1" : "s2",
                                    fmt::format("u{}", i), 1 + i % 3,
                                    i % 5 == 0 ? fmt::format("key-{}", i) : ""));
    }
    for (int i = 0; i < 40; ++i) {
        batch.push_back(reserved(orders[i]));
        if (i == 20) batch.push_back(transitioned(orders[3], OrderStatus::kCancelled));
    }
    store.apply(batch);
    std::int64_t s1 = 0, s2 = 0;
    for (int i = 0; i < 40; ++i) {
        if (i == 3) continue;
        (i % 2 == 0 ? s1 : s2) += 1 + i % 3;
    }
    EXPECT_EQ(stored_sold(file_, "s1"), s1);
    EXPECT_EQ(stored_sold(file_, "s2"), s2);
    EXPECT_EQ(store.load_orders("s1").size() + store.load_orders("s2").size(), 40u);
    EXPECT_EQ(store.find_order("o03")->status, OrderStatus::kCancelled);
    EXPECT_EQ(store.find_order("o25")->idempotency_key, "key-25");
    EXPECT_EQ(store.find_order("o39")->quantity, 1);
}

TEST_F(SqliteOrderStoreTest, DuplicateIdempotencyKeyAndUnknownSaleAreRefused) {
    SqliteOrderStore store(file_);
    store.apply(std::vector{saved(make_sale("s1", 10, 5))});
    store.apply(std::vector{reserved(make_order("o1", "s1", "u1", 1, "k"))});
    EXPECT_THAT(message_of(store, {reserved(make_order("o2", "s1", "u1", 1, "k"))}),
                HasSubstr("UNIQUE"));
    EXPECT_THAT(message_of(store, {reserved(make_order("o3", "s9", "u1", 1))}),
                HasSubstr("FOREIGN KEY"));
    EXPECT_EQ(store.load_orders("s1").size(), 1u);
}

TEST_F(SqliteOrderStoreTest, ReadOnlyOpenOfAMissingFileFailsAndCreatesNothing) {
    try {
        SqliteOrderStore store(file_, /*read_only=*/true);
        FAIL() << "opened a missing file";
    } catch (const StoreError& error) {
        EXPECT_THAT(error.what(), HasSubstr("does not exist"));
    }
    EXPECT_FALSE(std::filesystem::exists(file_));
}

TEST_F(SqliteOrderStoreTest, ReadOnlyStoreRefusesWritesAndForeignFiles) {
    { SqliteOrderStore store(file_); }
    SqliteOrderStore read_only(file_, true);
    EXPECT_THROW(read_only.apply(std::vector{saved(make_sale("s1", 1, 1))}), StoreError);

    auto other = dir_ / "other.db";
    { sqlite::Database db(other, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE); }
    EXPECT_THROW(SqliteOrderStore(other, true), StoreError);
}

TEST_F(SqliteOrderStoreTest, FileOfANewerSchemaIsRefused) {
    {
        sqlite::Database db(file_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        db.exec("PRAGMA user_version = 99");
    }
    try {
        SqliteOrderStore store(file_);
        FAIL() << "opened a newer schema";
    } catch (const StoreError& error) {
        EXPECT_THAT(error.what(), HasSubstr("newer"));
    }
}

// Version 3 rebuilt the orders table (WITHOUT ROWID, one index fewer) and version 4 dropped
// the (sale_id, status) index; a file written by version 2 keeps every order and reads the
// same afterwards.
TEST_F(SqliteOrderStoreTest, AVersionTwoFileMigratesWithItsOrders) {
    {
        sqlite::Database db(file_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        sqlite::migrate(db, 2);
        db.exec("INSERT INTO sales (id, name, stock, per_user_limit, price_cents, starts_at_ms, "
                "ends_at_ms, reservation_ttl_s, require_token, sold) "
                "VALUES ('s1', 'Sale', 10, 2, 100, 1000, 9000, 60, 0, 3)");
        db.exec("INSERT INTO orders VALUES ('o1', 's1', 'u1', 2, 'paid', 1000, 2000, 1500, 'k1'), "
                "('o2', 's1', 'u2', 1, 'reserved', 1100, 2100, 1100, NULL)");
    }
    SqliteOrderStore store(file_);
    EXPECT_EQ(query_int(file_, "PRAGMA user_version"), sqlite::kSchemaVersion);
    auto orders = store.load_orders("s1");
    ASSERT_EQ(orders.size(), 2u);
    EXPECT_EQ(orders[0].id, "o1");
    EXPECT_EQ(orders[0].status, OrderStatus::kPaid);
    EXPECT_EQ(orders[0].idempotency_key, "k1");
    EXPECT_EQ(orders[1].id, "o2");
    EXPECT_EQ(orders[1].quantity, 1);
    EXPECT_EQ(store.counts("s1").paid, 2);
    EXPECT_THAT(store.verify(std::nullopt), ::testing::IsEmpty());
    EXPECT_EQ(query_int(file_, "SELECT count(*) FROM sqlite_schema WHERE name = 'orders' AND "
                               "sql LIKE '%WITHOUT ROWID%'"),
              1);
    EXPECT_EQ(query_int(file_, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
                               "tbl_name = 'orders' AND sql IS NOT NULL"),
              1);  // orders_idempotency
    // The idempotency key is still unique per buyer and sale after the rebuild.
    EXPECT_THAT(message_of(store, {reserved(make_order("o3", "s1", "u1", 1, "k1"))}),
                HasSubstr("UNIQUE"));
}

// Readers see committed batches only, and never block or break the writer.
TEST_F(SqliteOrderStoreTest, ConcurrentReadsWhileTheWriterApplies) {
    constexpr int kBatches = 100, kPerBatch = 10;
    SqliteOrderStore store(file_);
    store.apply(std::vector{saved(make_sale("s1", kBatches * kPerBatch, 1))});
    std::atomic<int> committed{0};  // orders known to be committed
    std::atomic<bool> done{false};
    std::atomic<int> failures{0}, reads{0};
    auto read_loop = [&] {
        try {
            while (!done.load()) {
                int before = committed.load();
                auto counts = store.counts("s1");
                if (counts.reserved < before || counts.reserved % kPerBatch != 0) ++failures;
                if (before > 0 && !store.find_order(fmt::format("o{}", before - 1))) ++failures;
                if (static_cast<int>(store.load_orders("s1").size()) < before) ++failures;
                ++reads;
            }
        } catch (const std::exception& error) {
            ADD_FAILURE() << error.what();
            ++failures;
        }
    };
    std::vector<std::thread> readers;
    for (int i = 0; i < 4; ++i) readers.emplace_back(read_loop);
    try {
        for (int batch = 0; batch < kBatches; ++batch) {
            std::vector<domain::JournalEntry> entries;
            for (int i = 0; i < kPerBatch; ++i) {
                int n = batch * kPerBatch + i;
                entries.push_back(reserved(make_order(fmt::format("o{}", n), "s1",
                                                      fmt::format("u{}", n), 1)));
            }
            store.apply(entries);
            committed += kPerBatch;
        }
    } catch (const StoreError& error) {
        ADD_FAILURE() << error.what();
    }
    done = true;
    for (auto& reader : readers) reader.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_GT(reads.load(), 4);
    EXPECT_EQ(store.counts("s1").reserved, kBatches * kPerBatch);
    EXPECT_THAT(store.verify(std::nullopt), ::testing::IsEmpty());
}

// One planted violation: raw SQL run through a separate connection that bypasses the schema's
// constraints, and the invariants verify must then report (nothing else).
struct Planted {
    std::string name;
    std::string sql;
    std::set<std::string> expected;       // the invariants verify must report, and no other
    std::optional<std::string> filter{};  // verify's argument
    std::string sale_id = "s1";           // the sale each violation must name
};

void PrintTo(const Planted& planted, std::ostream* out) { *out << planted.name; }

std::string insert_order(const std::string& id, const std::string& sale_id, int quantity,
                         const std::string& status, std::int64_t created_ms,
                         std::int64_t expires_ms, const std::string& key = "NULL",
                         const std::string& user = "u1") {
    return fmt::format("INSERT INTO orders VALUES ('{}', '{}', '{}', {}, '{}', {}, {}, {}, {});",
                       id, sale_id, user, quantity, status, created_ms, expires_ms, created_ms,
                       key);
}

std::vector<Planted> planted_violations() {
    auto in = to_unix_ms(kStart) + 5000, later = in + 300'000;
    auto unchecked = std::string("PRAGMA ignore_check_constraints = ON;");
    return {
        {"LiveAboveStock", unchecked + "UPDATE sales SET stock = 2 WHERE id = 's1';", {"I1"}},
        {"SoldDriftsFromOrders", "UPDATE sales SET sold = sold + 1 WHERE id = 's1';", {"I5"}},
        {"ReleaseMissed",
         "UPDATE orders SET status = 'cancelled' WHERE id = 'o2';", {"I5"}},
        {"UserAboveLimit",
         insert_order("o9", "s1", 2, "paid", in, later) +
             "UPDATE sales SET sold = sold + 2 WHERE id = 's1';",
         {"I2"}},
        {"DuplicateIdempotencyKey",
         "DROP INDEX orders_idempotency;" +
             insert_order("o9", "s1", 1, "cancelled", in, later, "'key-1'"),
         {"I4"}},
        {"CreatedBeforeTheWindow",
         insert_order("o9", "s1", 1, "cancelled", to_unix_ms(kStart) - 1, later), {"I6"}},
        {"CreatedAtTheEnd",
         insert_order("o9", "s1", 1, "expired", to_unix_ms(kEnd), to_unix_ms(kEnd) + 1), {"I6"}},
        {"ZeroQuantity", unchecked + insert_order("o9", "s1", 0, "cancelled", in, later), {"I3"}},
        {"ExpiresBeforeCreated",
         unchecked + insert_order("o9", "s1", 1, "cancelled", in, in), {"I3"}},
        {"UnknownStatus", unchecked + insert_order("o9", "s1", 1, "lost", in, later), {"I3"}},
        {"UnknownSale", insert_order("o9", "ghost", 1, "paid", in, later), {"I3"}, {}, "ghost"},
        {"UnknownSaleFiltered", insert_order("o9", "ghost", 1, "paid", in, later), {"I3"},
         "ghost", "ghost"},
        {"UnknownSaleOutsideTheFilter", insert_order("o9", "ghost", 1, "paid", in, later), {},
         "s1"},
        {"OtherSaleFilteredOut", "UPDATE sales SET sold = sold + 1 WHERE id = 's1';", {}, "s2"},
    };
}

class VerifyTest : public ::testing::TestWithParam<Planted> {
protected:
    void SetUp() override {
        SqliteOrderStore store(file_);
        store.apply(std::vector{saved(make_sale("s1", 10, 3)), saved(make_sale("s2", 5, 1)),
                                reserved(make_order("o1", "s1", "u1", 2, "key-1")),
                                reserved(make_order("o2", "s1", "u2", 1)),
                                reserved(make_order("o3", "s2", "u1", 1))});
        store.apply(std::vector{transitioned(make_order("o3", "s2", "u1", 1), OrderStatus::kPaid)});
    }

    testing::TempDir dir_;
    std::filesystem::path file_ = dir_ / "orders.db";
};

TEST_P(VerifyTest, ReportsThePlantedViolation) {
    const auto& planted = GetParam();
    SqliteOrderStore store(file_);
    ASSERT_THAT(store.verify(std::nullopt), ::testing::IsEmpty());
    {
        sqlite::Database raw(file_, SQLITE_OPEN_READWRITE);  // foreign keys off by default
        raw.exec(planted.sql);
    }
    auto violations = store.verify(planted.filter);
    std::set<std::string> found;
    for (const auto& violation : violations) {
        found.insert(violation.invariant);
        EXPECT_FALSE(violation.detail.empty());
        EXPECT_EQ(violation.sale_id, planted.sale_id);
    }
    EXPECT_EQ(found, planted.expected);
}

INSTANTIATE_TEST_SUITE_P(Planted, VerifyTest, ::testing::ValuesIn(planted_violations()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace flashsale::orders
