// Time charts drawn by uPlot (bundled into admin.js by esbuild). A chart's lines follow the
// data: when a new outcome or gate shows up, the chart is rebuilt with one more line, and each
// name keeps its colour, so "sold_out" is the same red on every chart and after every rebuild.
import uPlot from 'uplot';
import { el } from '../shared/dom.js';
import { kWindowS } from './metric_history.js';

const kHeightPx = 190;
const kWholeIncrements = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5,
                          2e5, 5e5, 1e6, 2e6, 5e6, 1e7];

const kNamedColours = {
    accepted: '#16a34a', sold_out: '#dc2626', limit_reached: '#f59e0b',
    rate_limited: '#7c3aed', rate_limit: '#7c3aed', blocked: '#0f172a', blacklist: '#0f172a',
    forbidden: '#db2777', token: '#db2777', precondition_required: '#0891b2',
    proof_of_work: '#0891b2', overloaded: '#ea580c', shedding: '#ea580c', unavailable: '#9a3412',
    not_started: '#64748b', window: '#64748b', ended: '#94a3b8', waiting_room: '#2563eb',
};
const kSpareColours = ['#2563eb', '#0d9488', '#a16207', '#be185d', '#4d7c0f', '#6d28d9'];

function colourOf(name) {
    if (kNamedColours[name]) return kNamedColours[name];
    let hash = 0;
    for (const c of name) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
    return kSpareColours[hash % kSpareColours.length];
}

// Always the last kWindowS seconds, so the time axis stays still while points arrive.
function lastWindow(maxS) {
    const endS = Number.isFinite(maxS) ? maxS : Date.now() / 1000;
    return [endS - kWindowS, endS];
}

// "14:05:30": the date is today's, and a second line of it would crowd the axis.
function clockTime(seconds) {
    const at = new Date(seconds * 1000);
    const pad = (n) => String(n).padStart(2, '0');
    return `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

function cssVariable(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
}

export class TimeChart {
    // `format(value)` writes a y value for the axis and the legend ("12/s", "3.4 ms");
    // `whole` charts count things, so their axis never shows a fraction.
    constructor(parent, { title, format = (v) => String(v), whole = false }) {
        this.format = format;
        this.whole = whole;
        this.names = null;
        this.plot = null;
        this.body = el('div', { className: 'chart-body' });
        this.card = el('figure', { className: 'chart' }, el('figcaption', {}, title), this.body);
        parent.append(this.card);
        new ResizeObserver(() => this.#fitWidth()).observe(this.body);
    }

    // times: seconds since the epoch; seriesByName: {name: values[]} of the same length.
    update(times, seriesByName) {
        const names = Object.keys(seriesByName);
        const data = [times, ...names.map((name) => seriesByName[name])];
        if (!this.plot || names.join('\n') !== this.names.join('\n')) {
            this.#build(names, data);
        } else {
            this.plot.setData(data);
        }
        this.#showLatestInLegend(times.length);
    }

    // The legend follows the cursor; without one over the chart, it shows the latest values.
    #showLatestInLegend(length) {
        if (length > 0 && !(this.plot.cursor.left >= 0)) this.plot.setLegend({ idx: length - 1 });
    }

    #build(names, data) {
        this.plot?.destroy();
        this.names = names;
        const ink = cssVariable('--muted', '#5b6172');
        const grid = cssVariable('--line', '#e3e5ec');
        const line = { stroke: grid, width: 1 };
        const axis = { stroke: ink, grid: line, ticks: line };
        const format = this.format;
        this.plot = new uPlot({
            width: this.#width(),
            height: kHeightPx,
            series: [
                {},
                ...names.map((name) => ({
                    label: name, stroke: colourOf(name), width: 2, spanGaps: false,
                    points: { show: false }, value: (_, v) => (v === null ? '–' : format(v)),
                })),
            ],
            axes: [{ ...axis, space: 70, values: (_, splits) => splits.map(clockTime) }, {
                ...axis, size: 56, values: (_, values) => values.map(format),
                ...(this.whole ? { incrs: kWholeIncrements } : {}),
            }],
            scales: {
                x: { time: true, range: (_, min, max) => lastWindow(max) },
                y: { range: (_, min, max) => [0, Math.max(1, max * 1.1)] },
            },
            cursor: { drag: { x: false, y: false } },
            legend: { live: true },
        }, data, this.body);
    }

    #width() {
        return Math.max(240, Math.floor(this.body.clientWidth || 480));
    }

    #fitWidth() {
        if (this.plot && Math.abs(this.plot.width - this.#width()) > 1) {
            this.plot.setSize({ width: this.#width(), height: kHeightPx });
        }
    }
}
