// console_analytics_kit.mjs - what the analytic screens' browser tests share (segments, quality,
// loyalty and the rest of docs/console.md's analytic screens): the console opened as an admin,
// and a check that a uPlot chart drew its series.
//
// adminConsole() logs in as the shell's console_kit.mjs does: an admin made by `kartoteka users
// create`, through the login form, so the screens talk to the real API with a session's cookie.
import { screenshot } from './harness.mjs';

/** A desktop page, Russian, logged in to `server`'s console as a new admin. */
export { adminPage as adminConsole } from './console_kit.mjs';

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
