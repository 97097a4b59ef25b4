// session.js - the session (POST/GET/DELETE /v1/session, POST /v1/session/totp): who is logged
// in, the second factor's state, the CSRF token handed to api.js, and when it expires.
import { api, setCsrf } from './api.js';

let state = { session: null, expired: false };
const listeners = new Set();

function set(next) {
    state = { ...state, ...next };
    setCsrf(state.session ? state.session.csrf_token : null);
    listeners.forEach((fn) => fn(state));
}

export function sessionState() {
    return state;
}

export function subscribe(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
}

/** The current session, or null when there is none (401). */
export async function loadSession() {
    try {
        const s = await api('GET', '/v1/session');
        set({ session: s });
        return s;
    } catch (e) {
        if (e.status === 401) {
            set({ session: null, expired: e.code === 'session_expired' });
            return null;
        }
        throw e;
    }
}

export async function login(email, password) {
    const s = await api('POST', '/v1/session', { email, password });
    set({ session: s, expired: false });
    return s;
}

export async function secondFactor(code) {
    const s = await api('POST', '/v1/session/totp', { code });
    set({ session: s, expired: false });
    return s;
}

export async function logout() {
    try {
        await api('DELETE', '/v1/session');
    } finally {
        set({ session: null, expired: false });
    }
}

/** The session ended under us (a 401 from an API call): back to the login screen. */
export function sessionLost(err) {
    set({ session: null, expired: err && err.code === 'session_expired' });
}

export function isLoggedIn(s) {
    return s !== null && s.second_factor !== 'needed';
}
