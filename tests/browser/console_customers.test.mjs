// console_customers.test.mjs - the console's customer screens (docs/console.md): the search as
// the till writes a phone -> the customer's page -> its consents and their evidence, the
// profile's provenance (channel, store, cashier), the merge of a duplicate after a confirmation;
// an analyst sees phones masked; a store manager does not see another store's customer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertAccessible, ok, phone } from './harness.mjs';
import {
    consolePage, createUser, launchBrowser, login, problems, screenshot, skipReason, startServer,
} from './console_kit.mjs';

const FILE = import.meta.filename;
const PD = 'pd-console';

/** A customer registered at a till of `store` by cashier K-7, with the consent to processing
 *  given on a signed paper form, and two receipts there. */
async function member(s, store, first) {
    const p = phone();
    const body = {
        source: { channel: 'pos', store, operator: 'K-7' },
        profile: { phone: p, first_name: first, last_name: 'Тестова', email: `t${p.slice(-6)}@example.ru` },
        consents: [{ purpose: 'pd_processing', document: `${PD}@1`, granted: true,
                     evidence: { paper_form: 'PF-0042' } }],
    };
    const cid = (await ok(s.post('/v1/customers', body), 201)).customer.id;
    for (const n of [1, 2]) {
        await ok(s.post('/v1/purchases', {
            store, receipt: `C-${p.slice(-6)}-${n}`, customer: { id: cid },
            lines: [{ sku: 'M-1', quantity: 1, price: 12990, amount: 12990 }],
        }), 201);
    }
    return { id: cid, phone: p };
}

/** "+79991234567" as a cashier types it: "8 (999) 123-45-67". */
const tillPhone = (p) => `8 (${p.slice(2, 5)}) ${p.slice(5, 8)}-${p.slice(8, 10)}-${p.slice(10)}`;

