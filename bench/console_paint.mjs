// bench/console_paint.mjs URL - the console's first paint (issue 15: < 1 s on loopback), one run:
// headless Chromium (tests/browser/harness.mjs's launchBrowser, Debian's /usr/bin/chromium)
// loads the console at URL/admin in a fresh context (nothing cached), and reads
//   fcp_ms   the page's first-contentful-paint (Paint Timing), from the navigation's start;
//   data_ms  when the first screen is shown with its data: <main> has its heading, nothing says
//            "Загрузка", and the view's own element is there (at the frame it was drawn in);
//   kib      what the page fetched (document, scripts, styles, API replies), transfer sizes.
// Views: `nosession` (/admin without a session: the login form once GET /v1/session answers
// 401; a build without the session routes shows the frame's "not found"); with KT_EMAIL and
// KT_PASSWORD the session is opened through POST /v1/session first (the cookie, as the login
// form gets it), then `home` (/admin: the first screen of the role) and, with KT_PHONE,
// `search` (/admin/customers?phone=...: the search's result row drawn). One RESULT line
// per view: "RESULT view=home fcp_ms=... data_ms=... kib=...".
import { launchBrowser } from '../tests/browser/harness.mjs';

const url = process.argv[2];
if (!url) {
    console.error('usage: node bench/console_paint.mjs URL  (KT_EMAIL, KT_PASSWORD, KT_PHONE)');
    process.exit(2);
}
const email = process.env.KT_EMAIL;
const password = process.env.KT_PASSWORD;
const phone = process.env.KT_PHONE;
const views = [['nosession', '/admin', null]].concat(
    email ? [['home', '/admin', null]] : [],
    email && phone ? [['search', `/admin/customers?phone=${encodeURIComponent(phone)}`, 'main table tbody tr']] : [],
);

const browser = await launchBrowser();
try {
    for (const [name, path, selector] of views) {
        const ctx = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1366, height: 768 } });
        if (name !== 'nosession') {
            const r = await ctx.request.post(`${url}/v1/session`, { data: { email, password } });
            if (!r.ok()) {
                throw new Error(`login: ${r.status()} ${await r.text()}`);
            }
        }
        const page = await ctx.newPage();
        await page.goto(`${url}${path}`, { waitUntil: 'commit' });
        const shown = await page
            .waitForFunction(
                (sel) => {
                    const main = document.querySelector('main');
                    if (!main || !main.querySelector('h1') || document.querySelector('.loading')) {
                        return false;
                    }
                    return sel && !document.querySelector(sel) ? false : performance.now();
                },
                selector,
                { polling: 'raf', timeout: 30000 },
            )
            .catch(() => null);
        if (shown === null) { /* e.g. a screen that does not show that yet: said, not counted */
            console.log(`NOTSHOWN view=${name} within 30 s`);
            await ctx.close();
            continue;
        }
        const dataMs = await shown.jsonValue();
        const { fcp, bytes } = await page.evaluate(() => {
            const p = performance.getEntriesByName('first-contentful-paint')[0];
            const nav = performance.getEntriesByType('navigation')[0];
            const res = performance.getEntriesByType('resource');
            return {
                fcp: p ? p.startTime : -1,
                bytes: res.reduce((s, e) => s + e.transferSize, nav ? nav.transferSize : 0),
            };
        });
        console.log(
            `RESULT view=${name} fcp_ms=${fcp.toFixed(1)} data_ms=${dataMs.toFixed(1)} kib=${(bytes / 1024).toFixed(1)}`,
        );
        await ctx.close();
    }
} finally {
    await browser.close();
}
