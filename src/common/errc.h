// Error codes of expected outcomes. Each one maps to exactly one HTTP status and one JSON
// error code in src/api/errors.cc; nothing else in the code base knows about HTTP.
#pragma once

#include <string_view>

namespace flashsale {

enum class Errc {
    kSoldOut,            // not enough stock left for the requested quantity
    kLimitReached,       // the user's per-sale limit would be exceeded
    kNotStarted,         // the sale window has not opened yet
    kEnded,              // the sale window has closed
    kNotFound,           // no such sale or order (or not the caller's)
    kUnauthorized,       // missing or invalid credentials
    kForbidden,          // credentials valid, action not allowed
    kBadRequest,         // malformed or out-of-range input
    kInvalidTransition,  // order status change that the status machine forbids
    kConflict,           // the resource exists already, or the change contradicts its state
    kPayloadTooLarge,    // body above the configured limit
    kHeaderTooLarge,     // request header above the configured limit
    kMethodNotAllowed,   // route exists, method does not
    kTimeout,            // the client was too slow
    kOverloaded,         // too many connections or too much work in flight
    kUnavailable,        // a backend cannot serve right now
    kBlocked,            // the user or the client address is on the blacklist
    kRateLimited,        // a rate limit (per IP, user, sale or node) refused the request
    kPreconditionRequired,  // the token endpoint wants a proof-of-work answer first
    kQueueRequired,      // the sale has a waiting room and the buyer holds no admitted ticket
    kInternal,           // a bug or an unexpected failure; logged
};

// The stable, machine-readable name of a code, as used in JSON error bodies and metrics.
std::string_view to_string(Errc code);

}  // namespace flashsale
