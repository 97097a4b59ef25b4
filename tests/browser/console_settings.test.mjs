// The settings screen (docs/console.md, "Settings") in Debian's Chromium: a topic saved from its
// form is the API's; a join point created from its form shows its QR code and its printable
// poster as images of the API's routes (same origin, the console's CSP img-src 'self'), loaded
// and drawn; an API key made in its form works, limited to its store, until revoked; a console
// user made in its form logs in with the password shown once, and disabling them ends their
// session at once. axe-core finds nothing serious.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertAccessible, launchBrowser, ok, screenshot, skipReason, startServer } from './harness.mjs';
import { consolePage, login, problems } from './console_kit.mjs';
import { adminPage } from './console_msg_kit.mjs';

const FILE = import.meta.filename;

let server;
let browser;

/** The image's natural width once it has loaded (0 when it failed). */
const drawn = (img) => img.evaluate((el) => (el.complete ? el.naturalWidth
    : new Promise((done) => {
        el.addEventListener('load', () => done(el.naturalWidth));
        el.addEventListener('error', () => done(0));
    })));

describe('the settings screen', { skip: skipReason() ?? false }, () => {
    before(async () => {
        server = await startServer();
        browser = await launchBrowser();
        await ok(server.put('/v1/privacy/settings', { public_url: server.url }));
        await ok(server.put('/v1/stores/MSK-7', { title: 'Магазин на Лесной', city: 'Москва' }), 201);
    });

    after(async () => {
        await browser?.close();
        await server?.stop(FILE);
    });

    test('a topic saved, a join point made and its poster shown', { timeout: 60000 }, async (t) => {
        const page = await adminPage(browser, server);
        const blocked = [];
        page.on('console', (m) => /Content Security Policy/.test(m.text()) && blocked.push(m.text()));
        await page.goto(`${server.url}/admin/settings`);

        const topic = page.getByRole('form', { name: 'Тема' });
        await topic.getByLabel('Имя').fill('news');
        await topic.getByLabel('Название').fill('Новости магазина');
        await topic.getByLabel('sms').check();
        await topic.getByRole('button', { name: 'Сохранить тему' }).click();
        await page.getByRole('cell', { name: 'Новости магазина' }).waitFor();
        const topics = await ok(server.get('/v1/topics'));
        const news = topics.items.find((x) => x.name === 'news');
        assert.deepEqual(news.channels.sort(), ['email', 'sms']);
        await screenshot(page, FILE, '1-topics');
        await assertAccessible(t, page, 'the settings screen: topics');

        await page.getByRole('button', { name: 'Точки подключения' }).click();
        const form = page.getByRole('form', { name: 'Новая точка подключения' });
        await form.getByLabel('Магазин').selectOption('MSK-7');
        await form.getByLabel('Место').selectOption('entrance');
        await form.getByLabel('Подпись').fill('У входа');
        const [poster] = await Promise.all([
            page.waitForResponse((r) => r.url().includes('/poster.svg')),
            form.getByRole('button', { name: 'Создать точку' }).click(),
        ]);
        assert.equal(poster.status(), 200);
        assert.match(poster.headers()['content-type'], /^image\/svg\+xml/);
        const points = await ok(server.get('/v1/join-points'));
        assert.equal(points.items.length, 1);
        const { code } = points.items[0];
        const img = page.getByTestId('poster');
        assert.equal(await img.getAttribute('src'), `/v1/join-points/${code}/poster.svg?paper=a5`);
        assert.ok(await drawn(img) > 0, 'the poster did not load');
        const qr = page.getByRole('img', { name: `QR-код точки ${code}` });
        assert.ok(await drawn(qr) > 0, 'the QR code did not load');
        assert.deepEqual(blocked, []);
        await screenshot(page, FILE, '2-join-point-poster');
        await assertAccessible(t, page, 'the settings screen: join points');
        assert.deepEqual(problems(page), []);
    });

    test('an API key made, shown once and revoked', { timeout: 60000 }, async (t) => {
        const page = await adminPage(browser, server);
        await page.goto(`${server.url}/admin/settings`);
        await page.getByRole('button', { name: 'Ключи API' }).click();
        const form = page.getByRole('form', { name: 'Новый ключ' });
        await form.getByLabel('Название').fill('Касса 3');
        await form.getByLabel('Права').selectOption('pos');
        await form.getByLabel('Магазины (через запятую)').fill('MSK-7');
        await form.getByRole('button', { name: 'Создать ключ' }).click();
        const token = (await page.getByTestId('new-key').textContent()).trim();
        // The token shown is a working key: the API answers it, limited to its store.
        const stores = await ok(server.get('/v1/stores', { key: token }));
        assert.deepEqual(stores.items.map((x) => x.code), ['MSK-7']);
        const row = page.getByRole('row', { name: /Касса 3/ });
        await row.getByRole('button', { name: 'Отозвать' }).click();
        await row.getByRole('button', { name: 'Отозвать' }).waitFor({ state: 'detached' });
        assert.equal((await server.get('/v1/stores', { key: token })).status, 401);
        await screenshot(page, FILE, '3-keys');
        await assertAccessible(t, page, 'the settings screen: keys');
        assert.deepEqual(problems(page), []);
    });

    test('a console user made, logged in with the password shown once, disabled', { timeout: 60000 }, async (t) => {
        const page = await adminPage(browser, server);
        await page.goto(`${server.url}/admin/settings`);
        await page.getByRole('button', { name: 'Пользователи' }).click();
        const form = page.getByRole('form', { name: 'Новый пользователь' });
        const email = `analyst-${process.pid}@example.ru`;
        await form.getByLabel('E-mail').fill(email);
        await form.getByLabel('Роль').selectOption('analyst');
        await form.getByRole('button', { name: 'Создать пользователя' }).click();
        const shown = page.getByRole('status').filter({ hasText: 'Пароль показан один раз' });
        const password = (await shown.locator('code').textContent()).trim();
        assert.ok(password.length >= 10);
        const row = page.getByRole('row', { name: new RegExp(email) });
        await row.waitFor();
        await screenshot(page, FILE, '4-users');
        await assertAccessible(t, page, 'the settings screen: users');
        // The new analyst logs in with it, in a browser of their own.
        const theirs = await consolePage(browser);
        await login(theirs, server, { email, password }, '/customers');
        // Disabled from the list: their very next call is refused and the login comes back.
        await row.getByRole('button', { name: 'Отключить' }).click();
        await row.getByRole('button', { name: 'Включить' }).waitFor();
        await theirs.getByLabel('Телефон').fill('+79990000000');
        await theirs.getByRole('button', { name: 'Найти' }).click();
        await theirs.getByRole('button', { name: 'Войти' }).waitFor();
        const users = await ok(server.get('/v1/users'));
        assert.equal(users.items.find((u) => u.email === email).disabled, true);
        assert.deepEqual(problems(page), []);
    });
});
