// The public unsubscribe page /u/{token} (src/api/unsubscribe.c, docs/privacy.md) in Debian's
// Chromium at a phone's size, with the page's own scripts off: a customer subscribed to two
// topics opens her link, taps "Отписаться" beside one, and may-send then refuses that topic only;
// an altered link shows a clear page and changes nothing. Each page is screenshotted and checked
// by axe-core.
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
    await ok(s.put('/v1/consent-documents/ads-email', {
        purpose: 'ads', title: 'Реклама по email', body: 'Согласие на рекламу (email).',
    }), 201);
    await ok(s.put('/v1/topics/promo', { title: 'Акции', channels: ['sms', 'email'] }), 201);
    await ok(s.put('/v1/topics/pets', { title: 'Для питомцев', channels: ['email'] }), 201);
}

/** A made-up customer (a synthetic number, never a real person's) who joined by the QR form with
 *  the pd_processing and e-mail ads consents, subscribed to both topics by e-mail. */
async function subscribedCustomer(s) {
    const body = await ok(s.post('/v1/customers', {
        source: { channel: 'qr_form' },
        profile: { phone: phone() },
        consents: [
            { purpose: 'pd_processing', document: `${PD}@1`, granted: true,
              evidence: { form_id: 'f-join', ip: '192.0.2.10', user_agent: 'Mozilla/5.0 (test)' } },
            { purpose: 'ads', channel: 'email', document: 'ads-email', granted: true,
              evidence: { form_id: 'f-join' } },
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

/** The rows of the page's list: what each says and the buttons beside it. */
async function rows(page) {
    return page.locator('li').evaluateAll((lis) => lis.map((li) => [
        li.firstChild.textContent.trim(),
        [...li.querySelectorAll('button')].map((b) => b.textContent),
    ]).sort());
}

describe('the unsubscribe page', { skip: skipReason() ?? false }, () => {
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
        const link = await ok(server.get(`/v1/customers/${id}/unsubscribe-link`));
        const page = await phonePage(browser, { javaScript: false });

        const opened = await page.goto(server.url + link.path);
        assert.equal(opened.status(), 200);
        assert.match(opened.headers()['content-type'], /^text\/html/);
        assert.equal(await page.title(), 'Подписки');
        assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
        assert.equal(await page.getByRole('main').count(), 1);
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Ваши подписки');
        assert.deepEqual(await rows(page), [
            ['Акции — email: подписка включена', ['Отписаться']],
            ['Акции — sms: выключено', []],
            ['Для питомцев — email: подписка включена', ['Отписаться']],
        ]);
        assert.equal(await page.getByRole('button', { name: 'Отписаться от всего' }).count(), 1);
        assert.equal(await page.getByRole('status').count(), 0);
        await screenshot(page, FILE, '1-subscriptions');
        await assertAccessible(t, page, 'the page of subscriptions');

        const pets = page.locator('li', { hasText: 'Для питомцев' });
        const reply = await submit(page, pets.getByRole('button', { name: 'Отписаться' }));
        assert.equal(reply.status(), 200);
        assert.equal(await page.getByRole('status').innerText(), 'Готово: вы отписаны.');
        assert.deepEqual(await rows(page), [
            ['Акции — email: подписка включена', ['Отписаться']],
            ['Акции — sms: выключено', []],
            ['Для питомцев — email: выключено', []],
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
        assert.match(await page.locator('body').innerText(), /Откройте ссылку из последнего/);
        assert.equal(await page.locator('form, button').count(), 0);
        await screenshot(page, FILE, '3-altered-link');
        await assertAccessible(t, page, 'the page of an altered link');

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
