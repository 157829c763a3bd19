// The admin API (routes.cc marks them admin: a bearer token of its own, not a buyer's JWT),
// one function per call. Each returns an Answer (shared/http.js).
import { request } from '../shared/http.js';

const adminPath = (...parts) => '/api/v1/admin/' + parts.map(encodeURIComponent).join('/');

export class AdminApi {
    constructor(token) {
        this.token = token;
    }

    #call(method, path, body) {
        return request(method, path, { bearer: this.token, body });
    }

    listSales() {
        return this.#call('GET', adminPath('sales'));
    }

    createSale(fields) {
        return this.#call('POST', adminPath('sales'), fields);
    }

    changeSale(saleId, fields) {
        return this.#call('PATCH', adminPath('sales', saleId), fields);
    }

    // action: 'start' | 'pause' | 'stop'
    moveSale(saleId, action) {
        return this.#call('POST', adminPath('sales', saleId, action), {});
    }

    saleStats(saleId) {
        return this.#call('GET', adminPath('sales', saleId, 'stats'));
    }

    listBlacklist() {
        return this.#call('GET', adminPath('blacklist'));
    }

    // entry: {user} or {ip}, with an optional ttl_s
    addToBlacklist(entry) {
        return this.#call('POST', adminPath('blacklist'), entry);
    }

    removeFromBlacklist(kind, value) {
        return this.#call('DELETE', adminPath('blacklist', kind === 'ip' ? 'ips' : 'users', value));
    }

    // Prometheus text, for the charts. Open today; the admin token goes along so that the
    // dashboard keeps working if /metrics is ever put behind it.
    metrics() {
        return request('GET', '/metrics', { bearer: this.token, text: true });
    }
}
