// Writes the page's model (sale_page.js) into the DOM. Nothing here decides anything; it only
// shows. Every write goes through setText/setHidden, which skip unchanged values, so the
// render can run several times a second without disturbing screen readers or layout.
import { byId, el, setHidden, setText } from '../shared/dom.js';
import { twoDigits } from './format.js';

const kSegments = [['days', 'd'], ['hours', 'h'], ['minutes', 'm'], ['seconds', 's']];

export class SaleView {
    constructor() {
        this.nodes = Object.fromEntries([
            'sale-name', 'price', 'countdown-label', 'countdown', 'stock-fill', 'remaining',
            'stock-of', 'queue', 'queue-position', 'queue-length', 'queue-wait', 'order',
            'order-countdown', 'pay', 'sign-in', 'jwt-input', 'jwt-error', 'buy', 'status',
            'connection',
        ].map((id) => [id, byId(id)]));
        this.segments = this.#buildCountdown();
    }

    // Days, hours, minutes, seconds: one box each, built once and then only updated.
    #buildCountdown() {
        const countdown = this.nodes.countdown;
        countdown.replaceChildren();
        const segments = {};
        for (const [unit, suffix] of kSegments) {
            const value = el('span', { className: 'count-value' }, '00');
            const box = el('span', { className: `count-box count-${unit}` },
                           value, el('span', { className: 'count-unit' }, suffix));
            countdown.append(box);
            segments[unit] = { box, value };
        }
        return segments;
    }

    render(model) {
        document.body.dataset.state = model.phase;
        this.#renderSale(model.sale);
        this.#renderCountdown(model.countdown);
        this.#renderQueue(model.queue);
        this.#renderOrder(model.order);
        this.#renderButtons(model);
        setText(this.nodes.status, model.statusText);
        setText(this.nodes.connection, model.connectionText);
    }

    #renderSale(sale) {
        const { nodes } = this;
        setText(nodes['sale-name'], sale.name);
        if (document.title !== sale.title) document.title = sale.title;
        setText(nodes.price, sale.priceText);
        setText(nodes.remaining, sale.remainingText);
        setText(nodes['stock-of'], sale.stockText);
        const width = `${Math.round(sale.fillRatio * 100)}%`;
        if (nodes['stock-fill'].style.width !== width) nodes['stock-fill'].style.width = width;
    }

    #renderCountdown({ label, parts, ariaLabel }) {
        setText(this.nodes['countdown-label'], label);
        const countdown = this.nodes.countdown;
        if (countdown.getAttribute('aria-label') !== ariaLabel) {
            countdown.setAttribute('aria-label', ariaLabel);
        }
        for (const [unit] of kSegments) {
            const { box, value } = this.segments[unit];
            setText(value, twoDigits(parts[unit]));
            setHidden(box, unit === 'days' && parts.days === 0);
        }
    }

    #renderQueue(queue) {
        setHidden(this.nodes.queue, !queue);
        if (!queue) return;
        setText(this.nodes['queue-position'], queue.positionText);
        setText(this.nodes['queue-length'], queue.lengthText);
        setText(this.nodes['queue-wait'], queue.waitText);
    }

    #renderOrder(order) {
        setHidden(this.nodes.order, !order);
        if (!order) return;
        setText(this.nodes['order-countdown'], order.countdownText);
        setText(this.nodes.pay, order.payLabel);
        this.nodes.pay.disabled = !order.payEnabled;
    }

    #renderButtons({ buy, signInVisible }) {
        const button = this.nodes.buy;
        if (button.disabled !== !buy.enabled) this.#setBuyEnabled(button, buy.enabled);
        setText(button, buy.label);
        setHidden(button, buy.hidden);
        setHidden(this.nodes['sign-in'], !signInVisible);
    }

    // A disabled button loses the keyboard focus (to <body>). The cooldown after each click
    // disables Buy for a second, so the focus is given back when it comes back on, unless
    // the buyer has moved on to something else meanwhile.
    #setBuyEnabled(button, enabled) {
        if (!enabled && document.activeElement === button) this.buyHadFocus = true;
        button.disabled = !enabled;
        if (enabled && this.buyHadFocus && document.activeElement === document.body) button.focus();
        if (enabled) this.buyHadFocus = false;
    }

    showSignInError(text) {
        setText(this.nodes['jwt-error'], text);
    }
}
