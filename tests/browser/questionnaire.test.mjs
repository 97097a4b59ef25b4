// The questionnaire of the enrolment SMS /q/{token} (src/pages/questionnaire.c, docs/pages.md) in
// Debian's Chromium at a phone's size, with the page's own scripts off (the page has none): a
// member known by her phone alone opens her link, sees what the spend gate still needs, sends the
// form without the consent tick (the message beside the box, her values kept, nothing stored),
// then with it - and the till lets her spend. Each page is screenshotted and checked by axe-core.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
    assertAccessible, launchBrowser, ok, phone, phonePage, screenshot, skipReason, startServer,
    submit,
} from './harness.mjs';

const FILE = import.meta.filename;
const MILK = { sku: 'M-1', category: 'Молочное', quantity: 1, price: 10000, amount: 10000 };

let server;
let browser;

/** A made-up member (a synthetic number) known by her verified phone alone, with a card. */
async function member(s) {
    const p = phone();
    const body = await ok(s.post('/v1/customers', {
        source: { channel: 'pos' }, verified: ['phone'], profile: { phone: p },
    }), 201);
    const enrolled = await ok(s.post('/v1/pos/enroll', { phone: p, store: 'S-1' }), 200);
    assert.ok(enrolled.card_issued);
    return { id: body.customer.id, phone: p };
}

function receipt(p, n) {
    return { store: 'S-1', receipt: n, lines: [MILK], customer: { phone: p }, spend_points: 10,
             spend_exact: true };
}

describe('the questionnaire', { skip: skipReason() ?? false }, () => {
    before(async () => {
        server = await startServer();
        browser = await launchBrowser();
        await ok(server.put('/v1/consent-documents/pd-q', {
            purpose: 'pd_processing', title: 'Согласие на обработку ПДн',
            body: 'Я даю согласие на обработку персональных данных для программы лояльности.',
        }), 201);
        await ok(server.put('/v1/loyalty/program', { bonuses: { welcome: 150 } }));
    });

    after(async () => {
        await browser?.close();
        await server?.stop(FILE);
    });

    test('filled from a phone: the consent box first, then spending unlocked', { timeout: 60000 },
         async (t) => {
        const m = await member(server);
        const refused = await server.post('/v1/purchases', receipt(m.phone, 'QB-0'));
        assert.equal(refused.status, 422);
        assert.equal(refused.json.error.code, 'profile_incomplete');
        const { path } = await ok(server.get(`/v1/customers/${m.id}/questionnaire-link`));
        const page = await phonePage(browser, { javaScript: false });

        const opened = await page.goto(server.url + path);
        assert.equal(opened.status(), 200);
        assert.equal(await page.title(), 'Анкета участника');
        assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
        assert.deepEqual(await page.locator('main li').allInnerTexts(),
                         ['имя', 'дата рождения', 'согласие на обработку персональных данных']);
        await screenshot(page, FILE, '1-questionnaire');
        await assertAccessible(t, page, 'the questionnaire');

        await page.getByLabel('Имя').fill('Анна');
        await page.getByLabel('Фамилия').fill('Петрова');
        await page.getByLabel('Дата рождения').fill('1991-03-08');
        await page.getByLabel('Электронная почта').fill('anna@example.org');
        let reply = await submit(page, page.getByRole('button', { name: 'Сохранить' }));
        assert.equal(reply.status(), 422);
        assert.match(await page.locator('#pd_consent-error').innerText(), /Без согласия/);
        assert.equal(await page.getByLabel('Имя').inputValue(), 'Анна');
        assert.equal(await page.getByLabel('Электронная почта').inputValue(), 'anna@example.org');
        assert.equal((await ok(server.get(`/v1/customers/${m.id}`))).profile.first_name,
                     undefined);
        await screenshot(page, FILE, '2-without-consent');
        await assertAccessible(t, page, 'the questionnaire refused');

        await page.getByRole('checkbox').check();
        reply = await submit(page, page.getByRole('button', { name: 'Сохранить' }));
        assert.equal(reply.status(), 302);
        assert.equal(await page.getByRole('status').innerText(),
                     'Готово: анкета заполнена, баллы можно тратить.');
        await screenshot(page, FILE, '3-done');
        await assertAccessible(t, page, 'the questionnaire done');

        const prof = (await ok(server.get(`/v1/customers/${m.id}`))).profile;
        assert.deepEqual([prof.first_name, prof.last_name, prof.birth_date],
                         ['Анна', 'Петрова', '1991-03-08']);
        assert.equal((await ok(server.get(`/v1/customers/${m.id}/points`))).available, 150);
        const paid = await ok(server.post('/v1/purchases', receipt(m.phone, 'QB-1')), 201);
        assert.equal(paid.points.spent, 10);
        await page.context().close();
    });
});
