// The page's estimate of the server's clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServerClock } from '../src/sale/server_clock.js';

test('keeps the sample with the shortest round trip', () => {
    const clock = new ServerClock();
    clock.addRoundTripSample(10_000 + 500, 500, 600); // offset 9950, round trip 100
    clock.addRoundTripSample(20_000 + 700, 700, 710); // offset 19995, round trip 10
    clock.addRoundTripSample(99_000, 800, 900); // slower: ignored
    assert.equal(clock.uncertaintyMs, 5);
    const estimateMs = clock.now() - performance.timeOrigin - performance.now();
    assert.ok(Math.abs(estimateMs - 19_995) < 5);
});

test('a pushed time moves the estimate up, never down', () => {
    const clock = new ServerClock();
    clock.addRoundTripSample(1_000, 0, 10); // offset 995
    clock.addLowerBound(5_000, 1_000); // the server was at 5000 when we were at 1000
    const offset = () => clock.now() - performance.timeOrigin - performance.now();
    assert.ok(Math.abs(offset() - 4_000) < 5);
    clock.addLowerBound(1_000, 1_000);
    assert.ok(Math.abs(offset() - 4_000) < 5, 'an older stamp changes nothing');
});
