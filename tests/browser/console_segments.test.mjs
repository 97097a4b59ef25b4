// The segment builder (docs/console.md, "Segments") in Chromium against the real binary: a query
// typed with the completion's help, the live count as one types equal to the API's preview of
// the same query, a syntax error shown where it is, save, then the saved segment's size chart and
// members. Screenshotted and checked by axe-core.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertAccessible, launchBrowser, ok, phone, skipReason, startServer } from './harness.mjs';
import { adminConsole, openScreen, screenshot, seriesPixels } from './console_analytics_kit.mjs';

const FILE = import.meta.filename;

let server;
let browser;

describe('the segment builder', { skip: skipReason() ?? false }, () => {
    before(async () => {
        server = await startServer();
        browser = await launchBrowser();
        await ok(server.put('/v1/privacy/settings', { consent_policy: 'pending' }));
        for (let i = 0; i < 7; i += 1) {
            await ok(server.post('/v1/customers', {
                source: { channel: 'web' },
                profile: { phone: phone(), city: i < 5 ? 'Москва' : 'Тула', gender: i % 2 ? 'm' : 'f' },
            }), 201);
        }
    });

    after(async () => {
        await browser?.close();
        await server?.stop(FILE);
    });

    test('build a segment: the live count equals the API\'s', { timeout: 120000 }, async (t) => {
        const page = await adminConsole(browser, server);
        await openScreen(page, server, '/segments/new', 'Новый сегмент');
        const editor = page.getByLabel('Запрос');
        const count = page.locator('#live-count');

        // Completion: "ci" offers the field city; Enter takes it.
        await editor.pressSequentially('ci');
        const option = page.getByRole('option', { name: /^city/ });
        await option.waitFor();
        await screenshot(page, FILE, '1-completion');
        await editor.press('Enter');
        assert.equal(await editor.inputValue(), 'city ');
        await editor.pressSequentially('= "Москва" and gender = "f"');

        const query = 'city = "Москва" and gender = "f"';
        const want = (await ok(server.post('/v1/segments/preview', { query, sample: 0 }))).size;
        assert.equal(want, 3);
        await page.locator(`#live-count[data-for='${query}']`).waitFor();
        assert.equal(await count.innerText(), String(want));
        assert.equal(await page.locator('#segment-explanation').innerText(),
                     'Что значит запрос: Покупатели, у которых город = «Москва» и пол = «f»');

        // Each change counts again; a stale reply is never the one shown.
        await editor.fill('city = "Тула"');
        await page.locator('#live-count[data-for=\'city = "Тула"\']').waitFor();
        assert.equal(await count.innerText(), '2');

        // A query that does not parse says where.
        await editor.fill('city = ');
        const alert = page.locator('#segment-query-err');
        await page.waitForFunction(() => document.querySelector('#segment-query-err').textContent.includes('column'));
        assert.match(await alert.innerText(), /line 1, column \d+/);
        await screenshot(page, FILE, '2-error');

        // Save: the segment's page with its size over time and its members.
        await editor.fill(query);
        await page.locator(`#live-count[data-for='${query}']`).waitFor();
        await page.getByLabel('Название').fill('москвички');
        await page.getByRole('button', { name: 'Сохранить' }).click();
        await page.waitForURL(/\/admin\/segments\/s_/);
        const id = page.url().split('/').pop();
        const saved = await ok(server.get(`/v1/segments/${id}`));
        assert.equal(saved.size, want);
        await page.getByRole('table', { name: /Участники/ }).waitFor();
        assert.equal(await page.getByRole('table', { name: /Участники/ }).locator('tbody tr').count(), want);
        await page.locator('.uplot canvas').first().waitFor();
        const sizes = await ok(server.get(`/v1/segments/${id}/sizes`));
        assert.equal(sizes.items.length, 1);
        await page.getByRole('button', { name: 'Обновить сейчас' }).click();
        await page.getByText(/Обновлён: вошли 0, вышли 0, всего 3/).waitFor();
        const px = await seriesPixels(page);
        assert.ok(px.length === 1 && px[0] > 0, `the size chart drew its point: ${px}`);
        await screenshot(page, FILE, '3-saved');
        await assertAccessible(t, page, 'the saved segment');

        // The list names it with its size.
        await openScreen(page, server, '/segments', 'Сегменты');
        const row = page.getByRole('row', { name: /москвички/ });
        assert.match(await row.innerText(), /3/);
        await assertAccessible(t, page, 'the list of segments');
        await screenshot(page, FILE, '4-list');
    });
});
