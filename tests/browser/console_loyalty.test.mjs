// The loyalty screen (docs/console.md, "Loyalty") in Chromium against the real binary: the
// liability in roubles as the API reports it, the points over time drawn, and the programme's
// rules changed on the screen published as a new version. Also the RFM, clusters and traits
// screens over the same receipts. Screenshotted and checked by axe-core.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertAccessible, launchBrowser, ok, phone, skipReason, startServer } from './harness.mjs';
import { adminConsole, openScreen, screenshot, seriesPixels } from './console_analytics_kit.mjs';

const FILE = import.meta.filename;
const DAY = 86400000;
const MILK = { sku: 'M-1', name: 'Молоко', category: 'Молочное', quantity: 2, price: 8990, amount: 17980 };

let server;
let browser;

describe('loyalty and the analytic screens', { skip: skipReason() ?? false }, () => {
    before(async () => {
        server = await startServer({ args: ['--settable-clock'] });
        browser = await launchBrowser();
        const now = Date.now();
        await ok(server.put('/v1/system/clock', { now: new Date(now - 20 * DAY).toISOString() }));
        await ok(server.put('/v1/loyalty/program', { hold_days: 0 }));
        await ok(server.put('/v1/privacy/settings', { consent_policy: 'pending' }));
        const phones = [];
        for (let i = 0; i < 12; i += 1) {
            const p = phone();
            phones.push(p);
            await ok(server.post('/v1/customers', { source: { channel: 'pos' }, profile: { phone: p } }), 201);
        }
        let n = 0;
        for (const back of [15, 10, 5, 2]) {
            await ok(server.put('/v1/system/clock', { now: new Date(now - back * DAY).toISOString() }));
            for (let i = 0; i < phones.length; i += 1) {
                if ((i + back) % 3 !== 0) {
                    n += 1;
                    await ok(server.post('/v1/purchases', { store: 'S-1', receipt: `R-${n}`, lines: [MILK], customer: { phone: phones[i] } }), 201);
                }
            }
        }
        await ok(server.put('/v1/system/clock', { now: new Date(now).toISOString() }));
    });

    after(async () => {
        await browser?.close();
        await server?.stop(FILE);
    });

    test('loyalty: the liability in roubles, the points over time, the rules', { timeout: 120000 }, async (t) => {
        const page = await adminConsole(browser, server);
        await openScreen(page, server, '/loyalty', 'Лояльность');
        const rep = await ok(server.get('/v1/reports/loyalty?series=day'));
        assert.ok(rep.liability > 0);
        const shown = await page.locator('#liability').innerText();
        // roubles and kopecks ("256,00 ₽"): the digits are the API's kopecks
        assert.equal(shown.replace(/\D/g, ''), String(rep.liability), shown);
        assert.match(shown, /₽/);
        await page.locator('.uplot canvas').nth(1).waitFor();
        await page.waitForTimeout(300);
        const px = await seriesPixels(page);
        assert.ok(px.length === 2 && px.every((v) => v > 50), `both charts drew their series: ${px}`);
        await screenshot(page, FILE, '1-loyalty');
        await assertAccessible(t, page, 'the loyalty screen');

        // The rules: 7% published as the next version
        const before = await ok(server.get('/v1/loyalty/program'));
        await page.getByLabel('Начисление, % от покупки').fill('7');
        await page.getByRole('button', { name: 'Опубликовать' }).click();
        await page.getByText(`Опубликована версия ${before.version + 1}`).waitFor();
        const after = await ok(server.get('/v1/loyalty/program'));
        assert.equal(after.rules.earn.percent_bp, 700);
        assert.equal(after.rules.hold_days, 0); /* what the form does not change is kept */
        // A rule out of range: the API's error beside its field
        await page.getByLabel('Оплата баллами, не больше % чека').fill('150');
        await page.getByRole('button', { name: 'Опубликовать' }).click();
        await page.locator('.field.has-error').waitFor();
        await screenshot(page, FILE, '2-rules-error');
    });

    test('RFM heat map, clusters and traits', { timeout: 120000 }, async (t) => {
        const page = await adminConsole(browser, server);
        await openScreen(page, server, '/rfm', 'RFM-анализ');
        const rfm = await ok(server.get('/v1/reports/rfm'));
        const heat = page.getByRole('table', { name: /давности \(R\) и частоте \(F\)/ });
        // allInnerTexts() does not wait: the table's rows come with the report (CI read none)
        await heat.locator('tbody td').first().waitFor();
        const cells = await heat.locator('tbody td').allInnerTexts();
        const want = [5, 4, 3, 2, 1].flatMap((r) => rfm.r_by_f[r - 1]).map(String);
        assert.deepEqual(cells.map((c) => c.replace(/\D/g, '')), want);
        await screenshot(page, FILE, '3-rfm');
        await assertAccessible(t, page, 'the RFM screen');

        await openScreen(page, server, '/clusters', 'Кластеры');
        await page.getByLabel('Число кластеров (2–20)').fill('3');
        await page.getByRole('button', { name: 'Рассчитать' }).click();
        const table = page.getByRole('table', { name: 'Кластеры' });
        await table.locator('tbody tr td:nth-child(2)').first().waitFor();
        const sizes = (await table.locator('tbody tr td:nth-child(2)').allInnerTexts()).map((s) => Number(s.replace(/\D/g, '')));
        assert.equal(sizes.reduce((a, b) => a + b, 0), rfm.customers);
        await screenshot(page, FILE, '4-clusters');
        await assertAccessible(t, page, 'the clusters screen');

        await openScreen(page, server, '/traits', 'Признаки');
        await page.getByRole('cell', { name: 'average_receipt', exact: true }).waitFor();
        await screenshot(page, FILE, '5-traits');
        await assertAccessible(t, page, 'the traits screen');
    });
});
