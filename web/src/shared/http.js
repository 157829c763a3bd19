// The one way both pages talk to the flashsale API. Every call gives back an Answer, never
// throws: a refusal ({"error": {"code", "message"}}), a lost connection (status 0) and a
// success are all values the caller reads, so each flow decides what to do with each of them.
import { localNowMs } from './time.js';

const kRequestTimeoutMs = 10_000;

export class Answer {
    constructor({ status, body = null, headers = null, sentAtMs, receivedAtMs }) {
        this.status = status; // 0 when no answer came (network down, timeout)
        this.body = body;
        this.headers = headers;
        this.sentAtMs = sentAtMs; // local monotonic epoch ms, for clock sampling
        this.receivedAtMs = receivedAtMs;
    }

    get ok() {
        return this.status >= 200 && this.status < 300;
    }

    get reached() {
        return this.status !== 0;
    }

    // The machine-readable reason of a refusal, e.g. "sold_out"; "network" without an answer.
    get errorCode() {
        if (!this.reached) return 'network';
        return this.body?.error?.code ?? `http_${this.status}`;
    }

    get errorMessage() {
        return this.body?.error?.message ?? '';
    }

    // Seconds the server asked us to wait (Retry-After), or `fallbackS` when it did not say.
    retryAfterS(fallbackS = 1) {
        const seconds = Number.parseInt(this.headers?.get('Retry-After') ?? '', 10);
        return Number.isFinite(seconds) && seconds >= 0 ? seconds : fallbackS;
    }

    get etag() {
        return this.headers?.get('ETag') ?? null;
    }
}

// Sends one request. `body` (an object) goes as JSON; `bearer` becomes the Authorization
// header; the answer's body is parsed as JSON unless `text` is set. Waits at most
// kRequestTimeoutMs, so no caller can hang on a dead connection.
export async function request(method, path,
                              { bearer, body, headers = {}, timeoutMs, text = false } = {}) {
    const init = { method, headers: { ...headers }, cache: 'no-store', credentials: 'omit' };
    if (bearer) init.headers.Authorization = `Bearer ${bearer}`;
    if (body !== undefined) {
        init.headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }
    const aborter = new AbortController();
    const timer = setTimeout(() => aborter.abort(), timeoutMs ?? kRequestTimeoutMs);
    init.signal = aborter.signal;
    const sentAtMs = localNowMs();
    try {
        const response = await fetch(path, init);
        const receivedAtMs = localNowMs();
        const parsed = text ? await response.text() : await readJson(response);
        return new Answer({ status: response.status, body: parsed, headers: response.headers,
                            sentAtMs, receivedAtMs });
    } catch {
        return new Answer({ status: 0, sentAtMs, receivedAtMs: localNowMs() });
    } finally {
        clearTimeout(timer);
    }
}

async function readJson(response) {
    const text = await response.text();
    if (!text) return null;
    try {
        return JSON.parse(text);
    } catch {
        return null; // a proxy's HTML error page, say: the status still tells the story
    }
}

export function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
