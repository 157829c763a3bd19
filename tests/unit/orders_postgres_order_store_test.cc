// PostgresOrderStore against a real PostgreSQL 15: one server per test suite (per process under
// ctest), a fresh database per test.
#include "orders/postgres_order_store.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "clients/postgres.h"
#include "orders/postgres_schema.h"
#include "services/postgres_server.h"
#include "unit/orders_fixtures.h"

namespace flashsale::orders {
namespace {

using domain::OrderStatus;
using testing::make_order;
using testing::make_sale;
using testing::reserved;
using testing::saved;
using testing::transitioned;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
using Batch = std::vector<domain::JournalEntry>;

// How apply ended: "ok", "refused" (ConstraintViolation) or "error" (another StoreError), and
// the message.
struct Outcome {
    std::string kind;
    std::string message;
};

Outcome apply_outcome(OrderStore& store, const Batch& batch) {
    try {
        store.apply(batch);
        return {"ok", ""};
    } catch (const ConstraintViolation& error) {
        return {"refused", error.what()};
    } catch (const StoreError& error) {
        return {"error", error.what()};
    }
}

class PostgresOrderStoreTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server_ = std::make_unique<flashsale::testing::PostgresServer>(); }
    static void TearDownTestSuite() { server_.reset(); }

    void SetUp() override {
        ASSERT_NE(server_, nullptr) << "PostgreSQL did not start";
        if (!server_->running()) server_->start();  // a previous test failed while it was down
        static int databases = 0;
        database_ = fmt::format("test_{}", ++databases);
        server_->create_database(database_);
        conninfo_ = server_->conninfo(database_);
        migrate_postgres(conninfo_);
    }

    std::int64_t query_int(const std::string& sql) {
        clients::pg::Connection connection(conninfo_);
        auto result = connection.exec(sql);
        EXPECT_EQ(result.rows(), 1) << sql;
        return result.int64(0, 0);
    }
    void exec(const std::string& sql) {
        clients::pg::Connection connection(conninfo_);
        connection.exec_script(sql);
    }
    std::int64_t sold(const std::string& sale_id) {
        return query_int("SELECT sold FROM sales WHERE id = '" + sale_id + "'");
    }
    std::int64_t live(const std::string& sale_id, const std::string& user_id) {
        return query_int(fmt::format("SELECT COALESCE(SUM(live), 0) FROM sale_buyers WHERE "
                                     "sale_id = '{}' AND user_id = '{}'",
                                     sale_id, user_id));
    }

    static inline std::unique_ptr<flashsale::testing::PostgresServer> server_;
    std::string database_;
    std::string conninfo_;
};

TEST_F(PostgresOrderStoreTest, MigratingTwiceIsANoOp) {
    migrate_postgres(conninfo_);
    EXPECT_EQ(query_int("SELECT COUNT(*) FROM schema_migrations"), kPostgresSchemaVersion);
    EXPECT_EQ(query_int("SELECT MAX(version) FROM schema_migrations"), kPostgresSchemaVersion);
    PostgresOrderStore store(conninfo_);
    EXPECT_TRUE(store.ping());
}

TEST_F(PostgresOrderStoreTest, NewerOrMissingSchemaIsRefused) {
    exec("INSERT INTO schema_migrations (version) VALUES (99)");
    try {
        migrate_postgres(conninfo_);
        FAIL() << "migrated a newer schema";
    } catch (const StoreError& error) {
        EXPECT_THAT(error.what(), HasSubstr("newer"));
    }
    EXPECT_EQ(query_int("SELECT MAX(version) FROM schema_migrations"), 99);
    EXPECT_THROW(PostgresOrderStore{conninfo_}, StoreError);

    server_->create_database(database_ + "_empty");
    try {
        PostgresOrderStore store(server_->conninfo(database_ + "_empty"));
        FAIL() << "opened a database without the schema";
    } catch (const StoreError& error) {
        EXPECT_THAT(error.what(), HasSubstr("flashsale migrate"));
    }
}

