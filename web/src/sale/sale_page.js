// The sale page's controller: it holds what the page knows (the sale, the buyer's order, the
// click in progress), reacts to clicks, pushes and ticks, and renders through SaleView.
import { sleep } from '../shared/http.js';
import { localNowMs } from '../shared/time.js';
import { BuyerApi } from './buyer_api.js';
import { checkout } from './checkout.js';
import { formatClock, formatPrice, formatWait, secondsLeft, splitDuration } from './format.js';
import { LiveUpdates } from './live_updates.js';
import { explainRefusal } from './refusals.js';
import {
    canBuy, defaultStatusText, holdsUnit, isNewerOrder, pagePhase, salePhase,
} from './sale_state.js';
import { ServerClock } from './server_clock.js';
import { SaleMemory, buyerSession, looksLikeJwt, randomUuid } from './session.js';
import { SaleView } from './sale_view.js';

const kClickCooldownMs = 1_000;
const kClockSamples = 4;
const kTickMaxMs = 250;
const kResyncAfterHiddenMs = 60_000;
const kOpeningRefreshJitterMs = 1_000;

export class SalePage {
    constructor(saleId) {
        this.clock = new ServerClock();
        this.view = new SaleView();
        this.api = new BuyerApi(() => this.state.jwt);
        this.memory = saleId ? new SaleMemory(saleId) : null;
        this.state = {
            saleId,
            sale: null,
            jwt: buyerSession.load(),
            order: null,
            orderEtag: null,
            orderPersisted: false,
            busy: false, // a Buy click is being carried out
            paying: false,
            queue: null, // the waiting room's last status, while waiting in it
            cooldownUntil: 0, // local monotonic ms
            retryUntil: 0,
            problem: null, // the buyer's own refusal (blocked, limit...), until the next click
            notice: null, // {text, phase}: said while the page stays in that phase
            fatal: null, // the page cannot work at all (no such sale)
            connection: 'connecting',
        };
        this.idempotencyKey = null; // kept across clicks only while an outcome is unknown
        this.lastSalePhase = null;
        this.live = null;
    }

    async start() {
        this.#wireControls();
        if (!this.state.saleId) {
            this.state.fatal = 'This link does not name a sale.';
            this.render();
            return;
        }
        this.render();
        if (!(await this.#loadSale())) return;
        await this.#restoreOrder();
        this.live = this.#makeLiveUpdates();
        this.live.start();
        document.addEventListener('visibilitychange', () => this.#onVisibilityChange());
        this.#tick();
    }

    // ----- loading and refreshing -----

    // Reads the sale kClockSamples times; each read is also a sample of the server's clock.
    async #loadSale() {
        for (let attempt = 0; ; ++attempt) {
            const answer = await this.#sampleSale(kClockSamples);
            if (answer.ok) return true;
            if (answer.status === 404) {
                this.state.fatal = 'This sale does not exist. Check the link.';
                this.render();
                return false;
            }
            this.state.fatal = null;
            this.#notify('Could not reach the shop. Trying again…');
            this.render();
            await sleep(Math.min(30, 2 + attempt * 2) * 1000);
        }
    }

    // Several reads of the sale, keeping the clock sample with the shortest round trip and
    // the newest snapshot. Resolves to the last answer (the first one on failure).
    async #sampleSale(samples) {
        let last = null;
        for (let i = 0; i < samples; ++i) {
            const answer = await this.api.getSale(this.state.saleId);
            if (!answer.ok) return last ?? answer;
            this.clock.addRoundTripSample(Date.parse(answer.body.server_time),
                                          answer.sentAtMs, answer.receivedAtMs);
            this.#takeSale(answer.body);
            last = answer;
        }
        return last;
    }

    async #refreshSale() {
        const answer = await this.api.getSale(this.state.saleId);
        if (!answer.ok) return;
        this.clock.addRoundTripSample(Date.parse(answer.body.server_time),
                                      answer.sentAtMs, answer.receivedAtMs);
        this.#takeSale(answer.body);
    }

