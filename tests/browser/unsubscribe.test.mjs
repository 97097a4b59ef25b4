// The customer's preferences and rights, the pages her unsubscribe link opens (/u/{token}:
// src/api/unsubscribe.c, src/pages/prefs.c, docs/pages.md) in Debian's Chromium at a phone's size,
// with the page's own scripts off: she unticks one topic and may-send then refuses that topic
// only; she ticks another channel and saves; she leaves everything; she opens "what we hold"; she
// requests erasure (the box first left unticked) and the register has it with its deadline; an
// altered link shows a clear page and changes nothing. Each page is screenshotted and checked by
// axe-core.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
    assertAccessible, launchBrowser, ok, phone, phonePage, screenshot, skipReason, startServer,
    submit,
} from './harness.mjs';

const FILE = import.meta.filename;
const PD = 'loyalty-pd';

let server;
let browser;

/** The consent documents and the two topics the customers are subscribed to. */
async function setUp(s) {
    await ok(s.put(`/v1/consent-documents/${PD}`, {
        purpose: 'pd_processing', title: 'Согласие на обработку ПДн',
        body: 'Я даю согласие на обработку персональных данных для программы лояльности.',
    }), 201);
    for (const ch of ['email', 'sms']) {
        await ok(s.put(`/v1/consent-documents/ads-${ch}`, {
            purpose: 'ads', title: `Реклама (${ch})`, body: `Согласие на рекламу (${ch}).`,
        }), 201);
    }
    await ok(s.put('/v1/topics/promo', { title: 'Акции', channels: ['sms', 'email'] }), 201);
    await ok(s.put('/v1/topics/pets', { title: 'Для питомцев', channels: ['email'] }), 201);
}

/** A made-up customer (a synthetic number, never a real person's) who joined by the QR form with
 *  the pd_processing and the ads consents of `ads`, subscribed to both topics by e-mail. */
async function subscribedCustomer(s, ads = ['email']) {
    const body = await ok(s.post('/v1/customers', {
        source: { channel: 'qr_form' },
        profile: { phone: phone(), first_name: 'Вера' },
        consents: [
            { purpose: 'pd_processing', document: `${PD}@1`, granted: true,
              evidence: { form_id: 'f-join', ip: '192.0.2.10', user_agent: 'Mozilla/5.0 (test)' } },
            ...ads.map((ch) => ({ purpose: 'ads', channel: ch, document: `ads-${ch}`, granted: true,
                                  evidence: { form_id: 'f-join' } })),
        ],
    }), 201);
    const id = body.customer.id;
    for (const topic of ['promo', 'pets']) {
        await ok(s.post(`/v1/customers/${id}/subscriptions`,
                        { topic, channel: 'email', subscribed: true }));
    }
    return id;
}

async function maySend(s, id, topic) {
    return ok(s.get(`/v1/customers/${id}/may-send?channel=email&topic=${topic}`));
}

async function activeSubscriptions(s, id) {
    const body = await ok(s.get(`/v1/customers/${id}/subscriptions`));
    return body.items.filter((i) => i.active).map((i) => `${i.topic}:${i.channel}`).sort();
}

/** The table of topics: each row's topic and its boxes as "channel:on|off|disabled". */
async function table(page) {
    return page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [
        tr.querySelector('th').textContent.trim(),
        [...tr.querySelectorAll('input[type=checkbox]')].map((b) => `${b.getAttribute('aria-label')
            .split(': ')[1]}:${b.disabled ? 'disabled' : b.checked ? 'on' : 'off'}`),
    ]));
}

async function openLink(s, id) {
    const link = await ok(s.get(`/v1/customers/${id}/unsubscribe-link`));
    const page = await phonePage(browser, { javaScript: false });
    const opened = await page.goto(s.url + link.path);
    assert.equal(opened.status(), 200);
    return { page, path: link.path };
}

