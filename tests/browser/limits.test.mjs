// The customer's pages' limits (src/pages/limits.c, docs/pages.md "Limits") as a phone's browser
// meets them: a server that admits one stored form an hour from one address (--limit-addr 1/1h);
// a member fills her questionnaire, then fills it again - and gets the 429 page in Russian that
// says in how many minutes to try again, with Retry-After. Screenshotted and checked by axe-core.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
    assertAccessible, launchBrowser, ok, phone, phonePage, screenshot, skipReason, startServer,
    submit,
} from './harness.mjs';

const FILE = import.meta.filename;

let server;
let browser;

describe('the limits', { skip: skipReason() ?? false }, () => {
    before(async () => {
        server = await startServer({ args: ['--limit-addr', '1/1h'] });
        browser = await launchBrowser();
        await ok(server.put('/v1/consent-documents/pd-q', {
            purpose: 'pd_processing', title: 'Согласие на обработку ПДн',
            body: 'Я даю согласие на обработку персональных данных для программы лояльности.',
        }), 201);
    });

    after(async () => {
        await browser?.close();
        await server?.stop(FILE);
    });

    test('a form over the address limit: the page says so in Russian', { timeout: 60000 },
         async (t) => {
        const body = await ok(server.post('/v1/customers', {
            source: { channel: 'pos' }, verified: ['phone'], profile: { phone: phone() },
        }), 201);
        const id = body.customer.id;
        const { path } = await ok(server.get(`/v1/customers/${id}/questionnaire-link`));
        const page = await phonePage(browser, { javaScript: false });

        await page.goto(server.url + path);
        await page.getByLabel('Имя').fill('Анна');
        await page.getByRole('checkbox').check();
        let reply = await submit(page, page.getByRole('button', { name: 'Сохранить' }));
        assert.equal(reply.status(), 302);
        await page.getByRole('status').waitFor(); /* the page after the redirect, loaded */

        await page.getByLabel('Имя').fill('Алла');
        reply = await submit(page, page.getByRole('button', { name: 'Сохранить' }));
        assert.equal(reply.status(), 429);
        const wait = Number((await reply.allHeaders())['retry-after']);
        assert.ok(wait > 3500 && wait <= 3600, `Retry-After ${wait}`);
        const heading = page.getByRole('heading', { level: 1, name: 'Слишком много попыток' });
        await heading.waitFor(); /* the 429 page, loaded */
        assert.equal(await page.title(), 'Слишком много попыток');
        assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
        assert.match(await page.locator('main').innerText(),
                     /Попробуйте ещё раз через 60 минут\./);
        await screenshot(page, FILE, '1-limited');
        await assertAccessible(t, page, 'the limited page');
        assert.equal((await ok(server.get(`/v1/customers/${id}`))).profile.first_name, 'Анна');
        await page.context().close();
    });
});