describe('customer screens', { skip: skipReason() ?? false }, () => {
    let s;
    let browser;
    let a;
    let b;
    before(async () => {
        s = await startServer();
        browser = await launchBrowser();
        await ok(s.put(`/v1/consent-documents/${PD}`, {
            purpose: 'pd_processing', title: 'Согласие на обработку ПДн',
            body: 'Я даю согласие на обработку персональных данных.',
        }), 201);
        for (const code of ['S-1', 'S-2']) {
            await ok(s.put(`/v1/stores/${code}`, { title: `Магазин ${code}`, city: 'Москва' }), 201);
        }
        a = await member(s, 'S-1', 'Анна');
        b = await member(s, 'S-2', 'Берта');
    });
    after(async () => {
        await browser?.close();
        await s?.stop(FILE);
    });

    test('search by phone -> the customer\'s page -> consents and evidence; merge', async (t) => {
        const page = await consolePage(browser);
        await login(page, s, createUser(s, 'admin'));
        await page.getByLabel('Телефон').fill(tillPhone(a.phone));
        await page.getByRole('button', { name: 'Найти' }).click();
        const found = page.getByRole('table', { name: 'Найдено: 1' });
        await found.waitFor();
        await screenshot(page, FILE, 'search');
        await assertAccessible(t, page, 'the search with a result');
        await found.getByRole('link', { name: 'Тестова Анна' }).click();
        await page.getByRole('heading', { level: 1, name: 'Тестова Анна' }).waitFor();
        assert.equal(new URL(page.url()).pathname, `/admin/customers/${a.id}`);
        // The profile: each field's quality and where it came from.
        const profile = page.getByRole('region', { name: 'Профиль' });
        const row = profile.getByRole('row').filter({ hasText: 'Имя' }).first();
        await row.filter({ hasText: 'pos, магазин S-1, кассир K-7' }).waitFor();
        // Consents, then their evidence.
        const consents = page.getByRole('region', { name: 'Согласия' });
        await consents.getByRole('row').filter({ hasText: 'pd_processing' }).filter({ hasText: 'дано' }).waitFor();
        await consents.getByRole('button', { name: 'Показать доказательства' }).click();
        const ev = consents.getByRole('table', { name: 'Доказательства согласий (события)' });
        await ev.getByRole('row').filter({ hasText: 'paper_form: PF-0042' }).waitFor();
        assert.match(await ev.textContent(), new RegExp(`${PD} v1`));
        // Points: the ledger's chart (uPlot draws on a canvas) and its table; the receipts.
        const chart = page.getByRole('img', { name: /^Сумма записей журнала баллов во времени; сейчас \d+$/ });
        await chart.locator('canvas').waitFor();
        await page.getByRole('region', { name: 'Покупки' }).getByRole('row').filter({ hasText: '129,90 ₽' }).first().waitFor();
        await screenshot(page, FILE, 'customer');
        await assertAccessible(t, page, 'the customer\'s page');
        // Merge a duplicate, after a confirmation.
        const dup = (await ok(s.post('/v1/customers', {
            source: { channel: 'pos', store: 'S-1' }, profile: { email: `dup${a.phone.slice(-6)}@example.ru` },
            consents: [{ purpose: 'pd_processing', document: `${PD}@1`, granted: true,
                         evidence: { paper_form: 'PF-0043' } }],
        }), 201)).customer.id;
        const merge = page.getByRole('region', { name: 'Объединить с дублем' });
        await merge.getByLabel('ID покупателя, которого присоединить').fill(dup);
        await merge.getByRole('button', { name: 'Объединить...' }).click();
        await merge.getByRole('alertdialog').waitFor();
        await screenshot(page, FILE, 'merge-confirm');
        await merge.getByRole('button', { name: 'Да, объединить' }).click();
        await merge.getByRole('status').filter({ hasText: `Покупатель ${dup} присоединён` }).waitFor();
        await page.getByText(`Присоединены: ${dup}`).waitFor();
        const merged = await ok(s.get(`/v1/customers/${a.id}`));
        assert.deepEqual(merged.merged_from, [dup]);
        assert.deepEqual(problems(page), []);
    });

    test('search by the full name, in any case', async () => {
        const page = await consolePage(browser);
        await login(page, s, createUser(s, 'marketer'));
        await page.getByLabel('Искать по').selectOption('full_name');
        await page.getByLabel('Фамилия, имя, отчество').fill('тестова АННА');
        await page.getByRole('button', { name: 'Найти' }).click();
        const found = page.getByRole('table', { name: 'Найдено: 1' });
        await found.getByRole('link', { name: 'Тестова Анна' }).waitFor();
        assert.equal(new URL(page.url()).searchParams.get('full_name'), 'тестова АННА');
        await page.getByLabel('Фамилия, имя, отчество').fill('Тестова Вера');
        await page.getByRole('button', { name: 'Найти' }).click();
        await page.getByRole('table', { name: 'Найдено: 0' }).waitFor();
        assert.deepEqual(problems(page), []);
    });

    test('an analyst sees phones masked', async () => {
        const page = await consolePage(browser);
        await login(page, s, createUser(s, 'analyst'), `/customers/${a.id}`);
        await page.getByRole('heading', { level: 1 }).waitFor();
        const text = await page.getByRole('main').textContent();
        assert.ok(!text.includes(a.phone), 'the full phone is not shown');
        assert.match(text, /\+7 999 \*\*\*-\*\*-\d\d/);
    });

    test('a store manager does not open another store\'s customer', async () => {
        const page = await consolePage(browser);
        await login(page, s, createUser(s, 'store_manager', { stores: ['S-1'] }), `/customers/${b.id}`);
        const h1 = page.getByRole('heading', { level: 1 });
        await h1.waitFor();
        // The API does not tell another store's customer from nobody (404 customer_not_found, as
        // for a store's pos key): the page says not found and shows none of the customer's data.
        assert.equal(await h1.textContent(), 'Покупатель не найден');
        const text = await page.getByRole('main').textContent();
        assert.ok(!text.includes(b.phone) && !text.includes('Берта'));
        assert.deepEqual(problems(page), []);
    });

    test('a store manager opens their own store\'s customer', async () => {
        const page = await consolePage(browser);
        await login(page, s, createUser(s, 'store_manager', { stores: ['S-1'] }), `/customers/${a.id}`);
        await page.getByRole('heading', { level: 1, name: 'Тестова Анна' }).waitFor({ timeout: 5000 });
    });
});
