// console_kit.mjs - what the console's browser tests share (docs/console.md, "Browser tests"): a
// server (harness.mjs), a user of a role made by `kartoteka users create` beside the running
// server (as an operator would), a desktop-sized page that records every console error, page
// error and Content-Security-Policy violation, and the login through the page itself.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

import { BIN, launchBrowser, screenshot, skipReason, startServer } from './harness.mjs';

export { launchBrowser, screenshot, skipReason, startServer };

let userSeq = 0;

/** A user of `role` (admin, marketer, analyst, store_manager, dpo), `stores` for a store manager:
 *  made by the CLI on the server's database; returns {email, password, role}. The e-mail and
 *  password are made up for the test. */
export function createUser(s, role, { stores = null, email = null } = {}) {
    userSeq += 1;
    const mail = email || `${role.replace('_', '-')}-${process.pid}-${userSeq}@example.ru`;
    const password = `kt-test-${randomBytes(12).toString('hex')}`;
    const args = ['users', 'create', '--db', s.db, '--email', mail, '--role', role, '--password-stdin'];
    if (stores) {
        args.push('--stores', stores.join(','));
    }
    const r = spawnSync(BIN, args, { input: `${password}\n`, encoding: 'utf8', env: s.env });
    assert.equal(r.status, 0, `kartoteka users create: ${r.stderr}`);
    return { email: mail, password, role };
}

/** A desktop-sized page (1280x800, Russian) in a context of its own; `problems(page)` lists what
 *  went wrong in it: console errors (a CSP violation is one: "Refused to ..."), uncaught errors.
 *  A failed load of an API call the test provokes (401, 403, 404) is Chromium's console error
 *  too, but an expected one: those are left out. */
export async function consolePage(browser) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ru-RU' });
    const page = await context.newPage();
    const got = [];
    page.on('console', (m) => {
        if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 40[134]/.test(m.text())) {
            got.push(`console: ${m.text()}`);
        }
    });
    page.on('pageerror', (e) => got.push(`page error: ${e.message}`));
    problemsOf.set(page, got);
    return page;
}

const problemsOf = new WeakMap();

/** What went wrong in a page made by consolePage(). */
export function problems(page) {
    return problemsOf.get(page) || [];
}

/** Opens the console at `path` (under /admin) and logs in as `user` through the login form;
 *  waits for the navigation bar. */
export async function login(page, s, user, path = '/') {
    await page.goto(`${s.url}/admin${path}`);
    await page.getByLabel('E-mail').fill(user.email);
    await page.getByLabel('Пароль').fill(user.password);
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.getByRole('navigation', { name: 'Разделы' }).waitFor();
}

/** A console page logged in as a new admin (the screens' tests start here). */
export async function adminPage(browser, s) {
    const page = await consolePage(browser);
    await login(page, s, createUser(s, 'admin'));
    return page;
}

/** The server's clock (serve --settable-clock) set to `at` (a Date) by the admin key. */
export async function setClock(s, at) {
    const r = await s.put('/v1/system/clock', { now: at.toISOString() });
    assert.equal(r.status, 200, r.text);
}
