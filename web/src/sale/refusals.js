// What each refusal of a purchase means to the buyer, and what the page does about it. The
// server's codes are API v1's (src/api/errors.cc); the words are ours.
//
// explainRefusal(answer) -> {
//   problem?:   text, shown as the page's error until the next click
//   notice?:    text, or (secondsLeft) => text for a wait with a countdown
//   waitS?:     keep the Buy button grey this long (Retry-After)
//   salePatch?: what the refusal says about the sale ({status: 'sold_out', remaining: 0})
//   signOut?:   the sign-in token is no good any more
//   forgetTicket?, joinQueue?: the waiting-room ticket is spent / the sale has a waiting room
//   refreshSale?: the sale's rules may have changed; read it again
//   resyncClock?: the server says "not yet", so our clock is off (and the sale is read again)
//   keepIdempotencyKey?: the outcome is unknown, so the next click must reuse the key
// }
export function explainRefusal(answer) {
    if (!answer.reached) {
        return { notice: 'Could not reach the shop. Check your connection and tap Buy again.',
                 keepIdempotencyKey: true };
    }
    const explain = kByCode[answer.errorCode] ?? kByStatus[answer.status] ?? unexpected;
    return explain(answer);
}

const waitNotice = (what) => (secondsLeft) =>
    secondsLeft > 0 ? `${what} You can try again in ${secondsLeft} s.` : `${what} Try again now.`;

const kByCode = {
    sold_out: () => ({ salePatch: { status: 'sold_out', remaining: 0 } }),
    limit_reached: () => ({
        problem: 'You already hold as many units of this sale as one buyer may have.',
    }),
    rate_limited: (answer) => ({
        notice: waitNotice('Too many attempts in a short time.'),
        waitS: answer.retryAfterS(1),
    }),
    ended: () => ({ salePatch: { status: 'ended' } }),
    not_started: () => ({
        notice: 'Not open yet on the shop\'s clock. The countdown has been corrected.',
        resyncClock: true,
    }),
    blocked: () => ({ problem: 'This account or network is blocked from the sale.' }),
    queue_required: () => ({
        notice: 'This sale has a waiting room. Tap Buy to take your place in line.',
        forgetTicket: true,
        joinQueue: true,
    }),
    // A purchase token missing, expired or refused: the sale may have started to require one
    // since the page read it, so it is read again.
    forbidden: () => ({
        problem: 'Your purchase pass was refused (it may have run out). Tap Buy to try again.',
        refreshSale: true,
    }),
    unauthorized: () => ({
        problem: 'Your sign-in has expired. Please sign in again.', signOut: true,
    }),
    overloaded: (answer) => ({
        notice: waitNotice('The shop is very busy right now.'), waitS: answer.retryAfterS(2),
    }),
    unavailable: (answer) => ({
        notice: waitNotice('The shop is briefly unavailable.'), waitS: answer.retryAfterS(2),
    }),
    not_found: () => ({ problem: 'This sale no longer exists.' }),
};

// When a proxy in between answered without our JSON body.
const kByStatus = {
    401: kByCode.unauthorized,
    429: kByCode.rate_limited,
    503: kByCode.overloaded,
};

function unexpected(answer) {
    const detail = answer.errorMessage ? `: ${answer.errorMessage}` : '';
    return { problem: `Something went wrong (${answer.errorCode}${detail}). Please try again.` };
}
