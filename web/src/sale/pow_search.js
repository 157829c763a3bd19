// The proof-of-work search, shared by the worker and nothing else: find a nonce (a decimal
// counter) such that SHA-256(challenge || nonce) starts with at least `bits` zero bits, as
// src/admission/proof_of_work.cc checks it. Digests are asked for in batches because each
// WebCrypto call is asynchronous: many in flight at once keep the hashing busy.

const kBatchSize = 4096; // ~60 ms of hashing: fast enough for progress, large enough to amortise
const encoder = new TextEncoder();

export function leadingZeroBits(digest) {
    const bytes = new Uint8Array(digest);
    let bits = 0;
    for (const byte of bytes) {
        if (byte !== 0) return bits + Math.clz32(byte) - 24;
        bits += 8;
    }
    return bits;
}

function digestOf(challenge, nonce) {
    return crypto.subtle.digest('SHA-256', encoder.encode(challenge + nonce));
}

// Resolves to the first solving nonce (as a string). `onProgress(tried)` is called after each
// batch; `shouldStop()` ends the search early (then resolves to null).
export async function searchNonce(challenge, bits, { onProgress, shouldStop } = {}) {
    for (let start = 0; ; start += kBatchSize) {
        if (shouldStop?.()) return null;
        const nonces = Array.from({ length: kBatchSize }, (_, i) => String(start + i));
        const digests = await Promise.all(nonces.map((nonce) => digestOf(challenge, nonce)));
        const found = digests.findIndex((digest) => leadingZeroBits(digest) >= bits);
        if (found >= 0) return nonces[found];
        onProgress?.(start + kBatchSize);
    }
}
