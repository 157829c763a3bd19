// Reads the Prometheus text exposition format (what GET /metrics answers) into samples, and
// the few calculations the charts need: sums by label, rates between two scrapes, and a
// quantile from histogram buckets.

// Map metric name -> [{labels: {name: value}, value}], comments and blank lines skipped.
export function parseMetrics(text) {
    const families = new Map();
    for (const line of text.split('\n')) {
        const sample = parseSampleLine(line.trim());
        if (!sample) continue;
        if (!families.has(sample.name)) families.set(sample.name, []);
        families.get(sample.name).push({ labels: sample.labels, value: sample.value });
    }
    return families;
}

const kNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

// `name{a="x",b="y"} 12.5 [timestamp]`, or null for anything else.
function parseSampleLine(line) {
    if (line === '' || line.startsWith('#')) return null;
    const name = kNamePattern.exec(line)?.[0];
    if (!name) return null;
    let rest = line.slice(name.length);
    let labels = {};
    if (rest.startsWith('{')) {
        const parsed = parseLabels(rest);
        if (!parsed) return null;
        labels = parsed.labels;
        rest = rest.slice(parsed.length);
    }
    const valueText = rest.trim().split(/\s+/)[0];
    if (!valueText) return null;
    return { name, labels, value: parseValue(valueText) };
}

// Reads `{a="x",b="y\"z"}` from the start of `text`: the labels and how many characters they took.
function parseLabels(text) {
    const labels = {};
    let i = 1;
    while (i < text.length) {
        while (text[i] === ' ' || text[i] === ',') ++i;
        if (text[i] === '}') return { labels, length: i + 1 };
        const key = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i))?.[0];
        if (!key || text[i + key.length] !== '=' || text[i + key.length + 1] !== '"') return null;
        i += key.length + 2;
        let value = '';
        for (; i < text.length && text[i] !== '"'; ++i) {
            if (text[i] === '\\') value += unescapeChar(text[++i]);
            else value += text[i];
        }
        if (i >= text.length) return null;
        labels[key] = value;
        ++i; // the closing quote
    }
    return null;
}

function unescapeChar(c) {
    return c === 'n' ? '\n' : c;
}

function parseValue(text) {
    if (text === '+Inf') return Infinity;
    if (text === '-Inf') return -Infinity;
    return Number(text); // "NaN" reads as NaN too
}

// Sums a family's samples by one label: Map labelValue -> sum. Samples without it are skipped.
export function sumByLabel(samples = [], label) {
    const sums = new Map();
    for (const { labels, value } of samples) {
        if (!(label in labels)) continue;
        sums.set(labels[label], (sums.get(labels[label]) ?? 0) + value);
    }
    return sums;
}

// Sum of a family's samples whose labels include every pair of `match`; 0 when absent.
export function sumMatching(samples = [], match = {}) {
    let sum = 0;
    for (const { labels, value } of samples) {
        if (Object.entries(match).every(([key, wanted]) => labels[key] === wanted)) sum += value;
    }
    return sum;
}

// Per-second rate of a counter between two readings. A counter that went down was reset (the
// server restarted): then everything counted since is new, as Prometheus's rate() assumes.
export function counterRate(previous, current, seconds) {
    if (!(seconds > 0)) return 0;
    const increase = current >= previous ? current - previous : current;
    return increase / seconds;
}

// The q-quantile (0.99 for p99) of what a histogram counted between two scrapes, from its
// cumulative buckets (Map le -> count, le = Infinity for +Inf), interpolating linearly within
// the bucket it falls in, like Prometheus's histogram_quantile(). null when nothing was counted.
export function quantileBetween(q, previousBuckets, currentBuckets) {
    const bounds = [...currentBuckets.keys()].sort((a, b) => a - b);
    const counts = bounds.map((le) => {
        const before = previousBuckets?.get(le) ?? 0;
        const now = currentBuckets.get(le);
        return now >= before ? now - before : now;
    });
    const total = counts[counts.length - 1] ?? 0;
    if (!(total > 0)) return null;
    const rank = q * total;
    const index = counts.findIndex((count) => count >= rank);
    const upper = bounds[index];
    const lower = index > 0 ? bounds[index - 1] : 0;
    if (upper === Infinity) return lower; // beyond the last finite bucket: its bound is all we know
    const below = index > 0 ? counts[index - 1] : 0;
    const inBucket = counts[index] - below;
    return inBucket > 0 ? lower + (upper - lower) * ((rank - below) / inBucket) : upper;
}

// A histogram family's buckets summed over its other labels: Map le (number) -> count.
export function bucketsOf(samples = []) {
    const sums = sumByLabel(samples, 'le');
    return new Map([...sums].map(([le, count]) => [parseValue(le), count]));
}