TEST_F(PostgresOrderStoreTest, AppliedBatchesRoundTrip) {
    auto sale = make_sale("s1", 10, 3);
    sale.require_token = true;
    auto paid = make_order("o1", "s1", "u1", 2, "key-1");
    auto open = make_order("o2", "s1", "u2", 1);
    {
        PostgresOrderStore store(conninfo_);
        store.apply(Batch{saved(sale), reserved(paid), reserved(open)});
        store.apply(Batch{transitioned(paid, OrderStatus::kPaid)});
    }
    paid.status = OrderStatus::kPaid;
    paid.updated_at = paid.created_at + 10s;
    PostgresOrderStore store(conninfo_);
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
    EXPECT_EQ(store.counts("none").sold(), 0);
    EXPECT_TRUE(store.ping());
    EXPECT_THAT(store.verify(std::nullopt), ::testing::IsEmpty());
    EXPECT_EQ(sold("s1"), 3);
    EXPECT_EQ(live("s1", "u1"), 2);
}

TEST_F(PostgresOrderStoreTest, RedeliveredBatchesAreNoOps) {
    PostgresOrderStore store(conninfo_);
    auto a = make_order("o1", "s1", "u1", 2, "k1");
    auto b = make_order("o2", "s1", "u2", 1);
    Batch first{saved(make_sale("s1", 10, 3)), reserved(a), reserved(b)};
    Batch second{transitioned(a, OrderStatus::kCancelled), transitioned(b, OrderStatus::kPaid)};
    store.apply(first);
    store.apply(first);
    EXPECT_EQ(sold("s1"), 3);
    EXPECT_EQ(live("s1", "u1"), 2);
    store.apply(second);
    store.apply(second);  // the stream redelivers after a lost acknowledgement
    store.apply(first);   // and even the older batch again
    store.apply(Batch{reserved(a), transitioned(a, OrderStatus::kCancelled), reserved(b)});
    EXPECT_EQ(store.load_orders("s1").size(), 2u);
    auto counts = store.counts("s1");
    EXPECT_EQ(counts.cancelled, 2);
    EXPECT_EQ(counts.paid, 1);
    EXPECT_EQ(counts.reserved, 0);
    EXPECT_EQ(sold("s1"), 1);
    EXPECT_EQ(live("s1", "u1"), 0);
    EXPECT_EQ(live("s1", "u2"), 1);
    EXPECT_EQ(store.find_order("o1")->status, OrderStatus::kCancelled);
    EXPECT_THAT(store.verify(std::nullopt), ::testing::IsEmpty());
}

// A run of reservations is one statement with an array per column. One batch here reserves a
// sale's first orders (two for the same buyer, keys with every character an array literal must
// escape) and releases one of them again, which must find its units already taken.
TEST_F(PostgresOrderStoreTest, AReservationReleasedInItsOwnBatchAndOddKeysRoundTrip) {
    PostgresOrderStore store(conninfo_);
    auto a = make_order("o1", "s1", "u1", 1, R"(k"1",{x}\y)");
    auto b = make_order("o2", "s1", "u1", 1, "NULL");
    auto c = make_order("o3", "s1", "u2", 2);
    store.apply(Batch{saved(make_sale("s1", 10, 3)), reserved(a), reserved(b),
                      transitioned(a, OrderStatus::kCancelled), reserved(c)});
    EXPECT_EQ(sold("s1"), 3);
    EXPECT_EQ(live("s1", "u1"), 1);
    EXPECT_EQ(live("s1", "u2"), 2);
    EXPECT_EQ(store.find_order("o1")->idempotency_key, a.idempotency_key);
    EXPECT_EQ(store.find_order("o1")->status, OrderStatus::kCancelled);
    EXPECT_EQ(store.find_order("o2")->idempotency_key, "NULL");
    EXPECT_EQ(query_int("SELECT count(*) FROM orders WHERE idempotency_key IS NULL"), 1);
    EXPECT_THAT(store.verify(std::nullopt), ::testing::IsEmpty());
}

