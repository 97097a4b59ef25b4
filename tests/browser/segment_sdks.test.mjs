// The Segment tracking API (docs/collect.md) driven by the real SDKs a shop already has, pointed
// at a test server by their host name and nothing else: @segment/analytics-node from this process
// (Basic auth, batches of /v1/batch, retries with X-Retry-Count), and @segment/analytics-next in
// Debian's Chromium on a shop's page of another origin (text/plain, the key in the body and in
// Basic auth, CORS, /v1/t /v1/p /v1/i one call at a time). Every call lands, once: the events
// and the profile are read back through the API and counted.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, join, normalize } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Analytics } from '@segment/analytics-node';

import { launchBrowser, ok, phone, phonePage, screenshot, skipReason, startServer } from './harness.mjs';

const FILE = import.meta.filename;
const HERE = dirname(fileURLToPath(import.meta.url));
const UMD = join(HERE, 'node_modules', '@segment', 'analytics-next', 'dist', 'umd');

let server;
let shop; // the shop's own web server: its page and the SDK's files, on another origin
let shopUrl;
let key; // a collect key: the retailer's write key

/** The shop's page: analytics-next from the shop's own server (no CDN), its Segment.io
 *  destination's apiHost set to Kartoteka; then the page view, an identify and two tracks. */
