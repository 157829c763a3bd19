// The buyer's side of API v1, one function per call. Each returns an Answer (shared/http.js).
import { request } from '../shared/http.js';

const path = (...parts) => '/api/v1/' + parts.map(encodeURIComponent).join('/');

export class BuyerApi {
    // `jwt` is read at each call: the buyer may sign in again while the page stays open.
    constructor(jwt) {
        this.jwt = jwt;
    }

    getSale(saleId) {
        return request('GET', path('sales', saleId));
    }

    joinQueue(saleId) {
        return request('POST', path('sales', saleId, 'queue'), { bearer: this.jwt(), body: {} });
    }

    queueStatus(saleId, ticket) {
        return request('POST', path('sales', saleId, 'queue'),
                       { bearer: this.jwt(), body: { ticket } });
    }

    // `answer` is {} at first, then {challenge, nonce} once a puzzle is solved.
    requestToken(saleId, { queueTicket, answer = {} } = {}) {
        const body = { ...answer };
        if (queueTicket) body.queue_ticket = queueTicket;
        return request('POST', path('sales', saleId, 'token'), { bearer: this.jwt(), body });
    }

    purchase(saleId, { token, queueTicket, idempotencyKey }) {
        const body = { quantity: 1 };
        if (token) body.token = token;
        if (queueTicket) body.queue_ticket = queueTicket;
        return request('POST', path('sales', saleId, 'purchase'), {
            bearer: this.jwt(), body, headers: { 'Idempotency-Key': idempotencyKey },
        });
    }

    // With the ETag of the copy we hold, an unchanged order costs a 304 and no body.
    getOrder(orderId, etag) {
        const headers = etag ? { 'If-None-Match': etag } : {};
        return request('GET', path('orders', orderId), { bearer: this.jwt(), headers });
    }

    pay(orderId) {
        return request('POST', path('orders', orderId, 'pay'), { bearer: this.jwt(), body: {} });
    }
}