TEST_F(PostgresOrderStoreTest, ReleasesReturnTheirUnitsOncePaymentKeepsThem) {
    PostgresOrderStore store(conninfo_);
    auto a = make_order("o1", "s1", "u1", 2);
    auto b = make_order("o2", "s1", "u2", 1);
    auto c = make_order("o3", "s1", "u3", 3);
    store.apply(Batch{saved(make_sale("s1", 10, 3)), reserved(a), reserved(b), reserved(c)});
    EXPECT_EQ(sold("s1"), 6);
    store.apply(Batch{transitioned(a, OrderStatus::kCancelled)});
    store.apply(Batch{transitioned(a, OrderStatus::kCancelled)});
    EXPECT_EQ(sold("s1"), 4);
    store.apply(Batch{transitioned(b, OrderStatus::kExpired), transitioned(c, OrderStatus::kPaid),
                      transitioned(b, OrderStatus::kExpired)});
    EXPECT_EQ(sold("s1"), 3);
    EXPECT_EQ(live("s1", "u1") + live("s1", "u2"), 0);
    EXPECT_EQ(live("s1", "u3"), 3);
    EXPECT_EQ(store.find_order("o1")->updated_at, a.created_at + 10s);
    EXPECT_THAT(store.verify(std::nullopt), ::testing::IsEmpty());
}

TEST_F(PostgresOrderStoreTest, TransitionsTheStoreDisagreesWithAreRefusedWithTheirBatch) {
    PostgresOrderStore store(conninfo_);
    auto a = make_order("o1", "s1", "u1", 2);
    store.apply(Batch{saved(make_sale("s1", 10, 3)), reserved(a)});
    store.apply(Batch{transitioned(a, OrderStatus::kCancelled)});
    auto b = make_order("o2", "s1", "u2", 1);

    auto outcome = apply_outcome(store, {reserved(b), transitioned(a, OrderStatus::kExpired)});
    EXPECT_EQ(outcome.kind, "refused");
    EXPECT_THAT(outcome.message, HasSubstr("already cancelled"));
    EXPECT_FALSE(store.find_order("o2").has_value());

    auto ghost = make_order("ghost", "s1", "u3", 1);
    outcome = apply_outcome(store, {reserved(b), transitioned(ghost, OrderStatus::kPaid)});
    EXPECT_EQ(outcome.kind, "refused");
    EXPECT_THAT(outcome.message, HasSubstr("does not exist"));

    store.apply(Batch{reserved(b)});
    auto wrong = b;
    wrong.quantity = 2;
    outcome = apply_outcome(store, {transitioned(wrong, OrderStatus::kCancelled)});
    EXPECT_EQ(outcome.kind, "refused");
    EXPECT_THAT(outcome.message, HasSubstr("in the journal"));
    EXPECT_EQ(store.find_order("o2")->status, OrderStatus::kReserved);
    EXPECT_EQ(sold("s1"), 1);
}

TEST_F(PostgresOrderStoreTest, OversellIsRefusedByTheCheckAndTheWholeBatchRollsBack) {
    PostgresOrderStore store(conninfo_);
    store.apply(Batch{saved(make_sale("s1", 2, 5))});
    auto outcome = apply_outcome(store, {reserved(make_order("o1", "s1", "u1", 1)),
                                         reserved(make_order("o2", "s1", "u2", 2))});
    EXPECT_EQ(outcome.kind, "refused");
    EXPECT_THAT(outcome.message, HasSubstr("sales_sold_within_stock"));
    EXPECT_THAT(outcome.message, HasSubstr("23514"));
    EXPECT_FALSE(store.find_order("o1").has_value());
    EXPECT_EQ(sold("s1"), 0);
    EXPECT_EQ(live("s1", "u1"), 0);
    store.apply(Batch{reserved(make_order("o3", "s1", "u3", 2))});  // still usable
    EXPECT_EQ(sold("s1"), 2);
}

