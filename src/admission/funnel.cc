#include "admission/funnel.h"

#include <fmt/format.h>

namespace flashsale::admission {

namespace {

// With the waiting room on, a sale's own rate admits buyers from the line instead of refusing
// purchase attempts above it: the rate gate leaves such sales to the room.
RateOptions with_queued_sale_rates(RateOptions rates, const WaitingRoomOptions& room) {
    rates.sale_rate_queues = room.enabled;
    return rates;
}

}  // namespace

Funnel::Funnel(FunnelOptions options, MetricsRegistry& metrics)
    : rates_(with_queued_sale_rates(options.rates, options.waiting_room), blacklist_),
      shedding_(options.shed_inflight_max, options.shed_percent),
      signer_(std::move(options.token_key), std::move(options.token_key_previous)),
      tokens_(signer_, options.token_ttl),
      pow_(signer_, options.pow),
      waiting_room_(signer_, options.waiting_room, metrics) {
    for (std::size_t i = 0; i < kReasonCount; ++i) {
        auto reason = static_cast<Reason>(i);
        metrics_[i] = &metrics.counter(
            "flashsale_admission_refusals_total", "Requests refused by the admission gates",
            fmt::format("gate=\"{}\",reason=\"{}\"", to_string(gate_of(reason)),
                        to_string(reason)));
    }
}

std::int64_t Funnel::monotonic_us() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now() - epoch_)
               .count() +
           1;
}

Verdict Funnel::sale_gates(RequestView& request) const {
    request.sale = directory_.find(std::string(request.sale_id));
    request.engine_now = directory_.engine_now(request.local_now).value_or(request.local_now);
    Verdict verdict = window_.check(request);
    if (verdict) verdict = sold_out_.check(request);
    return verdict;
}

Verdict Funnel::check_sale(RequestView& request) {
    Verdict verdict = sale_gates(request);
    if (!verdict) count(verdict.reason, request.sale);
    return verdict;
}

Verdict Funnel::check(RequestView& request) {
    Verdict verdict = sale_gates(request);
    if (verdict) verdict = blacklist_.check(request);
    if (verdict) verdict = rates_.check(request);
    if (verdict) verdict = shedding_.check(request);
    if (verdict) verdict = waiting_room_.check(request);
    if (verdict) verdict = tokens_.check(request);
    if (!verdict) count(verdict.reason, request.sale);
    return verdict;
}

void Funnel::count(Reason reason, const SaleEntry* sale) {
    node_refusals_.count(reason);
    metrics_[static_cast<std::size_t>(reason)]->inc();
    if (sale != nullptr) sale->refusals().count(reason);
}

}  // namespace flashsale::admission
