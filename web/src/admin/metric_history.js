// The last two minutes of the numbers the charts draw, one point per scrape of /metrics (and
// of the selected sale's stats). Counters become per-second rates between two scrapes; the
// latency histogram becomes the p99 of the requests answered in between.
import {
    bucketsOf, counterRate, parseMetrics, quantileBetween, sumByLabel, sumMatching,
} from './prometheus.js';

export const kWindowS = 120;

const kPurchases = 'flashsale_purchases_total';
const kRefusals = 'flashsale_admission_refusals_total';
const kLatencyBuckets = 'flashsale_http_request_duration_seconds_bucket';
const kQueueLength = 'flashsale_waiting_room_length';
const kPipelineLag = 'flashsale_pipeline_lag_entries';

// What one scrape read, before any rate is taken.
function readScrape(timeS, metricsText, stats, saleId) {
    const families = parseMetrics(metricsText);
    return {
        timeS,
        outcomes: sumByLabel(families.get(kPurchases), 'outcome'),
        gates: sumByLabel(families.get(kRefusals), 'gate'),
        latency: bucketsOf(families.get(kLatencyBuckets)),
        queueLength: saleId ? sumMatching(families.get(kQueueLength), { sale: saleId }) : 0,
        pipelineLag: sumMatching(families.get(kPipelineLag)),
        remaining: stats?.remaining ?? null,
    };
}

function ratesBetween(previous, current, seconds) {
    const rates = new Map();
    for (const [key, value] of current) {
        rates.set(key, counterRate(previous.get(key) ?? 0, value, seconds));
    }
    return rates;
}

export class MetricHistory {
    constructor(windowS = kWindowS) {
        this.windowS = windowS;
        this.points = [];
        this.previous = null;
    }

    // The selected sale changed: its remaining stock and queue start over.
    clearSaleSeries() {
        for (const point of this.points) {
            point.remaining = null;
            point.queueLength = null;
        }
    }

    add(timeS, metricsText, stats, saleId) {
        const scrape = readScrape(timeS, metricsText, stats, saleId);
        const previous = this.previous;
        this.previous = scrape;
        if (!previous) return; // a rate needs two scrapes
        const seconds = scrape.timeS - previous.timeS;
        const p99S = quantileBetween(0.99, previous.latency, scrape.latency);
        this.points.push({
            timeS: scrape.timeS,
            outcomes: ratesBetween(previous.outcomes, scrape.outcomes, seconds),
            gates: ratesBetween(previous.gates, scrape.gates, seconds),
            p99Ms: p99S === null ? null : p99S * 1000,
            queueLength: scrape.queueLength,
            pipelineLag: scrape.pipelineLag,
            remaining: scrape.remaining,
        });
        const oldestS = scrape.timeS - this.windowS;
        while (this.points.length > 0 && this.points[0].timeS < oldestS) this.points.shift();
    }

    get times() {
        return this.points.map((point) => point.timeS);
    }

    // One series per key that was ever above zero in the window (plus `always`), so a chart
    // of twenty possible outcomes shows the three that happen.
    keyedSeries(field, always = []) {
        const names = new Set(always);
        for (const point of this.points) {
            for (const [key, value] of point[field]) if (value > 0) names.add(key);
        }
        const series = {};
        for (const name of [...names].sort()) {
            series[name] = this.points.map((point) => point[field].get(name) ?? 0);
        }
        return series;
    }

    series(field) {
        return this.points.map((point) => point[field]);
    }
}
