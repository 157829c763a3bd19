// A real flashsale server for one test file: the binary named by FLASHSALE_BIN, on a free
// loopback port, with a fresh data directory and secrets of its own. stop() ends it (SIGTERM,
// then SIGKILL after 5 s) and removes the directory; an exit of the test process kills it too.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintJwt } from './jwt.mjs';

const kStartTimeoutMs = 20_000;
const kStopGraceMs = 5_000;
const kListeningPattern = /flashsale listening on http:\/\/127\.0\.0\.1:(\d+)/;

const running = new Set();
process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
});

// 32 characters, enough for every secret the server checks (16+).
const secret = () => randomBytes(16).toString('hex');

// The inherited environment without FLASHSALE_* (an unknown one stops the server), plus ours.
function serverEnvironment(extra) {
    const env = {};
    for (const [key, value] of Object.entries(process.env)) {
        if (!key.startsWith('FLASHSALE_')) env[key] = value;
    }
    return { ...env, ...extra };
}

export async function startServer({ binary, waitingRoom = false } = {}) {
    const dataDir = await mkdtemp(join(tmpdir(), 'flashsale-e2e-data-'));
    const secrets = { admin: secret(), jwt: secret(), token: secret() };
    const env = serverEnvironment({
        FLASHSALE_ADMIN_TOKEN: secrets.admin,
        FLASHSALE_JWT_SECRET: secrets.jwt,
        FLASHSALE_TOKEN_KEY: secrets.token,
        // waiting_room.mode (README): off, fifo or random.
        ...(waitingRoom ? { FLASHSALE_WAITING_ROOM: 'fifo' } : {}),
    });
    const child = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
                                 '--workers', '2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const output = collectOutput(child);
    try {
        const port = await waitForPort(child, output);
        return new FlashsaleServer({ child, dataDir, secrets, port, output });
    } catch (error) {
        await stopChild(child);
        await rm(dataDir, { recursive: true, force: true });
        throw error;
    }
}

// The last 64 KiB the server wrote, for the message of a failed test.
function collectOutput(child) {
    const output = { text: '' };
    const keep = (chunk) => {
        output.text = (output.text + chunk.toString()).slice(-65_536);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    return output;
}

function waitForPort(child, output) {
    return new Promise((resolve, reject) => {
        const fail = (why) => {
            clearTimeout(timer);
            const message = `flashsale did not start: ${why}\n--- its output ---\n${output.text}`;
            reject(new Error(message));
        };
        const timer = setTimeout(() => fail(`no "listening" line in ${kStartTimeoutMs} ms`),
                                 kStartTimeoutMs);
        child.on('error', (error) => fail(error.message));
        child.on('exit', (code, signal) => fail(`it exited (${signal ?? code})`));
        child.stdout.on('data', () => {
            const match = kListeningPattern.exec(output.text);
            if (!match) return;
            clearTimeout(timer);
            resolve(Number(match[1]));
        });
    });
}

async function stopChild(child) {
    if (child.exitCode !== null || child.signalCode !== null) {
        running.delete(child);
        return;
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), kStopGraceMs);
    await exited;
    clearTimeout(timer);
    running.delete(child);
}

class FlashsaleServer {
    constructor({ child, dataDir, secrets, port, output }) {
        this.child = child;
        this.dataDir = dataDir;
        this.secrets = secrets;
        this.baseUrl = `http://127.0.0.1:${port}`;
        this.output = output;
    }

    get adminToken() {
        return this.secrets.admin;
    }

    jwtFor(user) {
        return mintJwt(user, this.secrets.jwt);
    }

    // One JSON call; resolves to {status, body, headers}. Every call ends within 10 s.
    async call(method, path, { bearer, body, headers = {} } = {}) {
        const response = await fetch(this.baseUrl + path, {
            method,
            headers: { ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}), ...headers },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        let parsed = null;
        try {
            parsed = text ? JSON.parse(text) : null;
        } catch {
            parsed = text;
        }
        return { status: response.status, body: parsed, headers: response.headers };
    }

    admin(method, path, body) {
        return this.call(method, `/api/v1/admin${path}`, { bearer: this.adminToken, body });
    }

    // Creates a sale open from `startsInMs` from now (negative: already open) for an hour.
    async createSale({ startsInMs = -1_000, ...fields }) {
        const now = Date.now();
        const answer = await this.admin('POST', '/sales', {
            name: 'Test item', stock: 10, per_user_limit: 1, price_cents: 1_999,
            starts_at: new Date(now + startsInMs).toISOString(),
            ends_at: new Date(now + 3_600_000).toISOString(),
            reservation_ttl_s: 300,
            ...fields,
        });
        if (answer.status !== 201) {
            const detail = JSON.stringify(answer.body);
            throw new Error(`creating sale failed: ${answer.status} ${detail}`);
        }
        return answer.body;
    }

    purchase(saleId, user, extra = {}) {
        return this.call('POST', `/api/v1/sales/${saleId}/purchase`, {
            bearer: this.jwtFor(user),
            headers: { 'Idempotency-Key': `e2e-${user}-${saleId}` },
            body: { quantity: 1, ...extra },
        });
    }

    async stop() {
        await stopChild(this.child);
        await rm(this.dataDir, { recursive: true, force: true });
    }
}
