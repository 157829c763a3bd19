// The server's clock as this page sees it. The sale opens on the server's clock, not the
// device's: a phone can be minutes off, or set ahead by hand in the hope of an early start.
// The estimate is the local monotonic clock plus an offset measured against the server, the
// way NTP does it with one server: a sample read during a round trip lies within half that
// round trip of the truth, so the sample with the shortest round trip wins.
import { localNowMs } from '../shared/time.js';

export class ServerClock {
    #offsetMs = 0; // server epoch ms minus local monotonic epoch ms
    #bestRoundTripMs = Infinity;

    get synced() {
        return this.#bestRoundTripMs !== Infinity;
    }

    // Half the best round trip: how far off the estimate may be.
    get uncertaintyMs() {
        return this.#bestRoundTripMs / 2;
    }

    now() {
        return localNowMs() + this.#offsetMs;
    }

    // `serverMs` was read by the server somewhere between `sentAtMs` and `receivedAtMs` (local
    // monotonic epoch ms). Kept only if its round trip beats the best so far.
    addRoundTripSample(serverMs, sentAtMs, receivedAtMs) {
        const roundTripMs = receivedAtMs - sentAtMs;
        if (!Number.isFinite(serverMs) || roundTripMs < 0) return;
        if (roundTripMs >= this.#bestRoundTripMs) return;
        this.#bestRoundTripMs = roundTripMs;
        this.#offsetMs = serverMs - (sentAtMs + receivedAtMs) / 2;
    }

    // A pushed message stamped `serverMs` arrived at `receivedAtMs`: the server's clock is at
    // least that far along now. An estimate behind it is wrong (the device slept, say, and its
    // monotonic clock stood still), so the offset moves up to meet it; never down.
    addLowerBound(serverMs, receivedAtMs = localNowMs()) {
        if (!Number.isFinite(serverMs)) return;
        const atLeastMs = serverMs - receivedAtMs;
        if (atLeastMs > this.#offsetMs) this.#offsetMs = atLeastMs;
    }

    // Forget the samples (after the tab was hidden for long), keeping the estimate until a new
    // sample replaces it.
    startOver() {
        this.#bestRoundTripMs = Infinity;
    }
}
