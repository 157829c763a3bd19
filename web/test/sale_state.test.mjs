// The sale page's rules: what it shows and when Buy is live, on the server's clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canBuy, isNewerOrder, pagePhase, salePhase } from '../src/sale/sale_state.js';

const kStart = Date.parse('2030-01-01T00:00:00Z');
const sale = {
    id: 's', status: 'upcoming', remaining: 5, stock: 5, paused: false,
    starts_at: '2030-01-01T00:00:00Z', ends_at: '2030-01-01T01:00:00Z',
};
const baseState = {
    sale, jwt: 'j', order: null, busy: false, queue: null, problem: null, fatal: null,
    cooldownUntil: 0, retryUntil: 0,
};

test('a sale opens on the server clock, not on a stale status', () => {
    assert.equal(salePhase(sale, kStart - 1), 'upcoming');
    assert.equal(salePhase(sale, kStart), 'active');
    assert.equal(salePhase({ ...sale, status: 'active' }, kStart - 500), 'active',
                 'the server said it is open: trust it over a lagging estimate');
    assert.equal(salePhase({ ...sale, remaining: 0 }, kStart), 'sold_out');
    assert.equal(salePhase({ ...sale, paused: true }, kStart), 'paused');
    assert.equal(salePhase(sale, Date.parse(sale.ends_at)), 'ended');
});

test('Buy is grey before the opening, during a click, cooldown and Retry-After', () => {
    assert.equal(canBuy(baseState, kStart - 1, 0), false);
    assert.equal(canBuy(baseState, kStart, 0), true);
    assert.equal(canBuy({ ...baseState, busy: true }, kStart, 0), false);
    assert.equal(canBuy({ ...baseState, cooldownUntil: 1000 }, kStart, 999), false);
    assert.equal(canBuy({ ...baseState, retryUntil: 5000 }, kStart, 4999), false);
    assert.equal(canBuy({ ...baseState, jwt: null }, kStart, 0), false);
});

test('the buyer\'s own order comes before the sale\'s state', () => {
    const reserved = { id: 'o', status: 'reserved', expires_at: '2030-01-01T00:05:00Z' };
    const soldOut = { ...baseState, sale: { ...sale, remaining: 0 } };
    assert.equal(pagePhase({ ...soldOut, order: reserved }, kStart + 1), 'reserved');
    assert.equal(pagePhase({ ...soldOut, order: { ...reserved, status: 'paid' } }, kStart), 'paid');
    assert.equal(pagePhase({ ...baseState, order: reserved }, Date.parse(reserved.expires_at)),
                 'expired', 'past its deadline on the server clock');
    assert.equal(canBuy({ ...baseState, order: reserved }, kStart + 1, 0), false);
    assert.equal(pagePhase({ ...baseState, queue: { state: 'queued' } }, kStart), 'queued');
    assert.equal(pagePhase({ ...baseState, queue: { state: 'closed' } }, kStart), 'sold_out');
});

test('late pushes never undo a final order status', () => {
    const paid = { id: 'o', status: 'paid', created_at: '2030-01-01T00:00:01Z' };
    assert.equal(isNewerOrder(paid, { ...paid, status: 'reserved' }), false);
    assert.equal(isNewerOrder({ ...paid, status: 'reserved' }, paid), true);
    assert.equal(isNewerOrder(paid, { id: 'p', status: 'reserved',
                                      created_at: '2030-01-01T00:00:02Z' }), true);
});
