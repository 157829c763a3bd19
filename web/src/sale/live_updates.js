// Changes pushed by the server: the buyer's orders and the sale's stock and status, over one
// WebSocket (/api/v1/ws). When the socket is down, the page does not go blind: it reconnects
// with a growing, jittered delay (so that a restarted server is not hit by every buyer in the
// same second), and until then polls the order every 2 s and the sale every 5 s.

const kReconnectFirstMs = 500;
const kReconnectMaxMs = 30_000;
const kOrderPollMs = 2_000;
const kSalePollMs = 5_000;

export class LiveUpdates {
    // handlers: onSale(event, sale), onOrder(event, order), onServerTime(ms),
    // onConnection('connecting' | 'live' | 'polling'), pollOrder(), pollSale().
    constructor({ saleId, jwt, handlers }) {
        this.saleId = saleId;
        this.jwt = jwt;
        this.handlers = handlers;
        this.socket = null;
        this.attempts = 0;
        this.reconnectTimer = null;
        this.pollTimers = [];
        this.stopped = false;
    }

    start() {
        this.stopped = false;
        if (typeof WebSocket === 'undefined' || !this.jwt()) {
            this.#startPolling();
            return;
        }
        this.#connect();
    }

    stop() {
        this.stopped = true;
        clearTimeout(this.reconnectTimer);
        this.#stopPolling();
        this.socket?.close();
        this.socket = null;
    }

    #connect() {
        const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
        const url = `${scheme}://${window.location.host}/api/v1/ws?access_token=` +
                    encodeURIComponent(this.jwt());
        this.handlers.onConnection('connecting');
        let socket;
        try {
            socket = new WebSocket(url);
        } catch {
            this.#scheduleReconnect();
            return;
        }
        this.socket = socket;
        socket.onopen = () => socket.send(JSON.stringify({ type: 'watch', sale: this.saleId }));
        socket.onmessage = (event) => this.#receive(event.data);
        socket.onclose = () => {
            if (this.socket !== socket) return;
            this.socket = null;
            this.#scheduleReconnect();
        };
    }

    #scheduleReconnect() {
        if (this.stopped) return;
        this.#startPolling();
        const ceilingMs = Math.min(kReconnectMaxMs, kReconnectFirstMs * 2 ** this.attempts);
        this.attempts += 1;
        const delayMs = ceilingMs / 2 + Math.random() * (ceilingMs / 2);
        clearTimeout(this.reconnectTimer);
        this.reconnectTimer = setTimeout(() => this.#connect(), delayMs);
    }

    #receive(text) {
        let message;
        try {
            message = JSON.parse(text);
        } catch {
            return; // not ours to understand
        }
        if (message?.type === 'hello') this.#live();
        if (message?.type === 'hello' || message?.type === 'time') {
            this.handlers.onServerTime(Number(message.server_time_ms));
        } else if (message?.type === 'order' && message.order) {
            this.handlers.onOrder(message.event, message.order);
        } else if (message?.type === 'sale' && message.sale?.id === this.saleId) {
            this.handlers.onSale(message.event, message.sale);
        }
    }

    // The server greeted us: the socket works, so the backoff starts over and polling stops.
    // After a reconnect, what changed while the socket was down is read once.
    #live() {
        const reconnected = this.attempts > 0 || this.pollTimers.length > 0;
        this.attempts = 0;
        this.#stopPolling();
        this.handlers.onConnection('live');
        if (reconnected) {
            this.handlers.pollOrder();
            this.handlers.pollSale();
        }
    }

    #startPolling() {
        if (this.pollTimers.length > 0) return;
        this.handlers.onConnection('polling');
        this.pollTimers = [
            setInterval(() => this.handlers.pollOrder(), kOrderPollMs),
            setInterval(() => this.handlers.pollSale(), kSalePollMs),
        ];
    }

    #stopPolling() {
        for (const timer of this.pollTimers) clearInterval(timer);
        this.pollTimers = [];
    }
}
