// The blacklist: who is refused with 403 blocked, by user id or client address, and for how
// long. `onRemove(kind, value)` is called by each entry's Remove button.
import { el } from '../shared/dom.js';

export class BlacklistView {
    constructor(list, onRemove) {
        this.list = list;
        list.addEventListener('click', (event) => {
            const button = event.target.closest('button[data-kind]');
            if (button) onRemove(button.dataset.kind, button.dataset.value);
        });
    }

    // entries: [{kind: 'user' | 'ip', value, automatic, expires_at}] (admin_blacklist.cc)
    render(entries) {
        if (entries.length === 0) {
            this.list.replaceChildren(el('li', { className: 'empty' }, 'Nobody is blocked.'));
            return;
        }
        this.list.replaceChildren(...entries.map((entry) => this.#item(entry)));
    }

    #item(entry) {
        const expiry = entry.expires_at
            ? `until ${new Date(entry.expires_at).toLocaleString()}` : 'no expiry';
        return el('li', { className: 'entry', dataset: { kind: entry.kind, value: entry.value } },
            el('span', { className: `badge badge-${entry.kind}` }, entry.kind),
            el('span', { className: 'entry-value' }, entry.value),
            el('span', { className: 'entry-meta' },
               entry.automatic ? `automatic, ${expiry}` : expiry),
            el('button', { type: 'button', className: 'small',
                           dataset: { kind: entry.kind, value: entry.value },
                           'aria-label': `Remove ${entry.kind} ${entry.value}` }, 'Remove'));
    }
}

export function readBlacklistForm(form) {
    const kind = form.elements.namedItem('kind').value;
    const value = form.elements.namedItem('value').value.trim();
    const ttl = Number.parseInt(form.elements.namedItem('ttl_s').value, 10);
    const entry = { [kind === 'ip' ? 'ip' : 'user']: value };
    if (Number.isFinite(ttl) && ttl > 0) entry.ttl_s = ttl;
    return entry;
}
