// The join form /j/{code} (src/pages/join*.c, docs/pages.md "The join form") in Debian's Chromium
// at a phone's size, with the page's own scripts off (it has none): a customer opens a join
// point's link, fills the form in, takes the code from the test SMS gateway (the server's SMS
// webhook goes to a receiver in the harness), confirms it and sees her card with its barcode; a
// form without the consent tick comes back with the message beside the box, her values kept and
// nothing stored (checked through the API). Each page is screenshotted and checked by axe-core.
// The card page offers her wallet: the Apple pass downloads, the Google button goes to Google.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
    assertAccessible, launchBrowser, ok, phone, phonePage, screenshot, skipReason, startServer,
    startSmsGateway, submit,
} from './harness.mjs';
import { SMS_ARGS, joinPoint, joinSetup, walletArgs } from './join_kit.mjs';

const FILE = import.meta.filename;

let server;
let browser;
let gw;
let code;

describe('the join form', { skip: skipReason() ?? false }, () => {
    before(async () => {
        gw = await startSmsGateway();
        server = await startServer({ args: [...SMS_ARGS(gw), ...walletArgs()] });
        browser = await launchBrowser();
        await joinSetup(server);
        code = await joinPoint(server, 'entrance');
    });

    after(async () => {
        await browser?.close();
        await server?.stop(FILE);
        await gw?.close();
    });

    test('joined from a phone: the form, the SMS code, the card', { timeout: 60000 }, async (t) => {
        const p = phone();
        const page = await phonePage(browser, { javaScript: false });
        const opened = await page.goto(`${server.url}/j/${code}`);
        assert.equal(opened.status(), 200);
        assert.equal(await page.locator('html').getAttribute('lang'), 'ru');
        assert.equal(await page.getByLabel(/персональных данных/).isChecked(), false);
        assert.equal(await page.getByLabel('Я согласен получать рекламу по SMS').isChecked(), false);
        await screenshot(page, FILE, '1-form');
        await assertAccessible(t, page, 'the join form');

        await page.getByLabel('Телефон').fill(p);
        await page.getByLabel('Имя').fill('Анна');
        await page.getByLabel('Фамилия').fill('Петрова');
        await page.getByLabel('Дата рождения').fill('1991-03-08');
        await page.getByLabel('Электронная почта').fill('anna@example.org');
        await page.getByLabel('кошка').check();
        await page.getByLabel('Акции').check();
        await page.getByLabel('Я согласен получать рекламу по SMS').check();
        await page.getByLabel(/персональных данных/).check();
        let reply = await submit(page, page.getByRole('button', { name: 'Получить код' }));
        assert.equal(reply.status(), 302);
        await page.waitForURL(/\/confirm\//);
        await page.waitForLoadState();
        assert.ok(!page.url().includes(p.slice(1)), 'no phone in the URL');
        assert.equal(await page.title(), 'Код из SMS');
        await screenshot(page, FILE, '2-code');
        await assertAccessible(t, page, 'the code page');

        const sms = await gw.code(p);
        await page.getByLabel('Код из SMS').fill(sms);
        reply = await submit(page, page.getByRole('button', { name: 'Подтвердить' }));
        assert.equal(reply.status(), 302);
        await page.waitForURL(/\/card\//);
        await page.waitForLoadState();
        assert.equal(await page.title(), 'Ваша карта');
        const number = (await page.locator('.card strong').innerText()).trim();
        assert.match(number, /^\d{13}$/);
        assert.equal(await page.locator('.barcode svg path').count(), 1);
        await screenshot(page, FILE, '3-card');
        await assertAccessible(t, page, 'the card page');
        // Her wallet (docs/wallet.md): the pass downloads, the Google button goes to Google.
        const apple = page.getByRole('link', { name: 'Добавить в Apple Wallet' });
        const google = page.getByRole('link', { name: 'Сохранить в Google Кошелёк' });
        const pass = await page.request.get(new URL(await apple.getAttribute('href'), page.url()).href);
        assert.equal(pass.status(), 200);
        assert.equal(pass.headers()['content-type'], 'application/vnd.apple.pkpass');
        assert.equal((await pass.body()).subarray(0, 2).toString(), 'PK');
        const save = await page.request.get(new URL(await google.getAttribute('href'), page.url()).href,
                                            { maxRedirects: 0 });
        assert.equal(save.status(), 302);
        assert.match(save.headers().location, /^https:\/\/pay\.google\.com\/gp\/v\/save\/[\w-]+\.[\w-]+\.[\w-]+$/);

        const found = await ok(server.get(`/v1/customers?phone=${encodeURIComponent(p)}`));
        const cu = await ok(server.get(`/v1/customers/${found.items[0].id}`));
        assert.equal(cu.profile.first_name, 'Анна');
        assert.ok(cu.verified.includes('phone'));
        assert.deepEqual(cu.attributes.pets, ['кошка']);
        const cards = await ok(server.get(`/v1/customers/${cu.id}/cards`));
        assert.deepEqual(cards.items.filter((c) => c.state === 'active').map((c) => c.number),
                         [number]);
        await page.context().close();
    });

    test('the consent box unticked: the message beside it, nothing stored', { timeout: 60000 },
         async (t) => {
        const p = phone();
        const page = await phonePage(browser, { javaScript: false });
        await page.goto(`${server.url}/j/${code}`);
        await page.getByLabel('Телефон').fill(p);
        await page.getByLabel('Имя').fill('Вера');
        await page.getByLabel('Электронная почта').fill('vera@@example');
        const reply = await submit(page, page.getByRole('button', { name: 'Получить код' }));
        assert.equal(reply.status(), 422);
        assert.match(await page.locator('#pd_consent-error').innerText(), /Без согласия/);
        assert.match(await page.locator('#email-error').innerText(), /электронной почты/);
        assert.equal(await page.getByLabel('Имя').inputValue(), 'Вера');
        assert.equal(await page.getByLabel('Телефон').inputValue(), p);
        await screenshot(page, FILE, '4-without-consent');
        await assertAccessible(t, page, 'the join form refused');
        const found = await ok(server.get(`/v1/customers?phone=${encodeURIComponent(p)}`));
        assert.deepEqual(found.items, []);
        assert.equal(gw.sent(p), 0);
        await page.context().close();
    });
});
