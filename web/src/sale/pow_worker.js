// The proof-of-work Web Worker (assets/pow-worker.js). Hashing runs here so that the page's
// countdown and buttons stay responsive while the puzzle is being solved.
// In:  {challenge, bits}.  Out: {type: 'progress', tried} ... then {type: 'solved', nonce}
// or {type: 'failed', message}. One puzzle per worker; the page ends the worker afterwards.
import { searchNonce } from './pow_search.js';

const kProgressEveryMs = 250;

self.onmessage = async (event) => {
    const { challenge, bits } = event.data ?? {};
    if (typeof challenge !== 'string' || !Number.isInteger(bits)) {
        self.postMessage({ type: 'failed', message: 'bad puzzle' });
        return;
    }
    if (!self.crypto?.subtle) {
        self.postMessage({ type: 'failed', message: 'WebCrypto needs a secure (https) page' });
        return;
    }
    let lastReportMs = 0;
    const onProgress = (tried) => {
        const now = Date.now();
        if (now - lastReportMs < kProgressEveryMs) return;
        lastReportMs = now;
        self.postMessage({ type: 'progress', tried });
    };
    try {
        const nonce = await searchNonce(challenge, bits, { onProgress });
        self.postMessage({ type: 'solved', nonce });
    } catch (error) {
        self.postMessage({ type: 'failed', message: String(error?.message ?? error) });
    }
};
