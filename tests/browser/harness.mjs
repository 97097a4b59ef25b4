// harness.mjs - what every browser test shares (docs/pages.md, Browser tests): the real binary
// started as tests/e2e/conftest.py's Server starts it (a fresh temporary directory and database,
// a free port chosen by the server, the admin key of its first start), the API called with that
// key, Debian's Chromium driven by playwright-core at a phone's size, screenshots kept in the
// build directory, axe-core run inside the page, and the server stopped with its exit code and
// its log checked for a sanitizer's report.
//
// One browser per test file (launching one takes a second or two): launchBrowser() in before(),
// phonePage() for each page, browser.close() in after().
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

/** The binary under test: ctest passes KARTOTEKA_BIN, as to the e2e tests. */
export const BIN = process.env.KARTOTEKA_BIN || join(ROOT, 'build', 'test', 'kartoteka');
/** Debian's Chromium (scripts/deps.sh test installs it); KT_CHROMIUM names another. */
export const CHROMIUM = process.env.KT_CHROMIUM || '/usr/bin/chromium';
/** Where screenshots and server logs are kept: KT_ARTIFACTS (ctest sets
 *  <build>/browser-artifacts), else browser-artifacts beside the binary. */
export const ARTIFACTS = process.env.KT_ARTIFACTS || join(dirname(BIN), 'browser-artifacts');

const SANITIZER = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:/;
const ADMIN_KEY = /kt_[0-9a-z]{12}_[0-9a-z]{32}/;

/** Why the browser tests cannot run here, or null. The only reason to skip is a machine without
 *  Chromium; the line printed is what ctest's SKIP_REGULAR_EXPRESSION looks for. */
