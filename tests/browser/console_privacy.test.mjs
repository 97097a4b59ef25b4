// The privacy screen (docs/console.md, "Privacy") in Debian's Chromium, on a server with a
// settable clock: of two requests, the one past its legal deadline is red and says so in words,
// the other not; closing one from the screen closes it in the API; the audit search by action
// finds the closing; an erasure's act of destruction shows its document and takes its detached
// CMS signature (made by the openssl command line) as a file. axe-core finds nothing serious.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertAccessible, launchBrowser, ok, screenshot, skipReason, startServer } from './harness.mjs';
import { consolePage, createUser, login, problems } from './console_kit.mjs';
import { adminPage } from './console_msg_kit.mjs';

const FILE = import.meta.filename;

let server;
let browser;
let late;
let fresh;

describe('the privacy screen', { skip: skipReason() ?? false }, () => {
    before(async () => {
        server = await startServer({ args: ['--settable-clock'] });
        browser = await launchBrowser();
        await ok(server.put('/v1/system/clock', { now: '2026-03-02T09:00:00Z' }));
        late = await ok(server.post('/v1/privacy-requests', { kind: 'access' }), 201);
        await ok(server.put('/v1/system/clock', { now: '2026-04-20T09:00:00Z' }));
        fresh = await ok(server.post('/v1/privacy-requests', { kind: 'erasure' }), 201);
    });

    after(async () => {
        await browser?.close();
        await server?.stop(FILE);
    });

    test('the overdue request in red, closed from the screen, the close found in the audit log',
         { timeout: 60000 }, async (t) => {
        const page = await adminPage(browser, server);
        await page.goto(`${server.url}/admin/privacy`);
        const lateRow = page.locator(`tr[data-request="${late.id}"]`);
        const freshRow = page.locator(`tr[data-request="${fresh.id}"]`);
        await lateRow.waitFor();
        await freshRow.waitFor();
        assert.match(await lateRow.getByTestId('due').textContent(), /просрочен/);
        assert.doesNotMatch(await freshRow.getByTestId('due').textContent(), /просрочен/);
        const red = (loc) => loc.evaluate((el) => getComputedStyle(el).color);
        assert.equal(await red(lateRow.getByTestId('due')), 'rgb(160, 0, 24)');
        assert.notEqual(await red(freshRow.getByTestId('due')), 'rgb(160, 0, 24)');
        await screenshot(page, FILE, '1-requests');
        await assertAccessible(t, page, 'the privacy screen');

        await lateRow.getByRole('button', { name: 'Закрыть' }).click();
        await page.getByLabel('Что сделано').fill('Ответ отправлен письмом');
        await page.getByRole('form', { name: 'Закрыть запрос' })
            .getByRole('button', { name: 'Сохранить' }).click();
        await lateRow.locator('td', { hasText: 'исполнен' }).waitFor();
        const closed = await ok(server.get(`/v1/privacy-requests/${late.id}`));
        assert.equal(closed.state, 'done');
        assert.equal(closed.outcome, 'Ответ отправлен письмом');

        const audit = page.getByRole('form', { name: 'Поиск в журнале' });
        await audit.getByLabel('Действие').fill('request');
        await audit.getByRole('button', { name: 'Искать' }).click();
        const rows = page.locator('section[aria-labelledby="audit-h"] tbody tr');
        await rows.first().waitFor();
        // The requests' log entries: two made and one closed, the close naming its request.
        const api = await ok(server.get('/v1/audit?action=request'));
        assert.equal(api.items.length, 3);
        assert.equal(await rows.count(), 3);
        await rows.filter({ hasText: `close ${late.id} done` }).waitFor();
        await screenshot(page, FILE, '2-audit');
        await assertAccessible(t, page, 'the privacy screen with the audit search');
        assert.deepEqual(problems(page), []);
    });

    test('a DPO has the privacy screen and not the marketing ones', { timeout: 60000 }, async (t) => {
        const page = await consolePage(browser);
        await login(page, server, createUser(server, 'dpo'));
        const nav = page.getByRole('navigation', { name: 'Разделы' });
        assert.deepEqual((await nav.getByRole('link').allTextContents()).sort(),
                         ['Персональные данные', 'Покупатели']);
        await nav.getByRole('link', { name: 'Персональные данные' }).click();
        await page.locator(`tr[data-request="${fresh.id}"]`).waitFor();
        await assertAccessible(t, page, 'the privacy screen of a DPO');
        assert.deepEqual(problems(page), []);
    });

    test('an act of destruction: its document shown, its signature attached as a file',
         { timeout: 60000 }, async (t) => {
        await ok(server.put('/v1/privacy/settings', {
            data_operator: { name: 'ООО «Ромашка»', address: '123456, г. Москва, ул. Лесная, д. 1',
                             inn: '7707083893', ogrn: '1027700132195' },
            information_system: 'ИСПДн «Программа лояльности»',
            responsible_person: { name: 'Иванова Мария Петровна',
                                  position: 'ответственный за обработку ПДн' } }));
        await ok(server.put('/v1/consent-documents/act-pd', {
            purpose: 'pd_processing', title: 'Согласие', body: 'Согласие на обработку ПДн.' }), 201);
        const c = await ok(server.post('/v1/customers', {
            source: { channel: 'web' }, profile: { email: 'act-1@example.org', first_name: 'Вера' },
            consents: [{ purpose: 'pd_processing', document: 'act-pd', granted: true,
                         evidence: { form_id: 'f-1' } }] }), 201);
        const { act } = await ok(server.post(`/v1/customers/${c.customer.id}/erase`, {}));
        assert.equal(act.state, 'complete');

        // The DPO's signature of the document's bytes: a detached CMS by a throwaway key.
        const dir = mkdtempSync(join(tmpdir(), 'kt-act-'));
        try {
            const doc = await server.get(`/v1/destruction-acts/${act.id}/document`);
            writeFileSync(join(dir, 'doc.json'), doc.text);
            execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt',
                                     'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=Test DPO',
                                     '-days', '1', '-keyout', join(dir, 'k.pem'),
                                     '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
            execFileSync('openssl', ['cms', '-sign', '-binary', '-in', join(dir, 'doc.json'),
                                     '-signer', join(dir, 'c.pem'), '-inkey', join(dir, 'k.pem'),
                                     '-outform', 'DER', '-out', join(dir, 'act.p7s')]);

            const page = await adminPage(browser, server);
            await page.goto(`${server.url}/admin/privacy`);
            const item = page.locator('li', { hasText: act.id });
            await item.getByRole('button', { name: 'Документ' }).click();
            assert.deepEqual(JSON.parse(await item.locator('pre').textContent()),
                             JSON.parse(doc.text));
            await item.getByLabel('Подпись (CMS, DER или PEM)').setInputFiles(join(dir, 'act.p7s'));
            await item.getByText('подписан').waitFor();
            assert.equal((await ok(server.get(`/v1/destruction-acts/${act.id}`))).state, 'signed');
            await item.getByRole('link', { name: 'Скачать подпись' }).waitFor();
            await screenshot(page, FILE, '3-act-signed');
            await assertAccessible(t, page, 'the privacy screen with a signed act');
            assert.deepEqual(problems(page), []);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
