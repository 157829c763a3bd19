// One click of the Buy button, from the waiting room to the reservation:
//   waiting room (when the sale has one) -> purchase token (when the sale requires one; a 428
//   answer brings a puzzle, solved in a worker) -> purchase (202 reserved).
// Busy answers (503) and lost connections are retried here, after the server's Retry-After
// and with the same Idempotency-Key, so a retry can never buy twice. Every other refusal goes
// back to the page, which knows how to show it.
import { sleep } from '../shared/http.js';
import { solvePuzzle } from './proof_of_work.js';
import { waitForAdmission } from './waiting_room.js';

const kServiceRetriesMax = 3;
const kRetryAfterMaxS = 10;
const kPuzzleRoundsMax = 3;

// `report(progress)` tells the page what is happening: {step: 'queue', status},
// {step: 'solving', tried}, {step: 'retrying', seconds}, {step: 'buying'}.
// Resolves to {ok: true, order} or {ok: false, answer} (or {ok: false, stopped: true}).
export async function checkout({ api, sale, memory, idempotencyKey, report, shouldStop }) {
    let queueTicket = null;
    if (sale.waiting_room) {
        const admission = await waitForAdmission({
            api, saleId: sale.id, memory, shouldStop,
            onUpdate: (status) => report({ step: 'queue', status }),
        });
        if (!admission.ok) return admission;
        queueTicket = admission.ticket;
    }
    let token = null;
    if (sale.require_token) {
        const issued = await obtainPurchaseToken({ api, saleId: sale.id, queueTicket, report });
        if (!issued.ok) return issued;
        token = issued.token;
    }
    report({ step: 'buying' });
    const answer = await withServiceRetries(
        () => api.purchase(sale.id, { token, queueTicket, idempotencyKey }), report);
    return answer.ok ? { ok: true, order: answer.body } : { ok: false, answer };
}

// The purchase token, solving as many puzzles as the server asks (a challenge can expire
// while it is being solved; then the server hands out a new one).
async function obtainPurchaseToken({ api, saleId, queueTicket, report }) {
    let answer = await withServiceRetries(() => api.requestToken(saleId, { queueTicket }), report);
    for (let round = 0; answer.status === 428 && round < kPuzzleRoundsMax; ++round) {
        const puzzle = answer.body ?? {};
        report({ step: 'solving', tried: 0 });
        let nonce;
        try {
            nonce = await solvePuzzle({
                challenge: puzzle.challenge,
                bits: puzzle.difficulty_bits,
                onProgress: (tried) => report({ step: 'solving', tried }),
            });
        } catch (error) {
            return { ok: false, puzzleFailed: String(error?.message ?? error) };
        }
        const solved = { challenge: puzzle.challenge, nonce };
        answer = await withServiceRetries(
            () => api.requestToken(saleId, { queueTicket, answer: solved }), report);
    }
    return answer.ok ? { ok: true, token: answer.body?.token } : { ok: false, answer };
}

// Sends again after a 503 (overloaded, unavailable) or a lost connection, at most
// kServiceRetriesMax times, waiting what the server asked.
async function withServiceRetries(send, report) {
    let answer = await send();
    for (let retry = 0; retry < kServiceRetriesMax && isWorthRetrying(answer); ++retry) {
        const seconds = Math.min(kRetryAfterMaxS, Math.max(1, answer.retryAfterS(1)));
        report({ step: 'retrying', seconds, code: answer.errorCode });
        await sleep(seconds * 1000);
        answer = await send();
    }
    return answer;
}

function isWorthRetrying(answer) {
    return !answer.reached || answer.status === 503;
}
