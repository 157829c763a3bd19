// Solving the server's puzzle (a 428 answer to a token request) in a Web Worker.
const kWorkerUrl = '/assets/pow-worker.js';
const kSolveTimeoutMs = 120_000;

// Resolves to the nonce, or rejects when the worker fails or `timeoutMs` passes (the
// challenge has expired by then, and the caller asks for a new one). `onProgress(tried)`
// reports how many nonces were tried.
export function solvePuzzle({ challenge, bits, timeoutMs = kSolveTimeoutMs, onProgress }) {
    return new Promise((resolve, reject) => {
        let worker;
        try {
            worker = new Worker(kWorkerUrl);
        } catch (error) {
            reject(error);
            return;
        }
        const finish = (settle, value) => {
            clearTimeout(timer);
            worker.terminate();
            settle(value);
        };
        const timer = setTimeout(() => finish(reject, new Error('puzzle timed out')), timeoutMs);
        worker.onmessage = ({ data }) => {
            if (data?.type === 'progress') onProgress?.(data.tried);
            else if (data?.type === 'solved') finish(resolve, data.nonce);
            else finish(reject, new Error(data?.message ?? 'puzzle failed'));
        };
        worker.onerror = (event) => finish(reject, new Error(event.message || 'worker failed'));
        worker.postMessage({ challenge, bits });
    });
}
