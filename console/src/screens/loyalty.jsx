// loyalty.jsx - the loyalty programme (docs/console.md, "Loyalty"): the liability in roubles now,
// points issued, spent and expired over time and the liability's course (GET
// /v1/reports/loyalty?series=day|week, two uPlot charts), and the programme's main rules (GET and
// PUT /v1/loyalty/program: a PUT publishes a new version; what the form does not show is kept).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, qs } from '../api.js';
import { Chart } from '../ui/chart.jsx';
import { Field, Form, fieldError, formError } from '../ui/form.jsx';
import { Loaded, Title, useLoad, when } from '../ui/layout.jsx';
import { daysAgo, num, percent, roubles, secs } from '../ui/analytics.js';
import '../ui/analytics.css';

function Figures({ rep }) {
    return (
        <ul class="tiles" aria-label="Главное">
            <li>
                <span class="figure" id="liability">{roubles(rep.liability)}</span>
                <span class="label">обязательства по баллам ({num(rep.points.outstanding)} баллов)</span>
            </li>
            <li>
                <span class="figure">{num(rep.points.earned + rep.points.bonus)}</span>
                <span class="label">баллов начислено за период (бонусами {num(rep.points.bonus)})</span>
            </li>
            <li>
                <span class="figure">{num(rep.points.spent)}</span>
                <span class="label">баллов списано</span>
            </li>
            <li>
                <span class="figure">{num(rep.points.expired)}</span>
                <span class="label">баллов сгорело</span>
            </li>
            <li>
                <span class="figure">{percent(rep.receipts.share_with_customer)}</span>
                <span class="label">чеков с покупателем ({num(rep.receipts.with_customer)} из {num(rep.receipts.count)})</span>
            </li>
        </ul>
    );
}

function Charts({ series }) {
    const moves = useMemo(() => [series.map((p) => secs(p.since)), series.map((p) => p.issued), series.map((p) => p.spent), series.map((p) => p.expired)], [series]);
    const debt = useMemo(() => [series.map((p) => secs(p.since)), series.map((p) => p.liability / 100)], [series]);
    const movesNames = useMemo(() => ['Начислено', 'Списано', 'Сгорело'], []);
    const debtNames = useMemo(() => ['Обязательства, ₽'], []);
    const last = series[series.length - 1];
    return (
        <div class="panels">
            <section class="panel" aria-labelledby="l-moves">
                <h2 id="l-moves">Баллы во времени</h2>
                <Chart title="Начислено, списано и сгорело баллов" data={moves} series={movesNames} describe={`Баллы за ${series.length} периодов`} />
            </section>
            <section class="panel" aria-labelledby="l-debt">
                <h2 id="l-debt">Обязательства во времени</h2>
                <Chart title="Обязательства в рублях на конец периода" data={debt} series={debtNames} describe={`Обязательства на конец последнего периода: ${roubles(last ? last.liability : 0)}`} />
            </section>
        </div>
    );
}

const RULES = [
    { key: 'percent', label: 'Начисление, % от покупки', get: (r) => r.earn.percent_bp / 100, set: (r, v) => (r.earn.percent_bp = Math.round(v * 100)) },
    { key: 'hold_days', label: 'Баллы доступны через, дней', get: (r) => r.hold_days, set: (r, v) => (r.hold_days = v) },
    { key: 'expiry_months', label: 'Сгорают через, месяцев (0 — никогда)', get: (r) => r.expiry_months, set: (r, v) => (r.expiry_months = v) },
    { key: 'kopecks_per_point', label: 'Стоимость балла, копеек', get: (r) => r.spend.kopecks_per_point, set: (r, v) => (r.spend.kopecks_per_point = v) },
    { key: 'max_percent', label: 'Оплата баллами, не больше % чека', get: (r) => r.spend.max_percent, set: (r, v) => (r.spend.max_percent = v) },
    { key: 'welcome', label: 'Приветственный бонус, баллов', get: (r) => r.bonuses.welcome, set: (r, v) => (r.bonuses.welcome = v) },
];
const FIELD_OF = { percent: 'earn.percent_bp', hold_days: 'hold_days', expiry_months: 'expiry_months', kopecks_per_point: 'spend.kopecks_per_point', max_percent: 'spend.max_percent', welcome: 'bonuses.welcome' };

function Program() {
    const st = useLoad(() => api('GET', '/v1/loyalty/program'), []);
    const [vals, setVals] = useState({});
    const [err, setErr] = useState(null);
    const [busy, setBusy] = useState(false);
    const [done, setDone] = useState(null);
    useEffect(() => {
        if (st.data) {
            setVals(Object.fromEntries(RULES.map((f) => [f.key, String(f.get(st.data.rules) ?? '')])));
        }
    }, [st.data]);
    const save = async () => {
        setBusy(true);
        setErr(null);
        setDone(null);
        try {
            const rules = JSON.parse(JSON.stringify(st.data.rules));
            for (const f of RULES) {
                f.set(rules, Number(vals[f.key]));
            }
            const r = await api('PUT', '/v1/loyalty/program', rules);
            // the form is filled again from the version read back before it says so: a reload
            // landing later overwrote what was typed after the message (the browser test's race)
            await st.reload();
            setDone(`Опубликована версия ${r.version}`);
        } catch (e) {
            setErr(e);
        } finally {
            setBusy(false);
        }
    };
    return (
        <section aria-labelledby="l-rules">
            <h2 id="l-rules">Правила программы</h2>
            <Loaded state={st} what="правила">
                {(p) => (
                    <Form label="Правила программы" onSubmit={save} busy={busy} submit="Опубликовать" error={formError(err, Object.values(FIELD_OF))}>
                        <p class="muted">
                            Версия {p.version || 'по умолчанию'}
                            {p.published_at ? `, опубликована ${when(p.published_at)}` : ''}. Сохранение публикует новую версию: прошлые чеки остаются по своей.
                        </p>
                        <div class="panels">
                            {RULES.map((f) => (
                                <Field label={f.label} name={f.key} type="number" value={vals[f.key] ?? ''} onInput={(v) => setVals({ ...vals, [f.key]: v })} error={fieldError(err, FIELD_OF[f.key])} />
                            ))}
                        </div>
                        {done ? <p role="status">{done}</p> : null}
                    </Form>
                )}
            </Loaded>
        </section>
    );
}

export default function Loyalty() {
    const [step, setStep] = useState('day');
    const days = step === 'day' ? 90 : 364;
    const rep = useLoad(() => api('GET', `/v1/reports/loyalty${qs({ series: step, since: daysAgo(days) })}`), [step]);
    return (
        <>
            <Title sub={`За последние ${days} дней`}>Лояльность</Title>
            <div class="tabs" role="group" aria-label="Шаг графиков">
                <button type="button" aria-pressed={step === 'day' ? 'true' : 'false'} onClick={() => setStep('day')}>
                    По дням
                </button>
                <button type="button" aria-pressed={step === 'week' ? 'true' : 'false'} onClick={() => setStep('week')}>
                    По неделям
                </button>
            </div>
            <Loaded state={rep} what="отчёт программы">
                {(r) => (
                    <>
                        <Figures rep={r} />
                        <Charts series={r.series} />
                    </>
                )}
            </Loaded>
            <Program />
        </>
    );
}
