// console_shell.test.mjs - the console's frame (docs/console.md): its CSP, the login (a wrong
// password's message, the navigation bar of the role), the logout, the session's expiry with the
// server's settable clock, the second factor's screen (a TOTP code after the password), no
// console error or CSP violation in the page, and axe-core finding nothing serious or critical on
// the login screen and the frame.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { assertAccessible } from './harness.mjs';
import {
    consolePage, createUser, launchBrowser, login, problems, screenshot, setClock, skipReason,
    startServer,
} from './console_kit.mjs';

import { screens } from '../../console/src/screens/index.js';

const FILE = import.meta.filename;
/** The navigation bar's links for a role: the screens of screens/index.js that list it. */
const titles = (role) => screens.filter((x) => x.roles.includes(role)).map((x) => x.title);
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** RFC 6238's code of base32 `secret` at `ms` (SHA-1, 30 s, 6 digits), written here from the RFC,
 *  apart from the server's. */
function totp(secret, ms) {
    const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = '';
    for (const ch of secret.replace(/=+$/, '')) {
        bits += A.indexOf(ch).toString(2).padStart(5, '0');
    }
    const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
    const step = Buffer.alloc(8);
    step.writeBigUInt64BE(BigInt(Math.floor(ms / 30000)));
    const mac = createHmac('sha1', key).update(step).digest();
    const off = mac[19] & 15;
    return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

describe('the console frame', { skip: skipReason() ?? false }, () => {
    let s;
    let browser;
    before(async () => {
        s = await startServer({ args: ['--settable-clock'] });
        browser = await launchBrowser();
    });
    after(async () => {
        await browser?.close();
        await s?.stop(FILE);
    });

    test('the CSP is on the page and its files, and nothing in the page breaks it', async (t) => {
        const page = await consolePage(browser);
        const res = await page.goto(`${s.url}/admin/`);
        assert.equal(res.headers()['content-security-policy'], CSP);
        const assets = [];
        page.on('response', (r) => r.url().includes('/admin/assets/') && assets.push(r));
        await page.reload();
        await page.getByRole('button', { name: 'Войти' }).waitFor();
        assert.ok(assets.length >= 2, 'the script and the stylesheet are files of /admin/assets/');
        for (const r of assets) {
            assert.equal(r.status(), 200);
            assert.equal(r.headers()['content-security-policy'], CSP);
        }
        await screenshot(page, FILE, 'login');
        await assertAccessible(t, page, 'the login screen');
        assert.deepEqual(problems(page), []);
    });

    test('a wrong password is told plainly; the right one opens the frame of the role', async (t) => {
        const admin = createUser(s, 'admin');
        const page = await consolePage(browser);
        await page.goto(`${s.url}/admin/`);
        await page.getByLabel('E-mail').fill(admin.email);
        await page.getByLabel('Пароль').fill('not-the-password');
        await page.getByRole('button', { name: 'Войти' }).click();
        await page.getByRole('alert').filter({ hasText: 'Неверный e-mail или пароль.' }).waitFor();
        await screenshot(page, FILE, 'wrong-password');
        await page.getByLabel('Пароль').fill(admin.password);
        await page.getByRole('button', { name: 'Войти' }).click();
        const nav = page.getByRole('navigation', { name: 'Разделы' });
        await nav.waitFor();
        assert.deepEqual(await nav.getByRole('link').allTextContents(), titles('admin'));
        await page.getByRole('heading', { level: 1, name: 'Покупатели' }).waitFor();
        assert.equal(new URL(page.url()).pathname, '/admin/customers');
        assert.match(await page.getByRole('banner').textContent(), new RegExp(`${admin.email}.*Сеанс до \\d\\d:\\d\\d`));
        await screenshot(page, FILE, 'frame');
        await assertAccessible(t, page, 'the frame');
        // A reload keeps the session (the cookie) and the address.
        await page.reload();
        await page.getByRole('heading', { level: 1, name: 'Покупатели' }).waitFor();
        assert.deepEqual(problems(page), []);
    });

    test('logout ends the session', async () => {
        const user = createUser(s, 'marketer');
        const page = await consolePage(browser);
        await login(page, s, user);
        const nav = page.getByRole('navigation', { name: 'Разделы' });
        assert.deepEqual(await nav.getByRole('link').allTextContents(), titles('marketer'));
        await page.getByRole('button', { name: 'Выйти' }).click();
        await page.getByRole('button', { name: 'Войти' }).waitFor();
        const status = await page.evaluate(async () => (await fetch('/v1/session')).status);
        assert.equal(status, 401);
        await page.reload();
        await page.getByRole('button', { name: 'Войти' }).waitFor();
        assert.deepEqual(problems(page), []);
    });

    test('an expired session sends the console back to the login with a clear message', async (t) => {
        const user = createUser(s, 'analyst');
        const page = await consolePage(browser);
        await login(page, s, user);
        // Past the absolute expiry (12 hours), whatever the idle one is.
        await setClock(s, new Date(Date.now() + 13 * 3600 * 1000));
        await page.getByRole('link', { name: 'Покупатели' }).click();
        await page.getByLabel('Телефон').fill('+7 999 000-00-00');
        await page.getByRole('button', { name: 'Найти' }).click();
        await page.getByRole('alert').filter({ hasText: 'Сеанс истёк' }).waitFor();
        await page.getByRole('button', { name: 'Войти' }).waitFor();
        await screenshot(page, FILE, 'expired');
        await assertAccessible(t, page, 'the login screen after expiry');
        // Logging in again works (the server's clock stays where it was set).
        await page.getByLabel('E-mail').fill(user.email);
        await page.getByLabel('Пароль').fill(user.password);
        await page.getByRole('button', { name: 'Войти' }).click();
        await page.getByRole('navigation', { name: 'Разделы' }).waitFor();
        assert.deepEqual(problems(page), []);
    });

    test('an address under /admin that is no screen says "Не найдено"', async () => {
        const user = createUser(s, 'admin');
        const page = await consolePage(browser);
        await login(page, s, user, '/no-such-screen');
        await page.getByRole('heading', { level: 1, name: 'Не найдено' }).waitFor();
        assert.deepEqual(problems(page), []);
    });

    test('a user with a second factor is asked for the TOTP code after the password', async (t) => {
        // The server's clock at the start of a 30-second step, a day ahead of the tests before.
        const t0 = Math.floor((Date.now() + 24 * 3600 * 1000) / 30000) * 30000;
        await setClock(s, new Date(t0));
        const user = createUser(s, 'marketer');
        const first = await consolePage(browser);
        await login(first, s, user);
        // Enrolment as the console's page would call it: the session's cookie and CSRF token.
        const enrol = (path, body) => first.evaluate(async ([p, b]) => {
            const sess = await (await fetch('/v1/session')).json();
            const r = await fetch(p, { method: 'POST', headers: { 'X-CSRF-Token': sess.csrf_token,
                'Content-Type': 'application/json' }, body: b === null ? undefined : JSON.stringify(b) });
            return { status: r.status, doc: await r.json() };
        }, [path, body]);
        const setup = await enrol('/v1/session/totp/setup', null);
        assert.equal(setup.status, 200);
        const enabled = await enrol('/v1/session/totp/enable', { code: totp(setup.doc.secret, t0) });
        assert.equal(enabled.status, 200);
        assert.equal(enabled.doc.user.totp, true);
        // A new login: the password, then the code of the next step.
        await setClock(s, new Date(t0 + 60000));
        const page = await consolePage(browser);
        await page.goto(`${s.url}/admin/`);
        await page.getByLabel('E-mail').fill(user.email);
        await page.getByLabel('Пароль').fill(user.password);
        await page.getByRole('button', { name: 'Войти' }).click();
        const code = page.getByLabel('Код', { exact: true });
        await code.waitFor();
        await screenshot(page, FILE, 'totp');
        await assertAccessible(t, page, 'the second factor\'s screen');
        await code.fill(totp(setup.doc.secret, t0 + 60000));
        await page.getByRole('button', { name: 'Подтвердить' }).click();
        await page.getByRole('navigation', { name: 'Разделы' }).waitFor();
        assert.deepEqual(problems(page), []);
    });
});
