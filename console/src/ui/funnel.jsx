// funnel.jsx - a funnel as SVG bars (campaigns' and journeys' reports): one bar per stage, its
// width the stage's share of the first (or largest) stage, the count and the share written
// beside it. role="img" with the whole funnel in its label, and the same figures in a table for
// a screen reader.
import './screens.css';

export function Funnel({ title, stages }) {
    const max = Math.max(1, ...stages.map((s) => s.value || 0));
    const rowH = 28;
    const labelW = 150;
    const barW = 420;
    const height = stages.length * rowH + 4;
    const label = `${title}: ${stages.map((s) => `${s.label} ${s.value}`).join(', ')}`;
    return (
        <figure class="kt-funnel">
            <figcaption>{title}</figcaption>
            <svg role="img" aria-label={label} viewBox={`0 0 ${labelW + barW + 120} ${height}`}
                 width="100%" preserveAspectRatio="xMinYMin meet">
                {stages.map((s, i) => {
                    const w = Math.round(((s.value || 0) / max) * barW);
                    const y = i * rowH + 2;
                    const share = max ? Math.round(((s.value || 0) * 100) / max) : 0;
                    return (
                        <g key={s.label}>
                            <text x={labelW - 8} y={y + 18} text-anchor="end"
                                  class="kt-funnel-label">{s.label}</text>
                            <rect x={labelW} y={y} width={Math.max(w, 1)} height={rowH - 6}
                                  class="kt-funnel-bar" />
                            <text x={labelW + Math.max(w, 1) + 6} y={y + 18}
                                  class="kt-funnel-value">{`${s.value} (${share}%)`}</text>
                        </g>
                    );
                })}
            </svg>
            <table class="sr-only">
                <caption>{title}</caption>
                <tbody>
                    {stages.map((s) => (
                        <tr key={s.label}><th scope="row">{s.label}</th><td>{s.value}</td></tr>
                    ))}
                </tbody>
            </table>
        </figure>
    );
}
