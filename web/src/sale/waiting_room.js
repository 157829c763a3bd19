// The waiting room: when a sale gets more buyers than it admits per second, each buyer takes a
// ticket and waits their turn. The ticket is kept (SaleMemory) and reused, never exchanged for a
// new one, so a reload or a second click keeps the buyer's place in line.
import { sleep } from '../shared/http.js';

const kQueuedPollMs = 1_000;
const kClosedPollMs = 3_000; // the room reopens when stock comes back; no need to hurry
const kMaxWaitMs = 6 * 3_600_000; // a bound on the loop, far beyond any sale

// Waits until the buyer is admitted. Resolves to {ok: true, ticket} or, when the server
// refuses in a way waiting will not fix, {ok: false, answer}. `onUpdate(status)` gets each
// {state, position, wait_ms, queue_length} (and {state: 'closed'} while sold out).
// `shouldStop()` ends the wait early with {ok: false, stopped: true}.
export async function waitForAdmission({ api, saleId, memory, onUpdate, shouldStop }) {
    const deadline = Date.now() + kMaxWaitMs;
    while (Date.now() < deadline) {
        if (shouldStop?.()) return { ok: false, stopped: true };
        const held = memory.ticket;
        const answer = held ? await api.queueStatus(saleId, held) : await api.joinQueue(saleId);
        const next = await readQueueAnswer(answer, { held, memory, onUpdate });
        if (next.done) return next.result;
        await sleep(next.waitMs);
    }
    return { ok: false, stopped: true };
}

// What one answer of the queue endpoint means: done (admitted or refused), or wait and ask again.
async function readQueueAnswer(answer, { held, memory, onUpdate }) {
    if (answer.ok) {
        const status = answer.body ?? {};
        if (status.ticket) memory.ticket = status.ticket;
        onUpdate(status);
        if (status.state === 'admitted') {
            return { done: true, result: { ok: true, ticket: memory.ticket } };
        }
        return { done: false, waitMs: status.state === 'closed' ? kClosedPollMs : kQueuedPollMs };
    }
    if (answer.status === 409 && answer.errorCode === 'sold_out') {
        onUpdate({ state: 'closed' });
        return { done: false, waitMs: kClosedPollMs };
    }
    if (!answer.reached || answer.status === 429 || answer.status === 503) {
        return { done: false, waitMs: answer.retryAfterS(1) * 1000 };
    }
    // A ticket the server no longer honours (expired, bad signature) is not a place in line:
    // forget it, so that the next click joins afresh.
    if (held && (answer.status === 400 || answer.status === 403 || answer.status === 404)) {
        memory.ticket = null;
    }
    return { done: true, result: { ok: false, answer } };
}
