// api.js - the console's one way to the server (docs/console.md, "The console"): the public API
// plus the session, with the session's cookie (same origin) and, on a call that changes something,
// the session's CSRF token in X-CSRF-Token. A reply that is not 2xx throws ApiError with the
// API's machine code and the field it names; a 401 outside /v1/session sends the console to the
// login screen (the session ended or expired) through the handler main.jsx sets.

export class ApiError extends Error {
    constructor(status, code, field, message) {
        super(message || code || `HTTP ${status}`);
        this.name = 'ApiError';
        this.status = status;
        this.code = code || null;
        this.field = field || null;
    }
}

let csrfToken = null;
let loginNeeded = () => {};

/** The session's CSRF token (set at login and at every GET /v1/session). */
export function setCsrf(token) {
    csrfToken = token || null;
}

/** Called with the ApiError when an API call answers 401 (the session is gone). */
export function onLoginNeeded(fn) {
    loginNeeded = fn;
}

const SAFE = new Set(['GET', 'HEAD']);

/**
 * api(method, path, body?) -> the parsed JSON reply, or null on 204.
 * Throws ApiError {status, code, field, message}.
 */
export async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
    }
    if (!SAFE.has(method) && csrfToken) {
        headers['X-CSRF-Token'] = csrfToken;
    }
    let res;
    try {
        res = await fetch(path, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            credentials: 'same-origin',
            cache: 'no-store',
        });
    } catch (e) {
        throw new ApiError(0, 'network', null, 'Сервер не отвечает: проверьте соединение');
    }
    if (res.status === 204) {
        return null;
    }
    let data = null;
    const text = await res.text();
    if (text) {
        try {
            data = JSON.parse(text);
        } catch (e) {
            data = null;
        }
    }
    if (!res.ok) {
        const e = (data && data.error) || {};
        const err = new ApiError(res.status, e.code, e.field, e.message);
        err.retryAfter = Number(res.headers.get('Retry-After')) || null;
        if (res.status === 401 && !path.startsWith('/v1/session')) {
            loginNeeded(err);
        }
        throw err;
    }
    return data;
}

/** A query string of the non-empty values: qs({a: 1, b: ''}) -> "?a=1". */
export function qs(params) {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
        if (v !== undefined && v !== null && v !== '') {
            u.set(k, String(v));
        }
    }
    const s = u.toString();
    return s ? `?${s}` : '';
}
