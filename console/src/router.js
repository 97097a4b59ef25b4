// router.js - the console's addresses: the history API under /admin. A path here is what follows
// /admin ("/customers/c_..."); the server answers index.html for every /admin/... address, so a
// reload or a shared link opens the same screen.
import { useEffect, useState } from 'preact/hooks';
import { h } from 'preact';

export const BASE = '/admin';
const listeners = new Set();

/** The current path under /admin, "/" at the root. */
export function currentPath() {
    const p = window.location.pathname;
    const rest = p.startsWith(BASE) ? p.slice(BASE.length) : p;
    return rest === '' ? '/' : rest;
}

export function currentQuery() {
    return new URLSearchParams(window.location.search);
}

/** Goes to `path` (under /admin, may carry ?query); replace keeps the history entry. */
export function navigate(path, { replace = false } = {}) {
    const url = BASE + (path === '/' ? '/' : path);
    if (replace) {
        window.history.replaceState(null, '', url);
    } else {
        window.history.pushState(null, '', url);
    }
    listeners.forEach((fn) => fn());
}

window.addEventListener('popstate', () => listeners.forEach((fn) => fn()));

/** The current path and query, re-rendering on every change. */
export function useRoute() {
    const [, set] = useState(0);
    useEffect(() => {
        const fn = () => set((n) => n + 1);
        listeners.add(fn);
        return () => listeners.delete(fn);
    }, []);
    return { path: currentPath(), query: currentQuery() };
}

/** A link inside the console: a real <a href> (opens in a new tab too) that navigates in place. */
export function Link({ to, children, ...rest }) {
    const onClick = (e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
            return;
        }
        e.preventDefault();
        navigate(to);
    };
    return h('a', { href: BASE + to, onClick, ...rest }, children);
}
