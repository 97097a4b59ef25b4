// quality.jsx - the quality dashboard (docs/console.md, "Quality"): the state of the base (GET
// /v1/reports/quality: completeness, validity, duplicates, freshness, verification) and who brings
// bad data (GET /v1/reports/quality/daily by channel, store and cashier: each group's junk rate
// day by day as a uPlot chart of its worst sources, and the ranked table of the worst).
import { useMemo, useState } from 'preact/hooks';
import { api, qs } from '../api.js';
import { Chart } from '../ui/chart.jsx';
import { Loaded, Title, useLoad, when } from '../ui/layout.jsx';
import { Table } from '../ui/table.jsx';
import { align, daysAgo, num, percent, secs } from '../ui/analytics.js';
import '../ui/analytics.css';

const FIELDS = {
    last_name: 'Фамилия', first_name: 'Имя', middle_name: 'Отчество', gender: 'Пол', birth_date: 'Дата рождения',
    email: 'E-mail', phone: 'Телефон', city: 'Город', address: 'Адрес',
};
const BY = [
    { by: 'channel', title: 'каналы' },
    { by: 'store', title: 'магазины' },
    { by: 'operator', title: 'кассиры' },
];
const CHANNELS = { pos: 'касса', web: 'сайт', app: 'приложение', qr_form: 'QR-анкета', tablet: 'планшет', import: 'импорт', call_center: 'колл-центр', paper: 'бумажная анкета' };

function sourceName(s) {
    if (s.operator !== undefined) {
        return `${s.operator || '—'} (${s.store || 'без магазина'})`;
    }
    return s.store !== undefined ? s.store : CHANNELS[s.channel] || s.channel;
}

function Overview({ rep }) {
    const fields = Object.entries(rep.completeness.fields).map(([k, v]) => ({ field: k, ...v, ...rep.validity[k] }));
    const d = rep.duplicates;
    const f = rep.freshness;
    return (
        <>
            <ul class="tiles" aria-label="Главное">
                <li>
                    <span class="figure">{num(rep.customers)}</span>
                    <span class="label">покупателей</span>
                </li>
                <li>
                    <span class="figure">{percent(rep.completeness.complete_profile.share)}</span>
                    <span class="label">полных анкет ({num(rep.completeness.complete_profile.count)})</span>
                </li>
                <li>
                    <span class="figure">{percent(rep.verification.phone.share)}</span>
                    <span class="label">телефонов подтверждено</span>
                </li>
                <li>
                    <span class="figure">{num(d.same_name_and_birth_date.customers)}</span>
                    <span class="label">возможных дублей (ФИО и дата рождения), групп {num(d.same_name_and_birth_date.groups)}</span>
                </li>
                <li>
                    <span class="figure">{num(d.shared_identifiers.open_pairs)}</span>
                    <span class="label">пар с общим телефоном, e-mail или картой</span>
                </li>
                <li>
                    <span class="figure">{num(f.not_updated_12_months)}</span>
                    <span class="label">анкет не обновлялись 12 месяцев (24: {num(f.not_updated_24_months)}, 36: {num(f.not_updated_36_months)})</span>
                </li>
            </ul>
            <Table
                caption="Заполненность и правильность полей"
                rows={fields}
                rowKey={(r) => r.field}
                columns={[
                    { key: 'field', title: 'Поле', render: (r) => FIELDS[r.field] || r.field },
                    { key: 'filled', title: 'Заполнено', num: true, render: (r) => num(r.filled) },
                    { key: 'share', title: 'Доля', num: true, render: (r) => percent(r.share) },
                    { key: 'ok', title: 'Верно', num: true, render: (r) => num(r.ok) },
                    { key: 'corrected', title: 'Исправлено', num: true, render: (r) => num(r.corrected) },
                    { key: 'suspicious', title: 'Сомнительно', num: true, render: (r) => num(r.suspicious) },
                    { key: 'refused', title: 'Отклонено', num: true, render: (r) => num(r.refused) },
                ]}
            />
        </>
    );
}

/** One grouping's chart of junk rate over time (its five worst sources) and its ranked table. */
function Sources({ by, title, days }) {
    const st = useLoad(() => api('GET', `/v1/reports/quality/daily${qs({ by, since: daysAgo(days), limit: 10 })}`), [by, days]);
    const chart = useMemo(() => {
        const src = ((st.data && st.data.sources) || []).slice(0, 5);
        if (!src.length) {
            return null;
        }
        return {
            data: align(src.map((s) => s.series.map((p) => ({ x: secs(p.since), y: Math.round(p.junk_rate * 1000) / 10 })))),
            series: src.map(sourceName),
        };
    }, [st.data]);
    return (
        <section class="panel" aria-labelledby={`q-${by}`}>
            <h2 id={`q-${by}`}>Худшие {title}</h2>
            <Loaded state={st} what={title}>
                {(d) => (
                    <>
                        {chart ? (
                            <Chart
                                title={`Доля мусора по дням, %: ${title}`}
                                data={chart.data}
                                series={chart.series}
                                describe={`Доля сомнительных и неверных значений по дням для ${chart.series.length} худших: ${chart.series.join(', ')}`}
                            />
                        ) : (
                            <p class="muted">За период данных нет.</p>
                        )}
                        <Table
                            caption={`Кто приносит плохие данные: ${title} (из ${num(d.count)})`}
                            rows={d.sources}
                            columns={[
                                { key: 'name', title: 'Источник', render: sourceName },
                                { key: 'requests', title: 'Запросов', num: true, render: (r) => num(r.requests) },
                                { key: 'junk_rate', title: 'Мусор', num: true, render: (r) => <span class={r.junk_rate >= 0.2 ? 'bad' : undefined}>{percent(r.junk_rate)}</span> },
                                { key: 'error_rate', title: 'Отказы', num: true, render: (r) => percent(r.error_rate) },
                                { key: 'corrected', title: 'Исправлено', num: true, render: (r) => num(r.corrected) },
                            ]}
                            empty="За период источников с заметным числом запросов нет"
                        />
                    </>
                )}
            </Loaded>
        </section>
    );
}

export default function Quality() {
    const rep = useLoad(() => api('GET', '/v1/reports/quality'), []);
    const [days, setDays] = useState(30);
    return (
        <>
            <Title sub={rep.data ? `На ${when(rep.data.generated_at)}` : null}>Качество данных</Title>
            <Loaded state={rep} what="отчёт о качестве">
                {(r) => <Overview rep={r} />}
            </Loaded>
            <h2>Кто приносит плохие данные</h2>
            <div class="tabs" role="group" aria-label="Период">
                {[7, 30, 90].map((n) => (
                    <button type="button" aria-pressed={days === n ? 'true' : 'false'} onClick={() => setDays(n)}>
                        {n} дней
                    </button>
                ))}
            </div>
            <p class="muted">
                Мусор — доля сомнительных и неверных значений среди принятых; отказы — доля запросов, отклонённых целиком. Магазины и кассиры с менее чем 20 запросами за период не ранжируются.
            </p>
            <div class="panels">
                {BY.map((b) => (
                    <Sources by={b.by} title={b.title} days={days} />
                ))}
            </div>
        </>
    );
}
