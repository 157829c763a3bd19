// What the page is showing, decided from what it knows: the sale's last snapshot, the buyer's
// order, the click in progress, and the server's clock. Pure functions, so that every rule
// ("the button is grey until the opening second") lives in one readable place.

const kFinalOrderStatuses = new Set(['paid', 'cancelled', 'expired']);

// The sale's own phase at `now` (server epoch ms): upcoming, active, paused, sold_out, ended.
// A snapshot taken before the opening says "upcoming" until the server's clock passes
// starts_at; a snapshot the server marked open stays open even if our clock lags a little.
export function salePhase(sale, now) {
    if (!sale) return 'upcoming';
    if (sale.status === 'ended' || now >= Date.parse(sale.ends_at)) return 'ended';
    const opened = sale.status !== 'upcoming' || now >= Date.parse(sale.starts_at);
    if (!opened) return 'upcoming';
    if (sale.status === 'sold_out' || sale.remaining <= 0) return 'sold_out';
    if (sale.paused || sale.status === 'paused') return 'paused';
    return 'active';
}

// The page's phase, the value of <body data-state>: upcoming, active, queued, reserved, paid,
// sold_out, ended, expired or error. The buyer's own order comes first: a paid buyer of a
// sold-out sale is told "paid", not "sold out".
export function pagePhase(state, now) {
    if (state.fatal) return 'error';
    const order = state.order;
    if (order?.status === 'paid') return 'paid';
    if (order?.status === 'reserved') {
        return now < Date.parse(order.expires_at) ? 'reserved' : 'expired';
    }
    if (state.queue) return state.queue.state === 'closed' ? 'sold_out' : 'queued';
    const phase = salePhase(state.sale, now);
    if (phase === 'paused') return 'upcoming';
    if (phase !== 'active') return phase;
    if (state.problem) return 'error';
    if (order && kFinalOrderStatuses.has(order.status)) return 'expired';
    return 'active';
}

// Whether the buyer holds a unit (reserved in time, or paid): then there is nothing to buy.
export function holdsUnit(state, now) {
    const phase = pagePhase(state, now);
    return phase === 'reserved' || phase === 'paid';
}

// The Buy button is live only while the sale is open on the server's clock, the buyer is
// signed in and holds nothing, no click is in progress, a second has passed since the last
// click, and any wait the server asked for (Retry-After) is over.
export function canBuy(state, now, localNow) {
    return Boolean(state.jwt) && !state.fatal && !state.busy &&
           salePhase(state.sale, now) === 'active' && !holdsUnit(state, now) &&
           localNow >= state.cooldownUntil && localNow >= state.retryUntil;
}

// Whether `incoming` should replace the order on show. Pushed events and polls can arrive
// out of order; a final status (paid, cancelled, expired) is never undone by a late
// "reserved", and a newer order replaces an older one.
export function isNewerOrder(current, incoming) {
    if (!current) return true;
    if (current.id !== incoming.id) {
        return Date.parse(incoming.created_at) >= Date.parse(current.created_at);
    }
    return !kFinalOrderStatuses.has(current.status) || current.status === incoming.status;
}

// The message under the button when nothing more specific is being said.
export function defaultStatusText(state, phase, now) {
    switch (phase) {
        case 'upcoming':
            return salePhase(state.sale, now) === 'paused'
                ? 'The sale is paused for a moment. Keep this page open.'
                : 'Not open yet. The button turns on at the opening second.';
        case 'active':
            return state.jwt ? 'On sale now.' : 'Sign in to buy.';
        case 'queued':
            return 'You are in the waiting room. Keep this page open: it moves on by itself.';
        case 'reserved':
            return 'Your unit is reserved. Pay before the timer runs out.';
        case 'paid':
            return 'Payment received: your order is paid.';
        case 'sold_out':
            return state.queue
                ? 'Sold out. The waiting room is closed; it reopens if stock comes back.'
                : 'Sold out.';
        case 'ended':
            return 'The sale has ended.';
        case 'expired':
            return state.order?.status === 'cancelled'
                ? 'Your reservation was cancelled.'
                : 'Your reservation expired and the unit went back on sale.';
        default:
            return state.fatal ?? state.problem ?? 'Something went wrong.';
    }
}
