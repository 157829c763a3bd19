// The sales table: one row per sale (tr[data-sale=ID]), with its numbers and the buttons that
// move it. Rows are updated in place, never rebuilt, so a half-typed stock value survives the
// refresh every two seconds.
import { el, setText } from '../shared/dom.js';

const kColumns = ['id', 'name', 'status', 'stock', 'sold', 'remaining'];

// `onAction(saleId, action, value)`: action is 'start' | 'pause' | 'stop' | 'stock' | 'select'.
export class SalesTable {
    constructor(table, onAction) {
        this.body = table.tBodies[0];
        this.rows = new Map();
        this.selected = null;
        table.addEventListener('click', (event) => this.#onClick(event, onAction));
        table.addEventListener('submit', (event) => {
            event.preventDefault();
            const form = event.target;
            const input = form.elements.namedItem('stock');
            onAction(form.dataset.sale, 'stock', Number(input.value));
            input.value = '';
        });
    }

    #onClick(event, onAction) {
        const button = event.target.closest('button[data-action]');
        if (button) {
            onAction(button.closest('tr').dataset.sale, button.dataset.action);
            return;
        }
        const row = event.target.closest('tr[data-sale]');
        if (row && !event.target.closest('input, form')) onAction(row.dataset.sale, 'select');
    }

    // `sales`: the list answer's sales, each with `sold` (from the stats, or stock - remaining).
    render(sales) {
        const seen = new Set();
        for (const sale of sales) {
            seen.add(sale.id);
            const row = this.rows.get(sale.id) ?? this.#addRow(sale.id);
            this.#fillRow(row, sale);
        }
        for (const [id, row] of this.rows) {
            if (!seen.has(id)) {
                row.remove();
                this.rows.delete(id);
            }
        }
        this.body.parentElement.classList.toggle('is-empty', sales.length === 0);
    }

    select(saleId) {
        this.selected = saleId;
        for (const [id, row] of this.rows) row.classList.toggle('is-selected', id === saleId);
    }

    #addRow(saleId) {
        const cells = kColumns.map((column) => el('td', { className: column }));
        const stockForm = el('form', { className: 'stock-form', dataset: { sale: saleId } },
            el('input', { name: 'stock', type: 'number', min: '0', step: '1', required: true,
                          placeholder: 'stock', 'aria-label': `New stock for ${saleId}` }),
            el('button', { type: 'submit', className: 'small' }, 'Set'));
        const actions = el('td', { className: 'actions' },
            ...['start', 'pause', 'stop'].map((action) => el('button', {
                type: 'button', className: `small action-${action}`, dataset: { action },
                'aria-label': `${action} ${saleId}`,
            }, action[0].toUpperCase() + action.slice(1))),
            stockForm);
        const row = el('tr', { dataset: { sale: saleId } }, ...cells, actions);
        this.body.append(row);
        this.rows.set(saleId, row);
        row.classList.toggle('is-selected', saleId === this.selected);
        return row;
    }

    #fillRow(row, sale) {
        const cell = (column) => row.querySelector(`td.${column}`);
        setText(cell('id'), sale.id);
        setText(cell('name'), sale.name);
        setText(cell('status'), sale.status);
        cell('status').dataset.status = sale.status;
        setText(cell('stock'), sale.stock);
        setText(cell('sold'), sale.sold);
        setText(cell('remaining'), sale.remaining);
    }
}

// The create-sale form's fields as the API wants them. Times are typed in the admin's local
// time (datetime-local) and sent as RFC 3339 in UTC; the price is typed in units, sent in cents.
export function readSaleForm(form) {
    const value = (name) => form.elements.namedItem(name).value.trim();
    const integer = (name) => Number.parseInt(value(name), 10);
    const fields = {
        name: value('name'),
        stock: integer('stock'),
        per_user_limit: integer('per_user_limit'),
        price_cents: Math.round(Number.parseFloat(value('price')) * 100),
        starts_at: new Date(value('starts_at')).toISOString(),
        ends_at: new Date(value('ends_at')).toISOString(),
        reservation_ttl_s: integer('reservation_ttl_s'),
        require_token: form.elements.namedItem('require_token').checked,
        pow_difficulty_bits: integer('pow_difficulty_bits'),
        rate_limit_per_s: integer('rate_limit_per_s'),
        rate_limit_burst: integer('rate_limit_burst'),
    };
    if (value('id')) fields.id = value('id');
    return fields;
}

// A datetime-local value (local time, to the minute) `offsetMs` from now.
export function localInputTime(offsetMs) {
    const at = new Date(Date.now() + offsetMs);
    at.setSeconds(0, 0);
    const pad = (n) => String(n).padStart(2, '0');
    return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}` +
           `T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}
