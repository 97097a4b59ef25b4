// The campaigns screen (docs/console.md, "Campaigns") in Debian's Chromium: a marketer creates
// an e-mail campaign to a test segment in the form, starts it, and the test SMTP server (a real
// one, tests/e2e/peers.py's SmtpSink) receives a message for each member; the campaign's page
// then shows it done with its report's funnel. The templates screen previews the template on a
// customer found by e-mail and test-sends it to the sink. axe-core finds nothing serious.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertAccessible, launchBrowser, screenshot, skipReason, startServer } from './harness.mjs';
import { problems } from './console_kit.mjs';
import { SMTP_ARGS, adminPage, mailSetup } from './console_msg_kit.mjs';
import { SmtpSink } from './smtp_sink.mjs';

const FILE = import.meta.filename;

let server;
let browser;
let sink;
let addrs;

describe('the campaigns and templates screens', { skip: skipReason() ?? false }, () => {
    before(async () => {
        sink = await SmtpSink.start();
        server = await startServer({ args: SMTP_ARGS(sink) });
        browser = await launchBrowser();
        addrs = await mailSetup(server, 3, 'cmp');
    });

    after(async () => {
        await browser?.close();
        await server?.stop(FILE);
        await sink?.stop();
    });

    test('a template previewed on a customer and test-sent', { timeout: 60000 }, async (t) => {
        const page = await adminPage(browser, server);
        await page.goto(`${server.url}/admin/templates`);
        await page.getByRole('link', { name: 'spring' }).click();
        await page.getByLabel('Клиент: телефон, e-mail или id').fill(addrs[1]);
        await page.getByRole('button', { name: 'Показать' }).click();
        await page.getByText('Весна: скидка 10%').first().waitFor();
        const frame = page.frameLocator('iframe[title="HTML письма"]');
        assert.equal((await frame.locator('p').textContent()).trim(), 'Борис, ждём вас.');
        await screenshot(page, FILE, '1-template-preview');

        await page.getByLabel('Кому (адрес или устройство)').fill('tester@example.org');
        await page.getByRole('button', { name: 'Отправить тест' }).click();
        await page.getByRole('status').filter({ hasText: 'Тест: sent' }).waitFor();
        const got = await sink.waitFor(1);
        assert.deepEqual(got[0].to, ['tester@example.org']);
        assert.equal(got[0].subject, 'Весна: скидка 10%');
        await assertAccessible(t, page, 'the templates screen');
        assert.deepEqual(problems(page), []);
    });

    test('a campaign created in the form and started reaches the SMTP server', { timeout: 90000 },
         async (t) => {
        const page = await adminPage(browser, server);
        await page.goto(`${server.url}/admin/campaigns`);
        await page.getByRole('link', { name: 'Новая кампания' }).click();
        await page.getByLabel('Название').fill('Весна в консоли');
        await page.getByLabel('Шаблон').selectOption('spring');
        await page.getByLabel('Сегмент').selectOption({ label: 'mailable' });
        await page.getByLabel('Тема рассылки').selectOption('promo');
        await screenshot(page, FILE, '2-campaign-form');
        await page.getByRole('button', { name: 'Создать черновик' }).click();
        await page.getByTestId('campaign-state').filter({ hasText: 'черновик' }).waitFor();
        assert.match(page.url(), /\/admin\/campaigns\/cmp_/);

        const before = sink.messages.length;
        await page.getByRole('button', { name: 'Запустить' }).click();
        const got = await sink.waitFor(before + addrs.length, 60000);
        assert.deepEqual(got.slice(before).map((m) => m.to[0]).sort(), [...addrs].sort());

        // The page's state follows the campaign to its end, and the report counts the three.
        const deadline = Date.now() + 60000;
        for (;;) {
            await page.getByRole('button', { name: 'Обновить', exact: true }).click();
            const st = await page.getByTestId('campaign-state').textContent();
            if (st === 'завершена') {
                break;
            }
            assert.ok(Date.now() < deadline, `the campaign is still ${st}`);
            await page.waitForTimeout(250);
        }
        // The report counts the three sent once the outbox has marked them (read again until).
        const funnel = page.locator('figure.kt-funnel svg');
        for (;;) {
            await page.getByRole('button', { name: 'Обновить отчёт' }).click();
            await page.waitForTimeout(250);
            const label = await funnel.getAttribute('aria-label');
            if (/Отправлено 3,/.test(label)) {
                break;
            }
            assert.ok(Date.now() < deadline, `the report's funnel: ${label}`);
        }
        await page.getByTestId('revenue').waitFor();
        await screenshot(page, FILE, '3-campaign-report');
        await assertAccessible(t, page, 'the campaign page');
        assert.deepEqual(problems(page), []);
    });
});
