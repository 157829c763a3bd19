// Small DOM helpers shared by both pages. Text goes in through textContent only, never as
// HTML, so whatever a sale's name or a blacklist entry holds is shown, never run.

export function byId(id) {
    const node = document.getElementById(id);
    if (!node) throw new Error(`missing element #${id}`);
    return node;
}

// Writes only on change: screen readers announce every write to a live region, and the
// countdown re-renders several times a second.
export function setText(node, text) {
    const value = String(text);
    if (node.textContent !== value) node.textContent = value;
}

export function setHidden(node, hidden) {
    if (node.hidden !== hidden) node.hidden = hidden;
}

// el('button', {type: 'button', dataset: {action: 'pause'}}, 'Pause')
export function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
        if (key === 'dataset') Object.assign(node.dataset, value);
        else if (key === 'className') node.className = value;
        else if (key in node) node[key] = value;
        else node.setAttribute(key, value);
    }
    for (const child of children) {
        if (child === null || child === undefined) continue;
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
}

// sessionStorage can be missing or throw (storage disabled, some private modes); the pages
// then keep their values for the life of the tab only.
const memoryFallback = new Map();

export const tabStorage = {
    get(key) {
        try {
            return window.sessionStorage.getItem(key);
        } catch {
            return memoryFallback.get(key) ?? null;
        }
    },
    set(key, value) {
        try {
            window.sessionStorage.setItem(key, value);
        } catch {
            memoryFallback.set(key, value);
        }
    },
    remove(key) {
        try {
            window.sessionStorage.removeItem(key);
        } catch {
            memoryFallback.delete(key);
        }
    },
};

// Reads `name` from the URL fragment (#name=value&...) and removes it from the address bar,
// so a secret passed in a link is neither bookmarked nor shown over the shoulder.
export function takeFragmentParam(name) {
    const params = new URLSearchParams(window.location.hash.slice(1));
    const value = params.get(name);
    if (value === null) return null;
    params.delete(name);
    const rest = params.toString();
    const url = window.location.pathname + window.location.search + (rest ? `#${rest}` : '');
    window.history.replaceState(window.history.state, '', url);
    return value;
}
