// console_analytics_kit.mjs - what the analytic screens' browser tests share (segments, quality,
// loyalty and the rest of docs/console.md's analytic screens): the console opened as an admin,
// and a check that a uPlot chart drew its series.
//
// adminConsole() logs in as the shell's console_kit.mjs does (a user made by `kartoteka users
// create`, the login form) when the binary has the users command. Until the session (part 1,
// helper auth) is on the same branch it stands in for it: the page's GET /v1/session is answered
// with an admin's session and every other /v1/ call it makes goes to the real server with the
// admin key added, so the screens talk to the real API as they will with a session's cookie.
import { spawnSync } from 'node:child_process';

import { BIN, screenshot } from './harness.mjs';
import { consolePage, createUser, login } from './console_kit.mjs';

/** Whether this binary has `kartoteka users` (the session's part is built in). */
function haveUsers() {
    return spawnSync(BIN, ['users', '--help'], { encoding: 'utf8' }).status === 0;
}

const SESSION = {
    user: { id: 'u_test', email: 'admin@example.ru', role: 'admin', stores: null, totp: false },
    second_factor: 'none',
    csrf_token: 'test-csrf',
    idle_expires_at: '2099-01-01T00:00:00.000Z',
    expires_at: '2099-01-01T00:00:00.000Z',
};

/** A desktop page, Russian, logged in to `server`'s console as an admin (see above). */
export async function adminConsole(browser, server) {
    if (haveUsers()) {
        const page = await consolePage(browser);
        await login(page, server, createUser(server, 'admin'));
        return page;
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ru-RU' });
    const page = await context.newPage();
    await page.route(`${server.url}/v1/**`, async (route) => {
        const req = route.request();
        if (new URL(req.url()).pathname === '/v1/session') {
            return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(SESSION) });
        }
        return route.continue({ headers: { ...req.headers(), authorization: `Bearer ${server.adminKey}` } });
    });
    return page;
}

/** Opens `path` under /admin and waits for the screen's heading. */
export async function openScreen(page, server, path, heading) {
    await page.goto(`${server.url}/admin${path}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** How many pixels of each chart on the page (uPlot canvases) are of its series' colours: a
 *  chart whose series have data draws lines of them; an empty one draws only the axes. */
export function seriesPixels(page) {
    return page.evaluate(() => [...document.querySelectorAll('.uplot canvas')].map((c) => {
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const colours = [[0x1f, 0x5f, 0xa8], [0xc0, 0x39, 0x2b], [0x2e, 0x8b, 0x57], [0x8e, 0x44, 0xad], [0xd3, 0x54, 0x00]];
        let n = 0;
        for (let i = 0; i < px.length; i += 4) {
            if (px[i + 3] > 200 && colours.some(([r, g, b]) => Math.abs(px[i] - r) < 12 && Math.abs(px[i + 1] - g) < 12 && Math.abs(px[i + 2] - b) < 12)) {
                n += 1;
            }
        }
        return n;
    }));
}

export { screenshot };