describe('the preferences and rights pages', { skip: skipReason() ?? false }, () => {
    before(async () => {
        server = await startServer();
        browser = await launchBrowser();
        await setUp(server);
    });

    after(async () => {
        await browser?.close();
        await server?.stop(FILE);
    });

    test('one topic left from a phone: may-send refuses it and only it', { timeout: 60000 },
         async (t) => {
        const id = await subscribedCustomer(server);
        const { page } = await openLink(server, id);
        assert.match(page.url(), /\/u\//);
        assert.equal(await page.title(), 'Подписки');
        assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
        assert.equal(await page.getByRole('main').count(), 1);
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Ваши подписки');
        assert.deepEqual(await table(page), [
            ['Для питомцев', ['Эл. почта:on']],
            ['Акции', ['SMS:disabled', 'Эл. почта:on']],
        ]);
        assert.match(await page.locator('main').innerText(), /SMS: согласия на рекламу нет/);
        assert.equal(await page.getByRole('status').count(), 0);
        await screenshot(page, FILE, '1-subscriptions');
        await assertAccessible(t, page, 'the page of subscriptions');

        await page.getByRole('checkbox', { name: 'Для питомцев: Эл. почта' }).tap();
        const reply = await submit(page, page.getByRole('button', { name: 'Сохранить' }));
        assert.equal(reply.status(), 302);
        await page.waitForURL(/\?done=saved$/); /* post-redirect-get */
        assert.equal(await page.getByRole('status').innerText(), 'Сохранено.');
        assert.deepEqual(await table(page), [
            ['Для питомцев', ['Эл. почта:off']],
            ['Акции', ['SMS:disabled', 'Эл. почта:on']],
        ]);
        await screenshot(page, FILE, '2-unsubscribed');
        await assertAccessible(t, page, 'the page after unsubscribing');

        assert.deepEqual(await maySend(server, id, 'pets'), {
            customer_id: id, channel: 'email', topic: 'pets', allowed: false,
            reason: 'not_subscribed',
        });
        assert.equal((await maySend(server, id, 'promo')).allowed, true);
        assert.deepEqual(await activeSubscriptions(server, id), ['promo:email']);
        await page.context().close();
    });

    test('topics saved per channel, then everything left', { timeout: 60000 }, async (t) => {
        const id = await subscribedCustomer(server, ['email', 'sms']);
        const { page } = await openLink(server, id);
        await page.getByRole('checkbox', { name: 'Акции: SMS' }).tap();
        await page.getByRole('checkbox', { name: 'Акции: Эл. почта' }).tap();
        assert.equal((await submit(page, page.getByRole('button', { name: 'Сохранить' })))
            .status(), 302);
        await page.waitForURL(/\?done=saved$/);
        assert.deepEqual(await table(page), [
            ['Для питомцев', ['Эл. почта:on']],
            ['Акции', ['SMS:on', 'Эл. почта:off']],
        ]);
        assert.deepEqual(await activeSubscriptions(server, id), ['pets:email', 'promo:sms']);

        const reply = await submit(page,
                                   page.getByRole('button', { name: 'Отписаться от всего' }));
        assert.equal(reply.status(), 302);
        await page.waitForURL(/\?done=all$/);
        assert.match(await page.getByRole('status').innerText(), /отписаны от всех рассылок/);
        assert.equal(await page.getByRole('button', { name: 'Отписаться от всего' }).count(), 0);
        assert.deepEqual(await table(page), [
            ['Для питомцев', ['Эл. почта:disabled']],
            ['Акции', ['SMS:disabled', 'Эл. почта:disabled']],
        ]);
        await screenshot(page, FILE, '3-all-left');
        await assertAccessible(t, page, 'the page after leaving everything');
        assert.deepEqual(await activeSubscriptions(server, id), []);
        const consents = await ok(server.get(`/v1/customers/${id}/consents`));
        assert.deepEqual(consents.items.filter((c) => c.purpose === 'ads' && c.state !== 'not_given')
            .map((c) => `${c.channel}:${c.state}`).sort(), ['email:withdrawn', 'sms:withdrawn']);
        await page.context().close();
    });

    test('what we hold, then a request for erasure', { timeout: 60000 }, async (t) => {
        const id = await subscribedCustomer(server);
        const { page } = await openLink(server, id);
        await Promise.all([page.waitForLoadState(),
                           page.getByRole('link', { name: 'Что мы о вас храним' }).tap()]);
        await page.waitForURL(/\/data$/);
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(),
                     'Что мы о вас храним');
        const text = await page.locator('main').innerText();
        assert.match(text, /Имя\s+Вера/);
        assert.match(text, /Телефон: \+7 \*\*\* \*\*\*-\d\d-\d\d/);
        assert.match(text, /Обработка персональных данных: дано/);
        assert.match(text, /Для питомцев: эл. почта/);
        await screenshot(page, FILE, '4-what-we-hold');
        await assertAccessible(t, page, 'what we hold');

        await page.getByRole('link', { name: 'Удалить мои данные' }).tap();
        await page.waitForURL(/\/erase$/);
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(),
                     'Удалить мои данные');
        await screenshot(page, FILE, '5-erasure-form');
        await assertAccessible(t, page, 'the erasure form');
        const send = () => page.getByRole('button', { name: 'Отправить запрос на удаление' });
        assert.equal((await submit(page, send())).status(), 422);
        assert.match(await page.locator('#confirm-error').innerText(), /Отметьте/);
        assert.equal(await page.getByRole('checkbox').getAttribute('aria-invalid'), 'true');
        await screenshot(page, FILE, '6-erasure-unticked');
        await assertAccessible(t, page, 'the erasure form with its message');

        await page.getByRole('checkbox', { name: /Я понимаю/ }).tap();
        assert.equal((await submit(page, send())).status(), 302);
        await page.waitForURL(/\/erase\?done=1$/);
        assert.equal(await page.getByRole('status').innerText(), 'Запрос зарегистрирован.');
        const list = await ok(server.get('/v1/privacy-requests?limit=500'));
        const mine = list.items.filter((r) => r.customer_id === id);
        assert.equal(mine.length, 1);
        assert.equal(mine[0].kind, 'erasure');
        const [y, m, d] = mine[0].due_on.split('-');
        const said = await page.locator('main').innerText();
        assert.ok(said.includes(mine[0].id) && said.includes(`${d}.${m}.${y}`), said);
        assert.equal(await send().count(), 0);
        await screenshot(page, FILE, '7-erasure-registered');
        await assertAccessible(t, page, 'the erasure request registered');
        await page.context().close();
    });

    test('an altered link shows a clear page and its form changes nothing', { timeout: 60000 },
         async (t) => {
        const id = await subscribedCustomer(server);
        const { path } = await ok(server.get(`/v1/customers/${id}/unsubscribe-link`));
        const altered = path.slice(0, -2) + (path.endsWith('AA') ? 'BB' : 'AA');
        const page = await phonePage(browser, { javaScript: false });

        const opened = await page.goto(server.url + altered);
        assert.equal(opened.status(), 404);
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(),
                     'Ссылка недействительна');
        assert.match(await page.locator('body').innerText(), /откройте ссылку из последнего/);
        assert.equal(await page.locator('form, button').count(), 0);
        await screenshot(page, FILE, '8-altered-link');
        await assertAccessible(t, page, 'the page of an altered link');
        for (const sub of ['/data', '/erase']) {
            assert.equal((await page.goto(server.url + altered + sub)).status(), 404);
            assert.doesNotMatch(await page.locator('body').innerText(), /Вера/);
        }

        // Someone who edits the link of a genuine page before sending its form.
        assert.equal((await page.goto(server.url + path)).status(), 200);
        await page.evaluate((to) => {
            for (const f of document.forms) {
                f.action = to;
            }
        }, altered);
        const reply = await submit(page, page.getByRole('button', { name: 'Отписаться от всего' }));
        assert.equal(reply.status(), 404);
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(),
                     'Ссылка недействительна');
        assert.deepEqual(await activeSubscriptions(server, id), ['pets:email', 'promo:email']);
        assert.equal((await maySend(server, id, 'pets')).allowed, true);
        assert.equal((await maySend(server, id, 'promo')).allowed, true);
        await page.context().close();
    });
});