// Pipelined statements are prepared once per connection; a prepare that failed is not taken
// for a prepared statement next time.
TEST_F(PostgresOrderStoreTest, PipelinePreparesOnceAndRetriesAFailedPrepare) {
    using clients::pg::Params;
    using clients::pg::Query;
    clients::pg::Connection connection(conninfo_);
    constexpr std::string_view kInsert = "INSERT INTO notes (n) VALUES ($1) RETURNING n";
    auto note = [&](std::int64_t n) {
        Params params;
        params.int64(n);
        return std::vector<Query>{Query{kInsert, std::move(params)}};
    };
    EXPECT_THROW(connection.pipeline(note(1)), clients::pg::Error);  // no table yet
    exec("CREATE TABLE notes (n bigint)");
    for (std::int64_t n = 2; n <= 4; ++n) {
        auto results = connection.pipeline(note(n));
        ASSERT_EQ(results.size(), 1u);
        EXPECT_EQ(results[0].int64(0, 0), n);
    }
    EXPECT_EQ(query_int("SELECT count(*) FROM notes"), 3);
    EXPECT_EQ(query_int("SELECT count(*) FROM pg_prepared_statements"), 0);  // another session
    auto prepared = connection.exec("SELECT count(*) FROM pg_prepared_statements");
    EXPECT_EQ(prepared.int64(0, 0), 1);
}

TEST_F(PostgresOrderStoreTest, PerUserLimitIsRefusedByTheDatabase) {
    PostgresOrderStore store(conninfo_);
    auto first = make_order("o1", "s1", "u1", 2);
    store.apply(Batch{saved(make_sale("s1", 10, 2)), reserved(first)});
    auto outcome = apply_outcome(store, {reserved(make_order("o2", "s1", "u2", 1)),
                                         reserved(make_order("o3", "s1", "u1", 1))});
    EXPECT_EQ(outcome.kind, "refused");
    EXPECT_THAT(outcome.message, HasSubstr("sale_buyers_live_within_limit"));
    EXPECT_FALSE(store.find_order("o2").has_value());
    EXPECT_EQ(live("s1", "u1"), 2);

    // A release makes room again; a raised limit too.
    store.apply(Batch{transitioned(first, OrderStatus::kExpired),
                      reserved(make_order("o3", "s1", "u1", 2))});
    auto raised = make_sale("s1", 10, 3);
    store.apply(Batch{saved(raised), reserved(make_order("o4", "s1", "u1", 1))});
    EXPECT_EQ(live("s1", "u1"), 3);

    // Lowering the limit below what a user holds keeps those units but refuses more.
    store.apply(Batch{saved(make_sale("s1", 10, 1))});
    EXPECT_EQ(apply_outcome(store, {reserved(make_order("o5", "s1", "u1", 1))}).kind, "refused");
    store.apply(Batch{reserved(make_order("o6", "s1", "u7", 1))});
    EXPECT_EQ(sold("s1"), 4);
}

TEST_F(PostgresOrderStoreTest, SaleUpsertChangesFieldsButKeepsSold) {
    PostgresOrderStore store(conninfo_);
    auto sale = make_sale("s1", 10, 5);
    store.apply(Batch{saved(sale), reserved(make_order("o1", "s1", "u1", 3))});
    sale.name = "renamed";
    sale.stock = 50;
    store.apply(Batch{saved(sale)});
    ASSERT_EQ(store.load_sales().size(), 1u);
    EXPECT_EQ(testing::fields(store.load_sales()[0]), testing::fields(sale));
    EXPECT_EQ(sold("s1"), 3);
    sale.stock = 2;  // below what is sold
    EXPECT_EQ(apply_outcome(store, {saved(sale)}).kind, "refused");
}

