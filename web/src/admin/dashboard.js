// The admin dashboard's controller: signs in with the admin token, keeps the sales table, the
// blacklist and the charts fresh, and carries out the buttons and forms.
import { byId, el, setHidden, setText, tabStorage, takeFragmentParam } from '../shared/dom.js';
import { AdminApi } from './admin_api.js';
import { BlacklistView, readBlacklistForm } from './blacklist_view.js';
import { TimeChart } from './charts.js';
import { MetricHistory } from './metric_history.js';
import { SalesTable, localInputTime, readSaleForm } from './sales_view.js';

const kTokenKey = 'flashsale.admin';
const kChartsEveryMs = 1_000;
const kSalesEveryMs = 2_000;
const kBlacklistEveryMs = 5_000;

// The sale the charts show until the admin picks one: an open one if any.
function firstToWatch(sales) {
    return (sales.find((sale) => sale.status === 'active') ?? sales[0])?.id ?? null;
}

const perSecond = (v) => `${v >= 10 ? Math.round(v) : Number(v.toFixed(v >= 1 ? 1 : 2))}/s`;
const milliseconds = (v) => (v >= 10 ? `${Math.round(v)} ms` : `${Math.round(v * 100) / 100} ms`);
const count = (v) => String(Math.round(v));

export class Dashboard {
    constructor() {
        this.api = null;
        this.selectedSaleId = null;
        this.history = new MetricHistory();
        this.session = null; // a new object at each sign-in; the refresh loops stop with theirs
    }

    start() {
        const fromLink = takeFragmentParam('admin');
        if (fromLink) tabStorage.set(kTokenKey, fromLink);
        byId('admin-sign-in').addEventListener('submit', (event) => {
            event.preventDefault();
            this.#signIn(byId('admin-token').value.trim());
        });
        byId('sign-out').addEventListener('click', () => this.#signOut());
        const saved = tabStorage.get(kTokenKey);
        if (saved) this.#signIn(saved);
        else this.#showSignIn('');
    }

    // ----- signing in and out -----

    async #signIn(token) {
        if (!token) return;
        const api = new AdminApi(token);
        const answer = await api.listSales();
        if (answer.status === 401) {
            tabStorage.remove(kTokenKey);
            this.#showSignIn('That admin token was refused.');
            return;
        }
        if (!answer.ok) {
            this.#showSignIn(`The server did not answer (${answer.errorCode}). Try again.`);
            return;
        }
        tabStorage.set(kTokenKey, token);
        byId('admin-token').value = '';
        this.api = api;
        this.session = {};
        setHidden(byId('sign-in-panel'), true);
        setHidden(byId('dashboard'), false);
        setHidden(byId('sign-out'), false);
        this.#startDashboard(answer.body?.sales ?? []);
    }