    #takeSale(sale) {
        this.state.sale = { ...this.state.sale, ...sale };
        this.render();
    }

    // A reload shows the buyer's last order of this sale again.
    async #restoreOrder() {
        const orderId = this.memory.orderId;
        if (!orderId || !this.state.jwt) return;
        const answer = await this.api.getOrder(orderId);
        if (answer.ok) this.#takeOrder(answer.body, answer.etag);
        else if (answer.status === 404) this.memory.orderId = null;
    }

    async #pollOrder() {
        const order = this.state.order;
        if (!order || order.status !== 'reserved' || !this.state.jwt) return;
        const answer = await this.api.getOrder(order.id, this.state.orderEtag);
        if (answer.status === 304) return;
        if (answer.ok) this.#takeOrder(answer.body, answer.etag);
        else if (answer.status === 401) this.#signOut();
    }

    #takeOrder(order, etag = null) {
        if (order.sale_id !== this.state.saleId || !isNewerOrder(this.state.order, order)) return;
        if (this.state.order?.id !== order.id) this.state.orderPersisted = false;
        this.state.order = order;
        this.state.orderEtag = etag;
        this.memory.orderId = order.id;
        this.render();
    }

    #makeLiveUpdates() {
        return new LiveUpdates({
            saleId: this.state.saleId,
            jwt: () => this.state.jwt,
            handlers: {
                onSale: (event, sale) => this.#onSaleEvent(event, sale),
                onOrder: (event, order) => this.#onOrderEvent(event, order),
                onServerTime: (ms) => this.clock.addLowerBound(ms),
                onConnection: (connection) => {
                    this.state.connection = connection;
                    this.render();
                },
                pollOrder: () => this.#pollOrder(),
                pollSale: () => this.#refreshSale(),
            },
        });
    }

    #onSaleEvent(event, sale) {
        this.clock.addLowerBound(Date.parse(sale.server_time));
        const patch = { ...sale };
        if (event === 'sold_out') Object.assign(patch, { status: 'sold_out', remaining: 0 });
        if (event === 'ended') patch.status = 'ended';
        this.#takeSale(patch);
    }

    #onOrderEvent(event, order) {
        this.#takeOrder(order);
        if (event === 'persisted' && this.state.order?.id === order.id) {
            this.state.orderPersisted = true;
            this.render();
        }
    }

    // A tab hidden for a while may have slept: its monotonic clock may have stood still.
    #onVisibilityChange() {
        if (document.visibilityState === 'hidden') {
            this.hiddenAt = localNowMs();
        } else if (this.hiddenAt && localNowMs() - this.hiddenAt > kResyncAfterHiddenMs) {
            this.clock.startOver();
            this.#sampleSale(kClockSamples - 1);
        }
    }

    // ----- the buyer's actions -----

    #wireControls() {
        this.view.nodes.buy.addEventListener('click', () => this.#onBuy());
        this.view.nodes.pay.addEventListener('click', () => this.#onPay());
        this.view.nodes['sign-in'].addEventListener('submit', (event) => {
            event.preventDefault();
            this.#onSignIn(this.view.nodes['jwt-input'].value.trim());
        });
    }

    async #onBuy() {
        const state = this.state;
        if (!canBuy(state, this.clock.now(), localNowMs())) return;
        Object.assign(state, { busy: true, cooldownUntil: localNowMs() + kClickCooldownMs,
                               problem: null, notice: null });
        if (state.order && !holdsUnit(state, this.clock.now())) state.order = null;
        this.idempotencyKey ??= randomUuid();
        this.render();
        const result = await checkout({
            api: this.api, sale: state.sale, memory: this.memory,
            idempotencyKey: this.idempotencyKey,
            report: (progress) => this.#onProgress(progress),
            shouldStop: () => !state.jwt || salePhase(state.sale, this.clock.now()) === 'ended',
        });
        state.busy = false;
        state.queue = null;
        if (result.ok) {
            this.idempotencyKey = null;
            state.notice = null;
            this.#takeOrder(result.order);
            this.#focusPay();
        } else {
            this.#onRefusal(result);
        }
        this.render();
    }

    #onProgress(progress) {
        if (progress.step === 'queue') {
            // Once admitted the buyer is out of the line, on to the purchase.
            this.state.queue = progress.status.state === 'admitted' ? null : progress.status;
        } else if (progress.step === 'solving') {
            const tried = progress.tried > 0 ? ` (${progress.tried.toLocaleString()} tries)` : '';
            this.#notify(`Solving puzzle… a short check that you are a person${tried}.`);
        } else if (progress.step === 'retrying') {
            this.#notify(`The shop is busy. Trying again in ${progress.seconds} s…`);
        } else if (progress.step === 'buying') {
            this.state.queue = null;
            this.#notify('Reserving your unit…');
        }
        this.render();
    }

    #onRefusal(result) {
        if (result.stopped) return;
        if (result.puzzleFailed) {
            this.idempotencyKey = null;
            this.state.problem =
                `Could not solve the puzzle (${result.puzzleFailed}). Tap Buy to try again.`;
            return;
        }
        const effect = explainRefusal(result.answer);
        if (!effect.keepIdempotencyKey) this.idempotencyKey = null;
        this.#applyRefusal(effect);
    }

    #applyRefusal(effect) {
        const state = this.state;
        if (effect.salePatch) state.sale = { ...state.sale, ...effect.salePatch };
        if (effect.forgetTicket) this.memory.ticket = null;
        if (effect.joinQueue) state.sale = { ...state.sale, waiting_room: true };
        if (effect.waitS) state.retryUntil = localNowMs() + effect.waitS * 1000;
        if (effect.signOut) this.#signOut();
        if (effect.resyncClock) {
            this.clock.startOver();
            this.#sampleSale(kClockSamples - 1);
        } else if (effect.refreshSale) {
            this.#refreshSale();
        }
        if (effect.problem) state.problem = effect.problem;
        if (effect.notice) {
            const until = state.retryUntil;
            const text = effect.notice;
            this.#notify(typeof text === 'function'
                ? () => text(secondsLeft(until - localNowMs())) : text);
        }
    }

    async #onPay() {
        const state = this.state;
        const order = state.order;
        if (!order || order.status !== 'reserved' || state.paying) return;
        state.paying = true;
        this.render();
        let answer = await this.api.pay(order.id);
        if (!answer.reached) answer = await this.api.pay(order.id);
        state.paying = false;
        if (answer.ok) {
            state.notice = null;
            this.#takeOrder(answer.body);
        } else if (answer.status === 401) {
            this.#signOut();
            this.#notify('Your sign-in has expired. Please sign in again to pay.');
        } else if (answer.status === 409) {
            await this.#pollOrder();
            const why = answer.errorMessage || 'it changed';
            this.#notify(`This reservation can no longer be paid (${why}).`);
        } else {
            this.#notify('The payment did not go through. Tap Pay to try again.');
        }
        this.render();
    }

    #onSignIn(jwt) {
        if (!looksLikeJwt(jwt)) {
            this.view.showSignInError('That does not look like a sign-in token.');
            return;
        }
        this.view.showSignInError('');
        buyerSession.save(jwt);
        Object.assign(this.state, { jwt, problem: null });
        this.view.nodes['jwt-input'].value = '';
        this.live?.stop();
        this.live?.start();
        this.render();
    }

    #signOut() {
        buyerSession.forget();
        this.state.jwt = null;
        this.live?.stop();
        this.live?.start(); // without a token: polling only
    }

    // Says `text` (or text(now)) under the button for as long as the page stays in this phase.
    #notify(text) {
        this.state.notice = { text, phase: pagePhase(this.state, this.clock.now()) };
    }

    // Keyboard buyers land on the next thing to do.
    #focusPay() {
        const active = document.activeElement;
        if (active === this.view.nodes.buy || active === document.body) {
            queueMicrotask(() => this.view.nodes.pay.focus());
        }
    }

    // ----- rendering -----

    // Renders, then comes back when a countdown next changes: the countdowns run to the
    // opening, the end and the reservation's expiry, and each one's digits change when the
    // time left crosses a whole second. At least every kTickMaxMs, for the button's cooldown.
    #tick() {
        this.render();
        const now = this.clock.now();
        const changesInMs = [
            Date.parse(this.state.sale?.starts_at), Date.parse(this.state.sale?.ends_at),
            Date.parse(this.state.order?.expires_at),
        ].filter((t) => t > now).map((t) => (t - now) % 1000 || 1000);
        const delayMs = Math.min(kTickMaxMs, ...changesInMs);
        setTimeout(() => this.#tick(), Math.max(5, delayMs + 1));
    }

    render() {
        const now = this.clock.now();
        const phase = pagePhase(this.state, now);
        this.#noticeOpening(now);
        this.view.render(this.#model(phase, now));
    }

    // At the opening second every page asks for a fresh snapshot (stock, pause), spread over
    // a second so that the buyers' refreshes do not all land at once.
    #noticeOpening(now) {
        const sale = salePhase(this.state.sale, now);
        if (this.lastSalePhase === 'upcoming' && sale === 'active') {
            setTimeout(() => this.#refreshSale(), Math.random() * kOpeningRefreshJitterMs);
        }
        this.lastSalePhase = this.state.sale ? sale : null;
    }

    #model(phase, now) {
        const state = this.state;
        return {
            phase,
            sale: saleModel(state.sale, state.fatal),
            countdown: countdownModel(state.sale, now),
            queue: queueModel(state.queue),
            order: orderModel(state, phase, now),
            buy: this.#buyModel(phase, now),
            signInVisible: !state.jwt && !state.fatal,
            statusText: this.#statusText(phase, now),
            connectionText: connectionText(state),
        };
    }

    #buyModel(phase, now) {
        const state = this.state;
        const localNow = localNowMs();
        const enabled = canBuy(state, now, localNow);
        let label = 'Buy now';
        if (phase === 'sold_out') label = 'Sold out';
        else if (state.busy) label = phase === 'queued' ? 'Waiting in line…' : 'Working…';
        else if (phase === 'ended') label = 'Sale ended';
        else if (phase === 'upcoming') label = 'Opens soon';
        else if (!state.jwt) label = 'Sign in to buy';
        else if (localNow < state.retryUntil) {
            label = `Wait ${secondsLeft(state.retryUntil - localNow)} s`;
        }
        return { enabled, label, hidden: holdsUnit(state, now) || Boolean(state.fatal) };
    }

    #statusText(phase, now) {
        const { notice, problem, fatal } = this.state;
        if (fatal) return fatal;
        if (notice && notice.phase === phase) {
            return typeof notice.text === 'function' ? notice.text(now) : notice.text;
        }
        if (phase === 'error' && problem) return problem;
        if (phase === 'reserved' && this.state.orderPersisted) {
            return 'Your unit is reserved and your order is saved. Pay before the timer runs out.';
        }
        return defaultStatusText(this.state, phase, now);
    }
}

