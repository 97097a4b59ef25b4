// The quality dashboard (docs/console.md, "Quality") in Chromium against the real binary: a base
// seeded over three days from a store whose cashier types junk and from a careful one; the screen
// draws its charts over time from it (uPlot canvases whose series' lines are drawn), ranks the
// worst store and cashier first as the API does, and shows the base's completeness.
// Screenshotted and checked by axe-core.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertAccessible, launchBrowser, ok, phone, skipReason, startServer } from './harness.mjs';
import { adminConsole, openScreen, screenshot, seriesPixels } from './console_analytics_kit.mjs';

const FILE = import.meta.filename;
const DAY = 86400000;

let server;
let browser;

describe('the quality dashboard', { skip: skipReason() ?? false }, () => {
    before(async () => {
        server = await startServer({ args: ['--settable-clock'] });
        browser = await launchBrowser();
        await ok(server.put('/v1/privacy/settings', { consent_policy: 'pending' }));
        const now = Date.now();
        for (const back of [3, 2, 1]) {
            await ok(server.put('/v1/system/clock', { now: new Date(now - back * DAY).toISOString() }));
            for (let i = 0; i < 24; i += 1) {
                // the bad till: a third junk the first day, more each day after
                const junk = i % 3 === 0 || (back < 3 && i % 2 === 0);
                await server.post('/v1/customers', {
                    source: { channel: 'pos', store: 'S-12', operator: 'кассир-7' },
                    profile: { phone: junk ? '+7 999 999-99-99' : phone(), birth_date: junk ? '1900-01-01' : '1990-05-05' },
                });
                await server.post('/v1/customers', {
                    source: { channel: i % 2 ? 'web' : 'pos', store: 'S-3', operator: 'кассир-1' },
                    profile: { phone: phone(), first_name: 'Анна', birth_date: '1991-02-03' },
                });
            }
        }
        await ok(server.put('/v1/system/clock', { now: new Date(now).toISOString() }));
    });

    after(async () => {
        await browser?.close();
        await server?.stop(FILE);
    });

    test('the charts are drawn from the seeded base; the worst source first', { timeout: 120000 }, async (t) => {
        const page = await adminConsole(browser, server);
        await openScreen(page, server, '/quality', 'Качество данных');
        await page.locator('.uplot canvas').nth(2).waitFor();
        assert.equal(await page.locator('.uplot canvas').count(), 3);
        await page.waitForTimeout(300); /* uPlot draws on the next frame */
        const px = await seriesPixels(page);
        assert.ok(px.every((n) => n > 50), `every chart drew its series: ${px}`);

        const api = await ok(server.get(`/v1/reports/quality/daily?by=store&since=${new Date(Date.now() - 30 * DAY).toISOString()}`));
        assert.equal(api.sources[0].store, 'S-12');
        assert.equal(api.sources[0].series.length, 3);
        const stores = page.getByRole('table', { name: /Кто приносит плохие данные: магазины/ });
        const first = stores.locator('tbody tr').first();
        assert.match(await first.innerText(), /^S-12\s/);
        const ops = page.getByRole('table', { name: /Кто приносит плохие данные: кассиры/ });
        assert.match(await ops.locator('tbody tr').first().innerText(), /^кассир-7 \(S-12\)/);
        // the base's state: as many customers as the report says
        const rep = await ok(server.get('/v1/reports/quality'));
        assert.match(await page.getByRole('list', { name: 'Главное' }).innerText(), new RegExp(String(rep.customers)));
        await screenshot(page, FILE, '1-dashboard');
        await assertAccessible(t, page, 'the quality dashboard');

        // Another period: the charts are drawn again from the API.
        await page.getByRole('button', { name: '7 дней' }).click();
        await page.locator('.uplot canvas').nth(2).waitFor();
        await page.waitForTimeout(300);
        assert.ok((await seriesPixels(page)).every((n) => n > 50));
    });
});