    #showSignIn(error) {
        setHidden(byId('sign-in-panel'), false);
        setHidden(byId('dashboard'), true);
        setHidden(byId('sign-out'), true);
        setText(byId('sign-in-error'), error);
        byId('admin-token').focus();
    }

    #signOut() {
        tabStorage.remove(kTokenKey);
        this.session = null;
        this.api = null;
        this.#showSignIn('');
    }

    // ----- the dashboard -----

    #startDashboard(sales) {
        if (!this.table) this.#buildOnce();
        this.#showSales(sales);
        this.#every(kSalesEveryMs, () => this.#refreshSales());
        this.#every(kChartsEveryMs, () => this.#refreshCharts());
        this.#every(kBlacklistEveryMs, () => this.#refreshBlacklist());
    }

    // Runs `work` now and then `everyMs` after each run ends, so a slow server never has two
    // refreshes of the same kind in flight; until the admin signs out.
    #every(everyMs, work) {
        const session = this.session;
        const run = async () => {
            if (this.session !== session) return;
            try {
                await work();
            } catch (error) {
                console.error('dashboard refresh failed', error); // the next run may fare better
            }
            if (this.session === session) setTimeout(run, everyMs);
        };
        run();
    }

    #buildOnce() {
        this.table = new SalesTable(byId('sales'),
                                    (id, action, value) => this.#onSaleAction(id, action, value));
        this.blacklist = new BlacklistView(byId('blacklist'),
                                           (kind, value) => this.#unblock(kind, value));
        const chart = (title, format, whole = false) =>
            new TimeChart(byId('charts'), { title, format, whole });
        this.charts = {
            outcomes: chart('Purchase requests by outcome', perSecond),
            remaining: chart('Remaining stock', count, true),
            gates: chart('Refusals by gate', perSecond),
            latency: chart('p99 latency (all requests)', milliseconds),
            queue: chart('Waiting room length', count, true),
            lag: chart('Order pipeline lag (entries)', count, true),
        };
        this.#drawCharts();
        this.#wireForms();
    }

    #wireForms() {
        const form = byId('create-sale');
        form.elements.namedItem('starts_at').value = localInputTime(5 * 60_000);
        form.elements.namedItem('ends_at').value = localInputTime(65 * 60_000);
        form.addEventListener('submit', (event) => {
            event.preventDefault();
            this.#createSale(form);
        });
        const blockForm = byId('blacklist-add');
        blockForm.addEventListener('submit', (event) => {
            event.preventDefault();
            this.#block(blockForm);
        });
        byId('chart-sale').addEventListener('change', (event) => this.#select(event.target.value));
    }

    async #refreshSales() {
        const answer = await this.api.listSales();
        if (answer.status === 401) return this.#signOut();
        if (answer.ok) this.#showSales(answer.body?.sales ?? []);
    }

    // The list may carry each sale's stats (sold) or only the sale itself; a sale's sold units
    // are then its stock less what remains (stock_engine.h: remaining = stock - sold).
    #showSales(sales) {
        const rows = sales.map((sale) => ({
            ...sale, sold: sale.sold ?? sale.stock - sale.remaining,
        }));
        this.table.render(rows);
        this.#fillSaleChoice(rows);
        if (!rows.some((sale) => sale.id === this.selectedSaleId)) this.#select(firstToWatch(rows));
    }

    #fillSaleChoice(sales) {
        const choice = byId('chart-sale');
        const wanted = sales.map((sale) => sale.id).join('\n');
        if (choice.dataset.ids !== wanted) {
            choice.dataset.ids = wanted;
            choice.replaceChildren(...sales.map(
                (sale) => el('option', { value: sale.id }, `${sale.id} · ${sale.name}`)));
        }
        choice.value = this.selectedSaleId ?? '';
    }

    #select(saleId) {
        if (saleId === this.selectedSaleId) return;
        this.selectedSaleId = saleId;
        this.table.select(saleId);
        byId('chart-sale').value = saleId ?? '';
        this.history.clearSaleSeries();
        this.stats = null;
        this.#showStats(null);
    }

    async #refreshCharts() {
        const saleId = this.selectedSaleId;
        const [metrics, stats] = await Promise.all([
            this.api.metrics(),
            saleId ? this.api.saleStats(saleId) : Promise.resolve(null),
        ]);
        if (saleId !== this.selectedSaleId) return; // the choice changed while we asked
        const statsBody = stats?.ok ? stats.body : null;
        if (metrics.ok) this.history.add(Date.now() / 1000, metrics.body, statsBody, saleId);
        this.#showStats(statsBody);
        this.#drawCharts();
    }

    #drawCharts() {
        const times = this.history.times;
        const { charts, history } = this;
        charts.outcomes.update(times, history.keyedSeries('outcomes', ['accepted']));
        charts.remaining.update(times, { remaining: history.series('remaining') });
        charts.gates.update(times, history.keyedSeries('gates'));
        charts.latency.update(times, { p99: history.series('p99Ms') });
        charts.queue.update(times, { queue: history.series('queueLength') });
        charts.lag.update(times, { lag: history.series('pipelineLag') });
    }

    // The selected sale's own numbers, beside the charts.
    #showStats(stats) {
        const panel = byId('sale-stats');
        if (!stats) {
            const text = this.selectedSaleId ? 'Loading…' : 'No sale yet.';
            panel.replaceChildren(el('p', { className: 'muted' }, text));
            return;
        }
        const figures = ['sold', 'reserved', 'paid', 'cancelled', 'expired', 'remaining'];
        const refusals = Object.entries(stats.refusals ?? {}).filter(([, n]) => n > 0);
        panel.replaceChildren(
            el('dl', { className: 'figures' }, ...figures.flatMap((name) => [
                el('dt', {}, name), el('dd', { className: `figure-${name}` }, stats[name] ?? 0)])),
            el('p', { className: 'refusals' }, refusals.length === 0 ? 'No refusals yet.'
                : `Refused: ${refusals.map(([reason, n]) => `${reason} ${n}`).join(', ')}`));
    }

    // ----- actions -----

    async #onSaleAction(saleId, action, value) {
        if (action === 'select') return this.#select(saleId);
        let answer;
        if (action === 'stock') {
            if (!Number.isInteger(value) || value < 0) {
                return this.#tell('Stock must be a whole number.', true);
            }
            answer = await this.api.changeSale(saleId, { stock: value });
        } else {
            answer = await this.api.moveSale(saleId, action);
        }
        this.#tellAnswer(answer, action === 'stock'
            ? `Stock of ${saleId} is now ${value}.` : `Sale ${saleId}: ${action} done.`);
        await this.#refreshSales();
    }

    async #createSale(form) {
        let fields;
        try {
            fields = readSaleForm(form);
        } catch {
            return this.#tell('Check the dates: they must be valid times.', true);
        }
        const answer = await this.api.createSale(fields);
        this.#tellAnswer(answer, `Created sale ${answer.body?.id ?? ''}.`);
        if (answer.ok) {
            form.elements.namedItem('id').value = '';
            await this.#refreshSales();
            this.#select(answer.body.id);
        }
    }

    async #refreshBlacklist() {
        const answer = await this.api.listBlacklist();
        if (answer.ok) this.blacklist.render(answer.body?.entries ?? []);
    }

    async #block(form) {
        const answer = await this.api.addToBlacklist(readBlacklistForm(form));
        this.#tellAnswer(answer, 'Added to the blacklist.');
        if (answer.ok) form.elements.namedItem('value').value = '';
        await this.#refreshBlacklist();
    }

    async #unblock(kind, value) {
        const answer = await this.api.removeFromBlacklist(kind, value);
        this.#tellAnswer(answer, `Removed ${kind} ${value} from the blacklist.`);
        await this.#refreshBlacklist();
    }

    #tellAnswer(answer, success) {
        if (answer.status === 401) return this.#signOut();
        if (answer.ok) this.#tell(success, false);
        else this.#tell(answer.errorMessage || `Refused (${answer.errorCode}).`, true);
    }

    #tell(text, isError) {
        const notice = byId('notice');
        notice.classList.toggle('is-error', isError);
        notice.textContent = text; // always written: the same message twice is news twice
    }
}
