// The retailer's own pages (docs/pages.md, "The retailer's own pages") in Debian's Chromium at a
// phone's size, scripts off: the questionnaire's wording, the stylesheet (the programme's colour)
// and an SVG logo replaced through /v1/pages; the page shows the new heading, loads the logo and
// the stylesheet under the pages' Content-Security-Policy, is screenshotted and still has no
// serious or critical axe-core violation. A reset brings the built-in heading back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
    assertAccessible, launchBrowser, ok, phone, phonePage, screenshot, skipReason, startServer,
} from './harness.mjs';

const FILE = import.meta.filename;
const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40" viewBox="0 0 160 40">'
    + '<rect width="160" height="40" rx="6" fill="#8a1c1c"/>'
    + '<circle cx="20" cy="20" r="10" fill="#fff"/></svg>';

let server;
let browser;

describe('the retailer restyles the questionnaire', { skip: skipReason() ?? false }, () => {
    before(async () => {
        server = await startServer();
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await server?.stop(FILE);
    });

    test('wording, colour and logo shown, still accessible; reset', { timeout: 60000 },
         async (t) => {
        const builtin = await ok(server.get('/v1/pages/questionnaire'));
        const mine = builtin.body.replace('<h1>Анкета участника</h1>',
                                          '<h1 class="brand">Анкета клуба «Ромашка»</h1>');
        await ok(server.put('/v1/pages/questionnaire', { body: mine }), 201);
        const css = (await ok(server.get('/v1/pages/style.css'))).body
            .replace('--accent: #0b5cad', '--accent: #8a1c1c') + '.brand { color: #8a1c1c; }\n';
        await ok(server.put('/v1/pages/style.css', { body: css }), 201);
        const logo = await fetch(`${server.url}/v1/pages/logo`, {
            method: 'PUT', body: LOGO,
            headers: { Authorization: `Bearer ${server.adminKey}`, 'Content-Type': 'image/svg+xml' },
        });
        assert.equal(logo.status, 201, await logo.text());

        const p = phone();
        const body = await ok(server.post('/v1/customers', {
            source: { channel: 'pos' }, verified: ['phone'], profile: { phone: p },
        }), 201);
        const { path } = await ok(server.get(`/v1/customers/${body.customer.id}/questionnaire-link`));
        const page = await phonePage(browser, { javaScript: false });
        assert.equal((await page.goto(server.url + path)).status(), 200);
        assert.equal(await page.locator('h1').innerText(), 'Анкета клуба «Ромашка»');
        const img = page.locator('header img.logo');
        assert.ok(await img.evaluate((e) => e.complete && e.naturalWidth === 160),
                  'the logo loaded under the pages\' policy');
        const colour = await page.locator('button[type=submit]')
            .evaluate((e) => getComputedStyle(e).backgroundColor);
        assert.equal(colour, 'rgb(138, 28, 28)');
        await screenshot(page, FILE, '1-restyled');
        await assertAccessible(t, page, 'the restyled questionnaire');

        await ok(server.post('/v1/pages/questionnaire/reset'));
        await page.reload();
        assert.equal(await page.locator('h1').innerText(), 'Анкета участника');
        await page.context().close();
    });
});
