// Storms: many buyers, one connection each, all on one io_context in the test thread. Every
// buyer connects first and waits at a gate; the gate opens when all are connected, so the
// purchase requests reach the server together, which is what a flash sale looks like.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "support/http_client.h"

namespace flashsale::testing {

struct Buyer {
    std::string user_id;
    std::string token;            // the user's JWT
    int quantity = 1;             // sent as {"quantity": n}
    int attempts = 1;             // purchase requests, one after the other on one connection
    std::string idempotency_key;  // sent on every attempt when not empty
    std::string purchase_token;   // sent as {"token": ...} when not empty
};

// One purchase attempt and what came back (status 0: no answer, see transport_error).
struct Answer {
    std::size_t buyer = 0;  // index into the buyers
    int attempt = 0;
    HttpResponse response;
};

struct StormOptions {
    std::uint16_t port = 0;
    std::string sale_id;
    // Zero: all first requests leave together when the gate opens. Else they leave evenly
    // spread over this time, so that the server is mid-storm for a while (see crash_test).
    std::chrono::milliseconds spread{0};
    // The whole storm's bound; buyers unfinished by then have no answer in the result.
    std::chrono::milliseconds deadline{120'000};
    // Called on the storm's thread as each answer arrives, e.g. to crash the server mid-storm.
    std::function<void(const Answer&)> on_answer;
};

// Runs every buyer's attempts and returns all answers (in arrival order). A transport failure
// or a throwing buyer is an answer with status 0; only attempts still running at the deadline
// are missing (and reported on stderr).
std::vector<Answer> run_storm(const StormOptions& options, const std::vector<Buyer>& buyers);

// `count` buyers "<prefix>-<n>" with tokens minted with `jwt_secret`.
std::vector<Buyer> make_buyers(const std::string& prefix, std::size_t count,
                               const std::string& jwt_secret, int attempts = 1);

// Counts of the answers by what they were.
struct StormTally {
    std::size_t accepted = 0;           // 202
    std::int64_t accepted_units = 0;    // sum of the quantity fields of the 202 answers
    std::size_t sold_out = 0;           // 409 sold_out
    std::size_t limit_reached = 0;      // 409 limit_reached
    std::size_t no_answer = 0;          // transport failures
    std::string first_transport_error;  // of the first attempt without an answer
    std::vector<std::string> others;    // anything else, described, for failure messages
};

StormTally tally(const std::vector<Answer>& answers);

}  // namespace flashsale::testing