TEST_F(PostgresOrderStoreTest, ChecksMirrorValidateAndRefuseBadRows) {
    PostgresOrderStore store(conninfo_);
    auto sale = make_sale("s1", 1'000'000'000, 1);
    sale.name = std::string(200, 'n');  // the edges validate accepts
    sale.price_cents = 0;
    sale.reservation_ttl_s = 1;
    store.apply(Batch{saved(sale)});
    auto bad_id = make_sale("bad id", 1, 1);
    EXPECT_EQ(apply_outcome(store, {saved(bad_id)}).kind, "refused");
    auto long_name = make_sale("s2", 1, 1);
    long_name.name = std::string(201, 'n');
    EXPECT_EQ(apply_outcome(store, {saved(long_name)}).kind, "refused");
    auto nul = make_sale("s3", 1, 1);
    nul.name = std::string("a\0b", 3);
    EXPECT_EQ(apply_outcome(store, {saved(nul)}).kind, "refused");

    store.apply(Batch{reserved(make_order("o1", "s1", "u1", 1, "k"))});
    auto outcome = apply_outcome(store, {reserved(make_order("o2", "s1", "u1", 1, "k"))});
    EXPECT_EQ(outcome.kind, "refused");
    EXPECT_THAT(outcome.message, HasSubstr("orders_idempotency"));
    outcome = apply_outcome(store, {reserved(make_order("o3", "s9", "u1", 1))});
    EXPECT_EQ(outcome.kind, "refused");
    EXPECT_THAT(outcome.message, HasSubstr("23503"));
    EXPECT_EQ(store.load_orders("s1").size(), 1u);
}

// Last in the suite's order of side effects: stops and restarts the shared server.
TEST_F(PostgresOrderStoreTest, StoppedServerIsAStoreErrorAndTheNextCallAfterARestartWorks) {
    PostgresOrderStore store(conninfo_);
    store.apply(Batch{saved(make_sale("s1", 10, 5)), reserved(make_order("o1", "s1", "u1", 1))});
    EXPECT_EQ(store.load_orders("s1").size(), 1u);  // a pooled reader connection now exists
    server_->stop();
    Batch batch{reserved(make_order("o2", "s1", "u2", 1))};
    EXPECT_EQ(apply_outcome(store, batch).kind, "error");
    EXPECT_EQ(apply_outcome(store, batch).kind, "error");  // reconnecting fails too
    EXPECT_FALSE(store.ping());
    EXPECT_THROW(store.load_orders("s1"), StoreError);
    server_->start();
    store.apply(batch);
    EXPECT_TRUE(store.ping());
    EXPECT_EQ(store.load_orders("s1").size(), 2u);

    server_->kill();  // a crash: committed batches survive it (fsync on)
    EXPECT_EQ(apply_outcome(store, {reserved(make_order("o3", "s1", "u3", 1))}).kind, "error");
    server_->start();
    store.apply(Batch{reserved(make_order("o3", "s1", "u3", 1))});
    EXPECT_EQ(store.counts("s1").reserved, 3);

    // A restart while the store is idle: its pooled connections are dead but nothing failed
    // yet; the next calls replace them and succeed at once.
    server_->stop();
    server_->start();
    EXPECT_EQ(store.counts("s1").reserved, 3);
    store.apply(Batch{reserved(make_order("o4", "s1", "u4", 1))});
    EXPECT_EQ(store.counts("s1").reserved, 4);
    EXPECT_THAT(store.verify(std::nullopt), ::testing::IsEmpty());
}

TEST_F(PostgresOrderStoreTest, ConcurrentReadsWhileTheWriterApplies) {
    constexpr int kBatches = 50, kPerBatch = 20;
    PostgresOrderStore store(conninfo_);
    store.apply(Batch{saved(make_sale("s1", kBatches * kPerBatch, 1))});
    std::atomic<int> committed{0};
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
                if (!store.ping()) ++failures;
                ++reads;
            }
        } catch (const std::exception& error) {
            ADD_FAILURE() << error.what();
            ++failures;
        }
    };
    std::vector<std::thread> readers;
    for (int i = 0; i < 4; ++i) readers.emplace_back(read_loop);
    auto started = std::chrono::steady_clock::now();
    try {
        for (int batch = 0; batch < kBatches; ++batch) {
            Batch entries;
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
    auto elapsed = std::chrono::steady_clock::now() - started;
    done = true;
    for (auto& reader : readers) reader.join();
    std::cout << "[ measure  ] " << kBatches << " batches of " << kPerBatch << " orders: "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() / kBatches
              << " ms per batch while 4 threads read\n";
    EXPECT_EQ(failures.load(), 0);
    EXPECT_GT(reads.load(), 4);
    EXPECT_EQ(store.counts("s1").reserved, kBatches * kPerBatch);
    EXPECT_THAT(store.verify(std::nullopt), ::testing::IsEmpty());
}

// One planted violation, written with raw SQL that bypasses the constraints, and what verify
// must then report (nothing else).
struct Planted {
    std::string name;
    std::string sql;
    std::set<std::string> expected;
    std::optional<std::string> filter{};
};

void PrintTo(const Planted& planted, std::ostream* out) { *out << planted.name; }

std::string insert_order(const std::string& id, const std::string& sale_id, int quantity,
                         const std::string& status, std::int64_t created_ms,
                         std::int64_t expires_ms, const std::string& key = "NULL") {
    return fmt::format("INSERT INTO orders VALUES ('{}', '{}', 'u1', {}, '{}', {}, {}, {}, {});",
                       id, sale_id, quantity, status, created_ms, expires_ms, created_ms, key);
}

std::vector<Planted> planted_violations() {
    auto in = to_unix_ms(testing::kStart) + 5000, later = in + 300'000;
    auto unchecked = std::string(
        "ALTER TABLE sales DROP CONSTRAINT sales_sold_within_stock;"
        "ALTER TABLE orders DROP CONSTRAINT orders_quantity_check;"
        "ALTER TABLE orders DROP CONSTRAINT orders_status_check;"
        "ALTER TABLE orders DROP CONSTRAINT orders_deadline;"
        "ALTER TABLE orders DROP CONSTRAINT orders_sale_id_fkey;");
    return {
        {"LiveAboveStock", unchecked + "UPDATE sales SET stock = 2 WHERE id = 's1';", {"I1"}},
        {"SoldDriftsFromOrders", "UPDATE sales SET sold = sold + 1 WHERE id = 's1';", {"I5"}},
        {"BuyerDriftsFromOrders",
         "UPDATE sale_buyers SET live = live + 1 WHERE sale_id = 's1' AND user_id = 'u2';",
         {"I5"}},
        {"ReleaseMissed", "UPDATE orders SET status = 'cancelled' WHERE id = 'o2';", {"I5"}},
        {"UserAboveLimit",
         "ALTER TABLE sale_buyers DROP CONSTRAINT sale_buyers_live_within_limit;" +
             insert_order("o9", "s1", 2, "paid", in, later) +
             "UPDATE sales SET sold = sold + 2 WHERE id = 's1';"
             "UPDATE sale_buyers SET live = live + 2 WHERE sale_id = 's1' AND user_id = 'u1';",
         {"I2"}},
        {"DuplicateIdempotencyKey",
         "DROP INDEX orders_idempotency;" +
             insert_order("o9", "s1", 1, "cancelled", in, later, "'key-1'"),
         {"I4"}},
        {"CreatedBeforeTheWindow",
         insert_order("o9", "s1", 1, "cancelled", to_unix_ms(testing::kStart) - 1, later),
         {"I6"}},
        {"ZeroQuantity", unchecked + insert_order("o9", "s1", 0, "cancelled", in, later), {"I3"}},
        {"UnknownStatus", unchecked + insert_order("o9", "s1", 1, "lost", in, later), {"I3"}},
        {"OtherSaleFilteredOut", "UPDATE sales SET sold = sold + 1 WHERE id = 's1';", {}, "s2"},
    };
}

class PostgresVerifyTest : public PostgresOrderStoreTest,
                           public ::testing::WithParamInterface<Planted> {};

TEST_P(PostgresVerifyTest, ReportsThePlantedViolation) {
    const auto& planted = GetParam();
    PostgresOrderStore store(conninfo_);
    store.apply(Batch{saved(make_sale("s1", 10, 3)), saved(make_sale("s2", 5, 1)),
                      reserved(make_order("o1", "s1", "u1", 2, "key-1")),
                      reserved(make_order("o2", "s1", "u2", 1)),
                      reserved(make_order("o3", "s2", "u1", 1))});
    ASSERT_THAT(store.verify(std::nullopt), ::testing::IsEmpty());
    exec(planted.sql);
    std::set<std::string> found;
    for (const auto& violation : store.verify(planted.filter)) {
        found.insert(violation.invariant);
        EXPECT_FALSE(violation.detail.empty());
        EXPECT_EQ(violation.sale_id, "s1") << violation.detail;
    }
    EXPECT_EQ(found, planted.expected);
}

INSTANTIATE_TEST_SUITE_P(Planted, PostgresVerifyTest, ::testing::ValuesIn(planted_violations()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace flashsale::orders