// ----- the pieces of the model -----

function saleModel(sale, fatal) {
    if (!sale) {
        const name = fatal ? 'Sale unavailable' : 'Loading the sale…';
        return { name, title: 'Flash sale', priceText: '', remainingText: '–', stockText: 'left',
                 fillRatio: 0 };
    }
    const remaining = Math.max(0, sale.remaining ?? 0);
    return {
        name: sale.name,
        title: `${sale.name} · Flash sale`,
        priceText: formatPrice(sale.price_cents),
        remainingText: String(remaining),
        stockText: `of ${sale.stock} left`,
        fillRatio: sale.stock > 0 ? Math.min(1, remaining / sale.stock) : 0,
    };
}

function countdownModel(sale, now) {
    const phase = salePhase(sale, now);
    let label = 'Opens in';
    let untilMs = sale ? Date.parse(sale.starts_at) - now : 0;
    if (phase === 'ended') {
        label = 'The sale has ended';
        untilMs = 0;
    } else if (phase !== 'upcoming') {
        label = 'Open now · ends in';
        untilMs = Date.parse(sale.ends_at) - now;
    }
    const parts = splitDuration(Number.isFinite(untilMs) ? untilMs : 0);
    const ariaLabel = `${label} ${parts.days} days ${parts.hours} hours ` +
                      `${parts.minutes} minutes ${parts.seconds} seconds`;
    return { label, parts, ariaLabel };
}

function queueModel(queue) {
    if (!queue || queue.state === 'admitted') return null;
    const known = Number.isFinite(queue.position);
    return {
        positionText: queue.state === 'closed' ? 'closed' : known ? String(queue.position) : '…',
        lengthText: Number.isFinite(queue.queue_length) ? `of ${queue.queue_length} waiting` : '',
        waitText: queue.state === 'closed' ? 'until stock returns'
            : Number.isFinite(queue.wait_ms) ? formatWait(queue.wait_ms) : '…',
    };
}

function orderModel(state, phase, now) {
    if (phase !== 'reserved') return null;
    const left = Date.parse(state.order.expires_at) - now;
    return {
        countdownText: formatClock(left),
        payLabel: state.paying ? 'Paying…' : 'Pay now',
        payEnabled: !state.paying,
    };
}

function connectionText({ connection, fatal, jwt }) {
    if (fatal) return '';
    if (!jwt) return 'Sign in for live updates';
    if (connection === 'live') return 'Live updates on';
    if (connection === 'polling') return 'Reconnecting… checking for news every few seconds';
    return 'Connecting…';
}