function page(apiHost, writeKey, user) {
    const settings = {
        integrations: { 'Segment.io': { apiKey: writeKey, apiHost, protocol: 'http' } },
    };
    return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Магазин</title>
<script src="/umd/index.js"></script></head><body><h1>Магазин</h1><script>
window.done = (async () => {
  const [analytics] = await AnalyticsNext.AnalyticsBrowser.load(
    { writeKey: ${JSON.stringify(writeKey)}, cdnSettings: ${JSON.stringify(settings)} },
    { integrations: { 'Segment.io': { deliveryStrategy: { strategy: 'standard' } } } });
  const calls = [
    analytics.page('Каталог', { title: 'Каталог' }),
    analytics.identify(${JSON.stringify(user)}, { firstName: 'Вера', email: 'vera.sdk@example.org',
      consents: [{ purpose: 'pd_processing', granted: true, document: 'pd-sdk@1',
                   evidence: { form_id: 'shop-signup' } }] }),
  ];
  await Promise.all(calls);
  await analytics.track('Product Viewed', { product_id: 'B-1', price: 10.5 });
  await analytics.track('Product Added', { product_id: 'B-1', price: 10.5, quantity: 2 });
  return analytics.user().anonymousId();
})();
</script></body></html>`;
}

async function customerOf(user) {
    const found = await ok(server.get(`/v1/customers?external=shop:${encodeURIComponent(user)}`));
    assert.equal(found.items.length, 1, `one customer for ${user}`);
    return found.items[0];
}

async function eventsOf(id) {
    return (await ok(server.get(`/v1/customers/${id}/events?limit=1000`))).items;
}

describe('the Segment SDKs', { skip: skipReason() ?? false }, () => {
    let browser;
    before(async () => {
        shop = createServer(async (req, res) => {
            const url = new URL(req.url, 'http://x');
            if (url.pathname.startsWith('/umd/')) {
                const file = normalize(join(UMD, url.pathname.slice(5)));
                if (!file.startsWith(UMD)) {
                    res.writeHead(404).end();
                    return;
                }
                try {
                    const body = await readFile(file);
                    res.writeHead(200, { 'Content-Type': 'application/javascript' }).end(body);
                } catch {
                    res.writeHead(404).end();
                }
                return;
            }
            const user = url.searchParams.get('user');
            res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
                .end(page(`${server.url.slice('http://'.length)}/v1`, key, user));
        });
        await new Promise((r) => shop.listen(0, '127.0.0.1', r));
        shopUrl = `http://127.0.0.1:${shop.address().port}`;
        server = await startServer({ args: ['--cors-origins', shopUrl] });
        await ok(server.put('/v1/privacy/settings', { consent_policy: 'pending' }));
        await ok(server.put('/v1/consent-documents/pd-sdk', {
            purpose: 'pd_processing', title: 'Согласие на обработку ПДн',
            body: 'Я даю согласие на обработку персональных данных интернет-магазином.',
        }), 201);
        key = (await ok(server.post('/v1/keys', { name: 'web shop', scope: 'collect' }), 201)).token;
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close();
        await new Promise((r) => (shop ? shop.close(r) : r()));
        await server?.stop(FILE);
    });

    test('analytics-node: every call lands, once', { timeout: 60000 }, async () => {
        const analytics = new Analytics({ writeKey: key, host: server.url, flushAt: 7,
                                          flushInterval: 200, maxRetries: 3 });
        const failures = [];
        analytics.on('error', (e) => failures.push(String(e?.reason ?? e)));
        const user = `node-${Date.now()}`;
        const p = phone();
        analytics.identify({ userId: user, anonymousId: 'node-anon',
                             traits: { firstName: 'Анна', lastName: 'Узлова', phone: p,
                                       email: 'anna.node@example.org' } });
        for (let i = 0; i < 40; i++) {
            analytics.track({ userId: user, event: 'Product Viewed',
                              properties: { product_id: `N-${i}`, price: 99.9 } });
        }
        analytics.track({ userId: user, event: 'Order Completed',
                          properties: { order_id: 'o-node', total: 199.8,
                                         products: [{ product_id: 'N-1' }, { product_id: 'N-2' }] } });
        analytics.page({ userId: user, name: 'Главная', properties: { url: 'https://shop.example/' } });
        analytics.screen({ userId: user, name: 'Корзина' });
        analytics.group({ userId: user, groupId: 'g-1' });
        analytics.alias({ userId: user, previousId: 'node-anon-2' });
        await analytics.closeAndFlush({ timeout: 20000 });
        assert.deepEqual(failures, []);

        const cu = await customerOf(user);
        assert.equal(cu.profile.first_name, 'Анна');
        assert.equal(cu.profile.email, 'anna.node@example.org');
        const events = await eventsOf(cu.id);
        const count = (type) => events.filter((e) => e.type === type).length;
        assert.equal(count('product_view'), 40);
        assert.equal(new Set(events.filter((e) => e.type === 'product_view')
            .map((e) => e.properties.sku)).size, 40, 'each product once');
        assert.equal(count('order_completed'), 1);
        assert.deepEqual(events.find((e) => e.type === 'order_completed').properties,
                         { order_id: 'o-node', total: 19980, items: 2 });
        assert.equal(count('page_view'), 1);
        assert.equal(count('screen_view'), 1);
        assert.equal(events.length, 43);
        const ids = (await ok(server.get(`/v1/customers/${cu.id}`))).identifiers;
        assert.ok(JSON.stringify(ids).includes('node-anon-2'), 'the alias linked the cookie');
    });

    test('analytics-next in Chromium: every call lands, once', { timeout: 90000 }, async () => {
        const user = `web-${Date.now()}`;
        const tab = await phonePage(browser);
        const sent = [];
        tab.on('request', (r) => {
            if (r.url().startsWith(server.url)) {
                sent.push(`${r.method()} ${new URL(r.url()).pathname}`);
            }
        });
        const answers = [];
        tab.on('response', (r) => {
            if (r.url().startsWith(server.url) && r.request().method() === 'POST') {
                answers.push(r.status());
            }
        });
        await tab.goto(`${shopUrl}/?user=${user}`);
        const anon = await tab.evaluate(() => window.done);
        assert.ok(anon, 'the SDK has an anonymous id');
        await screenshot(tab, FILE, '1-shop');
        assert.ok(sent.includes('POST /v1/t') && sent.includes('POST /v1/p') &&
                  sent.includes('POST /v1/i'), sent.join(', '));
        assert.ok(answers.length >= 4 && answers.every((s) => s === 200), answers.join(', '));

        const cu = await customerOf(user);
        assert.equal(cu.profile.first_name, 'Вера');
        const events = await eventsOf(cu.id);
        assert.deepEqual(events.map((e) => e.type).sort(),
                         ['cart_add', 'page_view', 'product_view']);
        const added = events.find((e) => e.type === 'cart_add');
        assert.deepEqual(added.properties, { sku: 'B-1', price: 1050, quantity: 2,
                                             url: `${shopUrl}/?user=${user}` });
        assert.equal(added.channel, 'web');
        const ids = JSON.stringify((await ok(server.get(`/v1/customers/${cu.id}`))).identifiers);
        assert.ok(ids.includes(anon), 'the browser\'s anonymous id is her cookie');
        // her consent, with the browser's user agent from the SDK's context as its evidence
        const proof = JSON.stringify(await ok(server.get(`/v1/customers/${cu.id}/consents/evidence`)));
        assert.match(proof, /shop-signup/);
        assert.match(proof, /HeadlessChrome|Chrome\//);
        await tab.context().close();
    });
});
