// The dashboard's reading of /metrics: the text format, rates and the p99 from buckets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
    bucketsOf, counterRate, parseMetrics, quantileBetween, sumByLabel, sumMatching,
} from '../src/admin/prometheus.js';

const kSample = `# HELP flashsale_purchases_total Purchase attempts by outcome
# TYPE flashsale_purchases_total counter
flashsale_purchases_total{outcome="accepted"} 7
flashsale_purchases_total{outcome="sold_out"} 1e3
flashsale_admission_refusals_total{gate="rate_limit",reason="rate_ip"} 2
flashsale_admission_refusals_total{gate="rate_limit",reason="rate_user"} 3
flashsale_admission_refusals_total{gate="window",reason="ended"} 1
flashsale_waiting_room_length{sale="a\\"b"} 4 1700000000000
flashsale_pipeline_lag_entries 12
flashsale_http_request_duration_seconds_bucket{le="0.001"} 5
flashsale_http_request_duration_seconds_bucket{le="+Inf"} 6
`;

test('parses names, labels with escapes, values and timestamps', () => {
    const families = parseMetrics(kSample);
    assert.deepEqual(families.get('flashsale_purchases_total'), [
        { labels: { outcome: 'accepted' }, value: 7 },
        { labels: { outcome: 'sold_out' }, value: 1000 },
    ]);
    assert.deepEqual(families.get('flashsale_waiting_room_length'),
                     [{ labels: { sale: 'a"b' }, value: 4 }]);
    assert.deepEqual(families.get('flashsale_pipeline_lag_entries'), [{ labels: {}, value: 12 }]);
    assert.equal(bucketsOf(families.get('flashsale_http_request_duration_seconds_bucket'))
        .get(Infinity), 6);
});

test('skips lines it cannot read', () => {
    const families = parseMetrics('broken{le="1 2\n{x="1"} 3\nok 1\nnovalue\n');
    assert.deepEqual([...families.keys()], ['ok']);
});

test('sums by label and by matching labels; absent is zero', () => {
    const families = parseMetrics(kSample);
    const gates = sumByLabel(families.get('flashsale_admission_refusals_total'), 'gate');
    assert.deepEqual([...gates], [['rate_limit', 5], ['window', 1]]);
    assert.equal(sumMatching(families.get('flashsale_waiting_room_length'), { sale: 'a"b' }), 4);
    assert.equal(sumMatching(families.get('flashsale_waiting_room_length'), { sale: 'x' }), 0);
    assert.equal(sumMatching(families.get('missing_metric'), {}), 0);
});

test('counter rates, across a reset too', () => {
    assert.equal(counterRate(10, 30, 2), 10);
    assert.equal(counterRate(100, 4, 2), 2); // restarted: 4 since
    assert.equal(counterRate(1, 2, 0), 0);
});

test('p99 between two scrapes interpolates within the bucket', () => {
    const before = new Map([[0.001, 0], [0.01, 0], [Infinity, 0]]);
    const after = new Map([[0.001, 90], [0.01, 100], [Infinity, 100]]);
    // rank 99 of 100 falls in (0.001, 0.01], 9 of its 10 counts in
    assert.ok(Math.abs(quantileBetween(0.99, before, after) - 0.0091) < 1e-9);
    assert.equal(quantileBetween(0.99, after, after), null, 'nothing happened in between');
    const slow = new Map([[0.001, 0], [0.01, 0], [Infinity, 10]]);
    assert.equal(quantileBetween(0.99, before, slow), 0.01, 'beyond the last bound');
});
