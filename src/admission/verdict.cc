#include "admission/verdict.h"

namespace flashsale::admission {

Gate gate_of(Reason reason) {
    switch (reason) {
        case Reason::kNotStarted:
        case Reason::kEnded:
        case Reason::kPaused: return Gate::kWindow;
        case Reason::kSoldOut: return Gate::kSoldOut;
        case Reason::kBlockedUser:
        case Reason::kBlockedIp: return Gate::kBlacklist;
        case Reason::kRateIp:
        case Reason::kRateUser:
        case Reason::kRateSale:
        case Reason::kRateGlobal: return Gate::kRateLimit;
        case Reason::kOverloaded: return Gate::kShedding;
        case Reason::kTokenMissing:
        case Reason::kTokenInvalid:
        case Reason::kTokenExpired:
        case Reason::kTokenWrongUser:
        case Reason::kTokenWrongSale: return Gate::kToken;
        case Reason::kPowRequired:
        case Reason::kPowInvalid:
        case Reason::kPowReused:
        case Reason::kPowBusy: return Gate::kProofOfWork;
        case Reason::kQueueRequired:
        case Reason::kQueueInvalid:
        case Reason::kQueueNotYet:
        case Reason::kQueueExpired: return Gate::kWaitingRoom;
    }
    return Gate::kWindow;
}

Errc errc_of(Reason reason) {
    switch (reason) {
        case Reason::kNotStarted:
        case Reason::kPaused: return Errc::kNotStarted;
        case Reason::kEnded: return Errc::kEnded;
        case Reason::kSoldOut: return Errc::kSoldOut;
        case Reason::kBlockedUser:
        case Reason::kBlockedIp: return Errc::kBlocked;
        case Reason::kRateIp:
        case Reason::kRateUser:
        case Reason::kRateSale:
        case Reason::kRateGlobal: return Errc::kRateLimited;
        case Reason::kOverloaded:
        case Reason::kPowBusy: return Errc::kOverloaded;
        case Reason::kPowRequired: return Errc::kPreconditionRequired;
        case Reason::kQueueRequired:
        case Reason::kQueueInvalid:
        case Reason::kQueueNotYet:
        case Reason::kQueueExpired: return Errc::kQueueRequired;
        default: return Errc::kForbidden;  // tokens and puzzle answers
    }
}

std::string_view to_string(Gate gate) {
    switch (gate) {
        case Gate::kWindow: return "window";
        case Gate::kSoldOut: return "sold_out";
        case Gate::kBlacklist: return "blacklist";
        case Gate::kRateLimit: return "rate_limit";
        case Gate::kShedding: return "shedding";
        case Gate::kToken: return "token";
        case Gate::kProofOfWork: return "proof_of_work";
        case Gate::kWaitingRoom: return "waiting_room";
    }
    return "window";
}

std::string_view to_string(Reason reason) {
    switch (reason) {
        case Reason::kNotStarted: return "not_started";
        case Reason::kEnded: return "ended";
        case Reason::kPaused: return "paused";
        case Reason::kSoldOut: return "sold_out";
        case Reason::kBlockedUser: return "blocked_user";
        case Reason::kBlockedIp: return "blocked_ip";
        case Reason::kRateIp: return "rate_ip";
        case Reason::kRateUser: return "rate_user";
        case Reason::kRateSale: return "rate_sale";
        case Reason::kRateGlobal: return "rate_global";
        case Reason::kOverloaded: return "overloaded";
        case Reason::kTokenMissing: return "token_missing";
        case Reason::kTokenInvalid: return "token_invalid";
        case Reason::kTokenExpired: return "token_expired";
        case Reason::kTokenWrongUser: return "token_wrong_user";
        case Reason::kTokenWrongSale: return "token_wrong_sale";
        case Reason::kPowRequired: return "pow_required";
        case Reason::kPowInvalid: return "pow_invalid";
        case Reason::kPowReused: return "pow_reused";
        case Reason::kPowBusy: return "pow_busy";
        case Reason::kQueueRequired: return "queue_required";
        case Reason::kQueueInvalid: return "queue_invalid";
        case Reason::kQueueNotYet: return "queue_not_yet";
        case Reason::kQueueExpired: return "queue_expired";
    }
    return "unknown";
}

std::string_view message_of(Reason reason) {
    switch (reason) {
        case Reason::kNotStarted: return "the sale has not started";
        case Reason::kEnded: return "the sale has ended";
        case Reason::kPaused: return "the sale is paused";
        case Reason::kSoldOut: return "not enough stock left";
        case Reason::kBlockedUser: return "this user is blocked";
        case Reason::kBlockedIp: return "this address is blocked";
        case Reason::kRateIp: return "too many requests from this address";
        case Reason::kRateUser: return "too many requests from this user";
        case Reason::kRateSale: return "too many requests for this sale";
        case Reason::kRateGlobal: return "too many requests";
        case Reason::kOverloaded: return "the server is overloaded; try again";
        case Reason::kTokenMissing: return "this sale needs a purchase token";
        case Reason::kTokenInvalid: return "invalid purchase token";
        case Reason::kTokenExpired: return "the purchase token has expired";
        case Reason::kTokenWrongUser: return "the purchase token belongs to another user";
        case Reason::kTokenWrongSale: return "the purchase token is for another sale";
        case Reason::kPowRequired: return "solve the proof-of-work challenge first";
        case Reason::kPowInvalid: return "invalid proof-of-work answer";
        case Reason::kPowReused: return "this challenge was answered already";
        case Reason::kPowBusy: return "too many open challenges; try again";
        case Reason::kQueueRequired: return "this sale has a waiting room: join the queue first";
        case Reason::kQueueInvalid: return "invalid queue ticket";
        case Reason::kQueueNotYet: return "your turn in the queue has not come yet";
        case Reason::kQueueExpired: return "your turn in the queue has passed; join again";
    }
    return "refused";
}

}  // namespace flashsale::admission
