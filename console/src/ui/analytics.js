// analytics.js - what the analytic screens share (segments, quality, loyalty, rfm): numbers in
// Russian, money from kopecks, shares as percents, and series of the API turned into uPlot's
// columns (x in seconds, one column per series, null where a series has no point).

const INT = new Intl.NumberFormat('ru-RU');
const RUB = new Intl.NumberFormat('ru-RU', { style: 'currency', currency: 'RUB', maximumFractionDigits: 2 });

/** 1 234 567 */
export function num(n) {
    return n === null || n === undefined ? '—' : INT.format(n);
}

/** Kopecks as roubles: 12 345,67 ₽ */
export function roubles(kopecks) {
    return kopecks === null || kopecks === undefined ? '—' : RUB.format(kopecks / 100);
}

/** A share 0..1 as a percent: 12,5 % */
export function percent(share) {
    if (share === null || share === undefined) {
        return '—';
    }
    return `${(share * 100).toLocaleString('ru-RU', { maximumFractionDigits: 1 })} %`;
}

/** Seconds since the epoch of an RFC 3339 time (uPlot's x). */
export function secs(iso) {
    return Math.floor(new Date(iso).getTime() / 1000);
}

/**
 * uPlot columns of several series over a shared x: `lines` = [[{x, y}...], ...] (x in seconds).
 * Returns [xs, ys1, ys2...] with every x of any line, sorted, and null where a line lacks it.
 */
export function align(lines) {
    const xs = [...new Set(lines.flatMap((l) => l.map((p) => p.x)))].sort((a, b) => a - b);
    const cols = lines.map((l) => {
        const by = new Map(l.map((p) => [p.x, p.y]));
        return xs.map((x) => (by.has(x) ? by.get(x) : null));
    });
    return [xs, ...cols];
}

/** A query's start, `days` days before now, as RFC 3339. */
export function daysAgo(days) {
    return new Date(Date.now() - days * 86400000).toISOString();
}
