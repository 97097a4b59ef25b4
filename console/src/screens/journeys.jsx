// journeys.jsx - journeys (docs/console.md, "Journeys"): the list, a journey's document edited
// as JSON (each PUT a new version, checked whole by the server), its moves (start, pause,
// archive) and its report (GET /v1/reports/journeys/{key}): runs, the steps' funnel, uplift.
import { useState } from 'preact/hooks';

import { api } from '../api.js';
import { Funnel } from '../ui/funnel.jsx';
import { ErrorBox, Loaded, Title, useLoad, when } from '../ui/layout.jsx';
import { ErrorNote, Moves, rub, seg, useAction } from '../ui/messaging.js';
import '../ui/screens.css';
import { Table } from '../ui/table.jsx';
import { Link, navigate } from '../router.js';

const STATES = { draft: 'черновик', active: 'работает', paused: 'на паузе', archived: 'в архиве' };
const MOVES = {
    draft: [['start', 'Запустить'], ['archive', 'В архив']],
    active: [['pause', 'Приостановить'], ['archive', 'В архив']],
    paused: [['start', 'Запустить'], ['archive', 'В архив']],
    archived: [],
};

const EXAMPLE = {
    name: 'Новое путешествие',
    entry: { event: { type: 'cart_add' } },
    steps: [{ id: 'wait-1h', wait: { hours: 1 } },
            { id: 'remind', send: { template: 'cart-reminder', topic: 'promo' } }],
};

function Editor({ journey, onSaved }) {
    const [key, setKey] = useState(journey?.key || '');
    const [text, setText] = useState(JSON.stringify(journey?.document || EXAMPLE, null, 2));
    const save = useAction();
    const submit = (e) => {
        e.preventDefault();
        save.run(async () => {
            let doc;
            try {
                doc = JSON.parse(text);
            } catch (err) {
                throw Object.assign(new Error(`не JSON: ${err.message}`), { code: 'bad_json' });
            }
            onSaved(await api('PUT', `/v1/journeys/${seg(key)}`, doc));
        });
    };
    return (
        <form onSubmit={submit} aria-labelledby="journey-edit-h">
            <h2 id="journey-edit-h">{journey ? `Новая версия ${journey.key}` : 'Новое путешествие'}</h2>
            {!journey && (
                <label class="kt-row">Ключ
                    <input name="key" required pattern="[a-z0-9_\-]{1,64}" value={key}
                           onInput={(e) => setKey(e.currentTarget.value)} />
                </label>
            )}
            <label>Документ (docs/journeys.md)
                <textarea class="kt-json" name="document" value={text} spellcheck={false}
                          onInput={(e) => setText(e.currentTarget.value)} />
            </label>
            <button type="submit" disabled={save.busy}>Сохранить</button>
            <ErrorNote error={save.error} />
        </form>
    );
}

function Report({ jkey, steps }) {
    const [days, setDays] = useState(7);
    const r = useLoad(() => api('GET', `/v1/reports/journeys/${seg(jkey)}?window_days=${days}`),
                      [jkey, days]);
    if (r.error) {
        return <ErrorNote error={r.error} />;
    }
    if (!r.data) {
        return <p>Загрузка отчёта…</p>;
    }
    const d = r.data;
    // The funnel: the runs that entered, then each of the document's steps in its order with
    // the runs that reached it (the report's rows of the step, every outcome summed); a step no
    // run reached yet shows 0, so the funnel has the journey's shape from its start.
    const reached = {};
    for (const s of d.steps) {
        reached[s.step] = (reached[s.step] || 0) + s.count;
    }
    const stages = [{ label: 'Вошли', value: d.runs.entered || 0 },
                    ...(steps || []).map((s) => ({ label: s.id, value: reached[s.id] || 0 }))];
    const u = d.uplift;
    const revenue = d.steps.reduce((a, s) => a + (s.revenue || 0), 0);
    return (
        <section aria-labelledby="jreport-h">
            <h3 id="jreport-h">Отчёт, версия {d.version}</h3>
            <label class="kt-row">Окно, дней
                <input type="number" min="1" max="90" value={days}
                       onChange={(e) => setDays(Number(e.currentTarget.value) || 7)} />
            </label>
            <p>Вошли {d.runs.entered}, контроль {d.runs.control}, идут {d.runs.active},
                ждут {d.runs.waiting}, закончили {d.runs.done}, вышли {d.runs.exited}.</p>
            <Funnel title="Воронка по шагам" stages={stages} />
            <p>Выручка по сообщениям: <b>{rub(revenue)}</b></p>
            {u ? (
                <p>Прирост на клиента: {rub(u.difference)} (95%: {rub(u.difference_low)} …
                    {' '}{rub(u.difference_high)})</p>
            ) : <p>Прирост: нет контрольной группы.</p>}
        </section>
    );
}

function Journey({ jkey, onChanged }) {
    const j = useLoad(() => api('GET', `/v1/journeys/${seg(jkey)}`), [jkey]);
    const [editing, setEditing] = useState(false);
    const reload = () => {
        j.reload();
        onChanged();
    };
    return <Loaded state={j} what="путешествие">{(d) => (
        <section aria-labelledby="journey-h">
            <h2 id="journey-h">{d.name} ({d.key})</h2>
            <p>Состояние: <b data-testid="journey-state">{STATES[d.state] || d.state}</b>;
                версия {d.version}, работает версия {d.live_version ?? '—'}; запущено
                {' '}{when(d.started_at)}</p>
            <Moves base={`/v1/journeys/${seg(jkey)}`} moves={MOVES[d.state]} done={reload}>
                {d.state !== 'archived' && (
                    <button type="button" onClick={() => setEditing(!editing)}>Изменить</button>
                )}
            </Moves>
            {editing && <Editor journey={d} onSaved={() => { setEditing(false); reload(); }} />}
            {d.live_version && <Report jkey={jkey} steps={d.document?.steps} />}
        </section>
    )}</Loaded>;
}

/** The journey the address names: /journeys/<key>, /journeys/new for a new one. */
export default function Journeys({ sub }) {
    const chosen = sub && sub.length > 1 ? decodeURIComponent(sub.slice(1)) : null;
    const list = useLoad(() => api('GET', '/v1/journeys'), []);
    return (
        <section>
            <Title>Путешествия</Title>
            <ErrorBox error={list.error} retry={list.reload} />
            <p><Link to="/journeys/new">Новое путешествие</Link></p>
            <Table caption="Путешествия" hideCaption rows={list.data?.items || []}
                   rowKey={(j) => j.key} empty="Путешествий ещё нет" columns={[
                { title: 'Ключ', render: (j) => <Link to={`/journeys/${seg(j.key)}`}>{j.key}</Link> },
                { key: 'name', title: 'Название' },
                { title: 'Состояние', render: (j) => STATES[j.state] || j.state },
                { key: 'version', title: 'Версия', num: true },
                { title: 'Изменено', render: (j) => when(j.updated_at) },
            ]} />
            {chosen === 'new' && <Editor journey={null} onSaved={(j) => {
                list.reload();
                navigate(`/journeys/${seg(j.key)}`);
            }} />}
            {chosen && chosen !== 'new' && (
                <Journey key={chosen} jkey={chosen} onChanged={list.reload} />
            )}
        </section>
    );
}
