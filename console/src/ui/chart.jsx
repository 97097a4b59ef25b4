// chart.jsx - a uPlot chart (https://github.com/leeoniya/uPlot): `data` is uPlot's columns
// ([xs, ys1, ys2...], x in seconds), `series` the labels of the y columns. The chart has a text
// alternative: its title as the figure's caption and `describe` (or the title) as the image's
// name; give the numbers in a Table beside it when they matter. The plot is made again when
// `data` or `series` change identity: pass constants or useMemo'd arrays, not literals.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLORS = ['#1f5fa8', '#c0392b', '#2e8b57', '#8e44ad', '#d35400'];

export function Chart({ title, data, series, height = 240, time = true, describe }) {
    const box = useRef(null);
    useEffect(() => {
        const el = box.current;
        if (!el || !data || data.length < 2) {
            return undefined;
        }
        const opts = {
            width: Math.max(el.clientWidth, 300),
            height,
            scales: { x: { time } },
            series: [{}, ...series.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2 }))],
        };
        const plot = new uPlot(opts, data, el);
        const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 300), height }));
        ro.observe(el);
        return () => {
            ro.disconnect();
            plot.destroy();
        };
    }, [data, series, height, time]);
    return (
        <figure class="chart">
            <figcaption>{title}</figcaption>
            <div ref={box} role="img" aria-label={describe || title} />
        </figure>
    );
}
