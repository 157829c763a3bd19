// The proof-of-work search finds what the server's check (proof_of_work.cc) accepts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { leadingZeroBits, searchNonce } from '../src/sale/pow_search.js';

test('counts leading zero bits across bytes', () => {
    assert.equal(leadingZeroBits(new Uint8Array([0x80]).buffer), 0);
    assert.equal(leadingZeroBits(new Uint8Array([0x01]).buffer), 7);
    assert.equal(leadingZeroBits(new Uint8Array([0x00, 0x3f]).buffer), 10);
    assert.equal(leadingZeroBits(new Uint8Array([0, 0]).buffer), 16);
});

test('the nonce found solves the puzzle as the server checks it', async () => {
    const challenge = 'v1.sale.alice.1700000000.abcdef';
    const nonce = await searchNonce(challenge, 12);
    assert.match(nonce, /^\d+$/, 'a decimal counter');
    const digest = createHash('sha256').update(challenge + nonce).digest();
    assert.ok(leadingZeroBits(new Uint8Array(digest)) >= 12);
});
