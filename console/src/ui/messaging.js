// messaging.js - what the messaging, privacy and settings screens share beyond the shell's
// layout.jsx: money in roubles, a calendar day, a path segment, an action's busy and error state,
// an error note naming the API's code and field, and a PUT of a raw body (a signature file)
// with the session's CSRF token.
import { h } from 'preact';
import { useState } from 'preact/hooks';

import { api, ApiError } from '../api.js';
import { errorText } from './layout.jsx';

/** A path segment: names and ids as the API takes them. */
export const seg = (s) => encodeURIComponent(s);

/** A calendar day ("2026-03-02") in the reader's words, or a dash. */
export function day(d) {
    return d ? new Date(`${d}T00:00:00`).toLocaleDateString('ru-RU') : '—';
}

/** Kopecks as roubles: 123456 -> "1 234,56 ₽". */
export function rub(kopecks) {
    if (kopecks === null || kopecks === undefined) {
        return '—';
    }
    return `${(kopecks / 100).toLocaleString('ru-RU', { minimumFractionDigits: 2,
                                                         maximumFractionDigits: 2 })} ₽`;
}

/** An action's error beside its button: the text, then the API's code and field. */
export function ErrorNote({ error }) {
    if (!error) {
        return null;
    }
    const where = error.field ? `, ${error.field}` : '';
    const code = error.code ? ` (${error.code}${where})` : '';
    return h('p', { class: 'error', role: 'alert' }, `${errorText(error)}${code}`);
}

/** run(fn) for a button or a form: busy while fn's promise runs, its error kept. */
export function useAction() {
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState(null);
    const run = async (fn) => {
        setBusy(true);
        setError(null);
        try {
            return await fn();
        } catch (e) {
            setError(e);
            return undefined;
        } finally {
            setBusy(false);
        }
    };
    return { busy, error, run };
}

/** PUT of a raw body (a file) of `type` to `path`, with the session's CSRF token (read from GET
 *  /v1/session: api.js sends JSON only). The reply's JSON, or an ApiError. */
export async function putRaw(path, body, type) {
    const s = await api('GET', '/v1/session');
    const res = await fetch(path, {
        method: 'PUT', body, credentials: 'same-origin', cache: 'no-store',
        headers: { 'Content-Type': type, 'X-CSRF-Token': s.csrf_token, Accept: 'application/json' },
    });
    const data = await res.json().catch(() => null);
    if (!res.ok) {
        const e = (data && data.error) || {};
        throw new ApiError(res.status, e.code, e.field, e.message);
    }
    return data;
}

/** The buttons of the moves a thing's state allows (`moves`: [[action, title], ...]), each a
 *  POST to `${base}/${action}`; then `done()`. A refused move's error shows under them. */
export function Moves({ base, moves, done, children }) {
    const move = useAction();
    const act = (m) => move.run(async () => {
        await api('POST', `${base}/${m}`);
        done();
    });
    return h('div', null,
             h('div', { class: 'kt-row' },
               (moves || []).map(([m, title]) => h('button', {
                   key: m, type: 'button', disabled: move.busy, onClick: () => act(m) }, title)),
               children),
             h(ErrorNote, { error: move.error }));
}