export function skipReason() {
    if (existsSync(CHROMIUM)) {
        return null;
    }
    const why = `${CHROMIUM} is not installed (scripts/deps.sh test installs Debian's chromium)`;
    console.log(`browser tests skipped: ${why}`);
    return why;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The promise's value, or an error naming `what` after `ms` milliseconds. */
async function within(ms, what, promise) {
    let timer;
    const late = new Promise((_, no) => {
        timer = setTimeout(() => no(new Error(`${what} took more than ${ms} ms`)), ms);
    });
    try {
        return await Promise.race([promise, late]);
    } finally {
        clearTimeout(timer);
    }
}

async function waitFor(what, fn, deadline) {
    while (Date.now() < deadline) {
        const v = await fn();
        if (v) {
            return v;
        }
        await sleep(20);
    }
    throw new Error(`timed out waiting for ${what}`);
}

/** A running `kartoteka serve` of its own temporary directory; made by startServer(). */
export class Server {
    constructor(dir, args, env) {
        this.dir = dir;
        this.db = join(dir, 'k.db');
        this.args = args;
        // No drain after SIGTERM unless a test asks for one: stopping stays quick.
        this.env = { ...process.env, KARTOTEKA_DRAIN: '0', ...env };
        this.adminKey = null;
        this.stdout = '';
        this.stderr = '';
    }

    async start() {
        const cmd = ['serve', '--db', this.db, '--listen', '127.0.0.1:0', ...this.args];
        this.proc = spawn(BIN, cmd, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
        this.proc.stdout.setEncoding('utf8').on('data', (s) => (this.stdout += s));
        this.proc.stderr.setEncoding('utf8').on('data', (s) => (this.stderr += s));
        this.exited = new Promise((ok) => this.proc.on('exit', (code, sig) => ok({ code, sig })));
        let gone = null;
        this.exited.then((e) => (gone = e));
        const deadline = Date.now() + 30000;
        try {
            const port = await waitFor('the server to listen', () => {
                if (gone) {
                    const how = gone.code ?? gone.sig;
                    throw new Error(`server exited early (${how}):\n${this.stderr}`);
                }
                return this.stderr.match(/event=listening port=(\d+)/)?.[1];
            }, deadline);
            this.url = `http://127.0.0.1:${port}`;
            // The first start prints an admin key after it listens.
            this.adminKey = await waitFor('the admin key of the first start',
                                          () => this.stdout.match(ADMIN_KEY)?.[0], deadline);
        } catch (e) {
            // Nothing left behind to keep the test file's process alive.
            this.proc.kill('SIGKILL');
            await this.exited;
            await rm(this.dir, { recursive: true, force: true });
            throw e;
        }
        return this;
    }

    /** An API call: `key` is the admin key unless another (or null: none) is given; a body is
     *  sent as JSON. Returns { status, headers, text, json } (json when the reply is JSON). */
    async request(method, path, { body, key = this.adminKey, headers = {} } = {}) {
        const h = { ...headers };
        if (key) {
            h.Authorization = `Bearer ${key}`;
        }
        if (body !== undefined) {
            h['Content-Type'] = 'application/json';
        }
        const r = await fetch(this.url + path, {
            method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(30000),
        });
        const text = await r.text();
        const json = (r.headers.get('content-type') || '').startsWith('application/json')
            ? JSON.parse(text) : undefined;
        return { status: r.status, headers: r.headers, text, json };
    }

    get(path, opts) { return this.request('GET', path, opts); }
    post(path, body, opts) { return this.request('POST', path, { ...opts, body }); }
    put(path, body, opts) { return this.request('PUT', path, { ...opts, body }); }
    patch(path, body, opts) { return this.request('PATCH', path, { ...opts, body }); }
    delete(path, opts) { return this.request('DELETE', path, opts); }

    /** Stops the server (SIGTERM) and fails when it did not exit 0 or a sanitizer (the test
     *  build has ASan+UBSan) reported anything; its log is kept as server.log in the artifacts of
     *  the test file `file` (see screenshot()), and its temporary directory removed. */
    async stop(file) {
        if (this.proc.exitCode === null && this.proc.signalCode === null) {
            this.proc.kill('SIGTERM');
        }
        const timer = setTimeout(() => this.proc.kill('SIGKILL'), 60000);
        const { code, sig } = await this.exited;
        clearTimeout(timer);
        await writeFile(join(artifacts(file), 'server.log'), this.stderr);
        await rm(this.dir, { recursive: true, force: true });
        if (SANITIZER.test(this.stderr)) {
            throw new Error(`sanitizer report:\n${this.stderr.slice(-5000)}`);
        }
        if (code !== 0) {
            throw new Error(`server exited ${code ?? sig}:\n${this.stderr.slice(-3000)}`);
        }
        return this.stderr;
    }
}

/** A fresh server: its own temporary directory and database, `args` after serve's own
 *  (e.g. ['--settable-clock']), `env` added to the environment. */
export async function startServer({ args = [], env = {} } = {}) {
    const dir = await mkdtemp(join(tmpdir(), 'kt-browser-'));
    return new Server(dir, args, env).start();
}

/** Debian's Chromium, headless. CI runs as root, where Chromium refuses to start inside its
 *  sandbox: --no-sandbox is needed there (the pages are our own, served on 127.0.0.1). The
 *  background-networking switches keep it from calling out of a machine with no network. */
export function launchBrowser() {
    return chromium.launch({
        executablePath: CHROMIUM,
        chromiumSandbox: false,
        args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-quic',
               '--no-first-run', '--disable-background-networking', '--disable-component-update',
               '--disable-sync'],
    });
}

/* The DevTools session that keeps each page's scripts off, for pages made with javaScript: false
 * (turned off through the protocol rather than playwright's javaScriptEnabled, so that axe's run
 * can turn them on for itself and off again). */
const noScript = new WeakMap();

/** A phone-sized page (390x844 CSS pixels at twice the density, touch, a mobile viewport) in a
 *  context of its own (no cookies shared with another page), Russian as the phone's language.
 *  `javaScript: false` turns the page's own scripts off, across its navigations and form posts
 *  (the pages must work without them); the test's page.evaluate() still runs. */
export async function phonePage(browser, { javaScript = true } = {}) {
    const context = await browser.newContext({
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        locale: 'ru-RU',
    });
    const page = await context.newPage();
    if (!javaScript) {
        const cdp = await context.newCDPSession(page);
        await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
        noScript.set(page, cdp);
    }
    return page;
}

/** The folder of a test file's artifacts, `<ARTIFACTS>/<the file's name without .test.mjs>`. */
function artifacts(file) {
    const dir = join(ARTIFACTS, basename(file).replace(/\.test\.mjs$/, ''));
    mkdirSync(dir, { recursive: true });
    return dir;
}

/** A full-page screenshot kept as `<name>.png` in the artifacts of the test file `file` (its
 *  import.meta.filename); returns its path. */
export async function screenshot(page, file, name) {
    const path = join(artifacts(file), `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
}

const AXE = join(HERE, 'node_modules', 'axe-core', 'axe.min.js');
let axeSource = null;

/** axe-core's violations of the page as it is now (every rule axe runs by default: WCAG 2.x A
 *  and AA and its best practices). axe is read from node_modules and evaluated inside the page
 *  through the DevTools protocol, so a page's Content-Security-Policy does not stop it and no
 *  third-party address is ever asked for. On a page whose scripts are off, script execution is
 *  turned on for axe's run only (its timers would never fire) and off again after it. A run that
 *  takes longer than 30 s fails rather than hangs. */
export async function axeViolations(page) {
    axeSource ??= readFileSync(AXE, 'utf8');
    const cdp = noScript.get(page);
    await cdp?.send('Emulation.setScriptExecutionDisabled', { value: false });
    try {
        await page.evaluate(axeSource);
        return await within(30000, 'axe-core\'s run', page.evaluate(async () => {
            // eslint-disable-next-line no-undef
            const r = await axe.run(document, { resultTypes: ['violations'] });
            return r.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(' ')),
            }));
        }));
    } finally {
        await cdp?.send('Emulation.setScriptExecutionDisabled', { value: true });
    }
}

/** The violations an assertion refuses: serious and critical ones. */
export function seriousViolations(violations) {
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A readable list of violations for an assertion's message. */
export function describeViolations(violations) {
    return violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.join(', ')})`)
        .join('\n');
}

let phoneSeq = 0;

/** A fresh synthetic Russian mobile number per call (never a real person's on purpose), as
 *  conftest.py's phone(). */
export function phone() {
    phoneSeq += 1;
    const pid = String(process.pid % 1000).padStart(3, '0');
    return `+7999${pid}${String(phoneSeq).padStart(4, '0')}`;
}

/** The JSON of an API reply (a Server's call) that has the status expected. */
export async function ok(request, status = 200) {
    const r = await request;
    assert.equal(r.status, status, r.text);
    return r.json;
}

/** axe-core finds nothing serious or critical on `page` (the rest is told as the test's
 *  diagnostics, `t`); the page also fits the phone's width. `excused` names rules (id -> the
 *  reason, written where the test calls it) whose violations are told, not failed: the one use
 *  is the tablet's meta refresh (docs/pages-plan.md, part 4). */
export async function assertAccessible(t, page, what, excused = {}) {
    const v = await axeViolations(page);
    const told = v.filter((x) => excused[x.id]);
    for (const x of told) {
        t.diagnostic(`${what}: excused ${x.impact} ${x.id}: ${excused[x.id]}`);
    }
    const failing = v.filter((x) => !excused[x.id]);
    assert.deepEqual(seriousViolations(failing), [], `${what}:\n${describeViolations(failing)}`);
    if (v.length) {
        t.diagnostic(`${what}: ${describeViolations(v)}`);
    }
    const over = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    assert.ok(over <= 0, `${what} is ${over}px wider than the phone`);
}

/** Taps a submit button and returns the reply to the form's POST (the page it opens). */
export async function submit(page, button) {
    const [reply] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        button.tap(),
    ]);
    await page.waitForLoadState();
    return reply;
}

/** A test SMS gateway: a small HTTP receiver on 127.0.0.1 that the server's SMS webhook (serve's
 *  --sms-url, its `url`) posts to; `got` keeps every message's JSON, `sent(to)` counts the
 *  messages to a phone, `code(to)` waits for the newest one to `to` and gives the six digits in
 *  it; `close()` stops it. */
export async function startSmsGateway() {
    const got = [];
    const srv = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (s) => (body += s)).on('end', () => {
            let json = null;
            try {
                json = JSON.parse(body);
            } catch {
                json = null;
            }
            got.push(json);
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end('{}');
        });
    });
    await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
    const sent = (to) => got.filter((m) => m?.to === to);
    return {
        url: `http://127.0.0.1:${srv.address().port}/sms`,
        got,
        sent: (to) => sent(to).length,
        async code(to, after = 0) {
            const m = await waitFor(`an SMS to the test phone after ${after}`,
                                    () => sent(to).length > after && sent(to).at(-1),
                                    Date.now() + 15000);
            return m.text.match(/\b(\d{6})\b/)[1];
        },
        close: () => new Promise((ok) => srv.close(ok)),
    };
}
