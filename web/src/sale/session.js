// Who the buyer is and what this tab remembers about each sale. The sign-in token (a JWT from
// the shop's identity provider) arrives in the link's fragment, which browsers never send to a
// server or a CDN, and is kept in sessionStorage: it lives as long as the tab, and other tabs
// and sites cannot read it.
import { tabStorage, takeFragmentParam } from '../shared/dom.js';

const kJwtKey = 'flashsale.jwt';

// The sale this page is for: /sale/{id}, or /?sale=ID.
export function saleIdFromLocation(location = window.location) {
    const match = /^\/sale\/([^/]+)\/?$/.exec(location.pathname);
    if (match) return safeDecode(match[1]);
    const query = new URLSearchParams(location.search).get('sale');
    return query ? query : null;
}

function safeDecode(text) {
    try {
        return decodeURIComponent(text);
    } catch {
        return null;
    }
}

// A JWT is three base64url parts joined by dots; anything else is a paste gone wrong.
export function looksLikeJwt(text) {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text);
}

export const buyerSession = {
    // The link's #token=JWT wins (and leaves the address bar); else what the tab kept.
    load() {
        const fromLink = takeFragmentParam('token');
        if (fromLink && looksLikeJwt(fromLink)) this.save(fromLink);
        return tabStorage.get(kJwtKey);
    },
    save(jwt) {
        tabStorage.set(kJwtKey, jwt);
    },
    forget() {
        tabStorage.remove(kJwtKey);
    },
};

// Per-sale memory of this tab: the waiting-room ticket (reused, so a reload keeps the
// buyer's place in line) and the last order (so a reload shows it again).
export class SaleMemory {
    constructor(saleId) {
        this.ticketKey = `flashsale.queue.${saleId}`;
        this.orderKey = `flashsale.order.${saleId}`;
    }

    get ticket() {
        return tabStorage.get(this.ticketKey);
    }

    set ticket(value) {
        if (value) tabStorage.set(this.ticketKey, value);
        else tabStorage.remove(this.ticketKey);
    }

    get orderId() {
        return tabStorage.get(this.orderKey);
    }

    set orderId(value) {
        if (value) tabStorage.set(this.orderKey, value);
        else tabStorage.remove(this.orderKey);
    }
}

// An Idempotency-Key: 122 random bits in UUID v4 form. crypto.randomUUID() exists only on
// secure origins; getRandomValues() everywhere.
export function randomUuid() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    const part = (from, to) => hex.slice(from, to);
    return `${part(0, 8)}-${part(8, 12)}-${part(12, 16)}-${part(16, 20)}-${part(20)}`;
}
