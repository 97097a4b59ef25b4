// campaigns.jsx - campaigns (docs/console.md, "Campaigns"): the list with their states, a new
// one (template, segment, channel, topic, control group, schedule), its moves (start, pause,
// resume, cancel) and its report (GET /v1/reports/campaigns/{id}): the funnel, revenue, uplift.
import { useState } from 'preact/hooks';

import { api } from '../api.js';
import { Funnel } from '../ui/funnel.jsx';
import { ErrorBox, Loaded, Title, useLoad, when } from '../ui/layout.jsx';
import { ErrorNote, Moves, rub, seg, useAction } from '../ui/messaging.js';
import '../ui/screens.css';
import { Table } from '../ui/table.jsx';
import { Link, navigate } from '../router.js';

export const STATES = {
    draft: 'черновик', scheduled: 'запланирована', running: 'идёт', paused: 'на паузе',
    done: 'завершена', cancelled: 'отменена',
};

/** The moves each state allows (docs/messages.md, "Campaigns"). */
const MOVES = {
    draft: [['start', 'Запустить']],
    scheduled: [['pause', 'Приостановить'], ['cancel', 'Отменить']],
    running: [['pause', 'Приостановить'], ['cancel', 'Отменить']],
    paused: [['resume', 'Продолжить'], ['cancel', 'Отменить']],
    done: [],
    cancelled: [],
};

function NewCampaign({ onCreated }) {
    const templates = useLoad(() => api('GET', '/v1/templates'), []);
    const segments = useLoad(() => api('GET', '/v1/segments'), []);
    const topics = useLoad(() => api('GET', '/v1/topics'), []);
    const [f, setF] = useState({ name: '', channel: 'email', template: '', segment: '',
                                 topic: '', control_percent: 0, scheduled_at: '' });
    const create = useAction();
    const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
    const ofChannel = (templates.data?.items || []).filter((t) => t.channel === f.channel);

    const submit = (e) => {
        e.preventDefault();
        create.run(async () => {
            const body = { name: f.name, channel: f.channel, topic: f.topic,
                           template: f.template, segment: f.segment,
                           control_percent: Number(f.control_percent) };
            if (f.scheduled_at) {
                body.scheduled_at = new Date(f.scheduled_at).toISOString();
            }
            onCreated(await api('POST', '/v1/campaigns', body));
        });
    };
    return (
        <form onSubmit={submit} aria-labelledby="new-campaign-h">
            <h2 id="new-campaign-h">Новая кампания</h2>
            <div class="kt-row">
                <label>Название
                    <input name="name" required maxLength={200} value={f.name}
                           onInput={set('name')} />
                </label>
                <label>Канал
                    <select name="channel" value={f.channel} onChange={set('channel')}>
                        <option value="email">e-mail</option>
                        <option value="push">push</option>
                    </select>
                </label>
                <label>Шаблон
                    <select name="template" required value={f.template} onChange={set('template')}>
                        <option value="">—</option>
                        {ofChannel.map((t) => <option key={t.name} value={t.name}>{t.name}</option>)}
                    </select>
                </label>
                <label>Сегмент
                    <select name="segment" required value={f.segment} onChange={set('segment')}>
                        <option value="">—</option>
                        {(segments.data?.items || []).map((s) => (
                            <option key={s.id} value={s.id}>{s.name}</option>
                        ))}
                    </select>
                </label>
                <label>Тема рассылки
                    <select name="topic" required value={f.topic} onChange={set('topic')}>
                        <option value="">—</option>
                        {(topics.data?.items || []).map((t) => (
                            <option key={t.name} value={t.name}>{t.title}</option>
                        ))}
                    </select>
                </label>
                <label>Контрольная группа, %
                    <input name="control_percent" type="number" min="0" max="90"
                           value={f.control_percent} onInput={set('control_percent')} />
                </label>
                <label>Начать в (пусто: при запуске)
                    <input name="scheduled_at" type="datetime-local" value={f.scheduled_at}
                           onInput={set('scheduled_at')} />
                </label>
            </div>
            <button type="submit" disabled={create.busy}>Создать черновик</button>
            <ErrorNote error={create.error || templates.error || segments.error || topics.error} />
        </form>
    );
}

function Report({ id }) {
    const r = useLoad(() => api('GET', `/v1/reports/campaigns/${seg(id)}`), [id]);
    if (r.error) {
        return <ErrorNote error={r.error} />;
    }
    if (!r.data) {
        return <p>Загрузка отчёта…</p>;
    }
    const t = r.data.totals;
    const u = r.data.uplift;
    return (
        <section aria-labelledby="report-h">
            <h3 id="report-h">Отчёт{r.data.final ? '' : ' (цифры ещё меняются)'}</h3>
            <button type="button" onClick={r.reload}>Обновить отчёт</button>
            <Funnel title="Воронка" stages={[
                { label: 'Отправлено', value: t.sent },
                { label: 'Доставлено', value: t.delivered },
                { label: 'Открыто', value: t.opened },
                { label: 'Переходы', value: t.clicked },
                { label: 'Покупки', value: t.converted },
            ]} />
            <p>В очереди {t.queued}, не отправлено политикой {t.suppressed}, лимитом {t.capped},
                ошибок {t.failed}, отписалось {t.unsubscribed}.</p>
            <p>Выручка по кампании: <b data-testid="revenue">{rub(t.revenue)}</b></p>
            {u ? (
                <p data-testid="uplift">Прирост на клиента: {rub(u.difference)} (95%:
                    {' '}{rub(u.difference_low)} … {rub(u.difference_high)}); получили
                    {' '}{u.treated_customers}, контроль {u.control_customers}.</p>
            ) : <p data-testid="uplift">Прирост: нет контрольной группы.</p>}
            <table>
                <caption>По группам</caption>
                <thead><tr><th scope="col">Группа</th><th scope="col">Участники</th>
                    <th scope="col">Отправлено</th><th scope="col">Покупатели</th>
                    <th scope="col">Выручка в окне</th></tr></thead>
                <tbody>
                    {r.data.groups.map((g) => (
                        <tr key={g.group}><td>{g.group}</td><td>{g.members}</td><td>{g.sent}</td>
                            <td>{g.buyers}</td><td>{rub(g.window_revenue)}</td></tr>
                    ))}
                </tbody>
            </table>
        </section>
    );
}

function Campaign({ id, onChanged }) {
    const c = useLoad(() => api('GET', `/v1/campaigns/${seg(id)}`), [id]);
    const reload = () => {
        c.reload();
        onChanged();
    };
    return <Loaded state={c} what="кампания">{(d) => (
        <section aria-labelledby="campaign-h">
            <h2 id="campaign-h">{d.name}</h2>
            <p>Состояние: <b data-testid="campaign-state">{STATES[d.state] || d.state}</b>;
                канал {d.channel}; тема {d.topic}; аудитория {d.audience ?? '—'}; в очереди
                {' '}{d.enqueued}; контроль {d.control}; начало {when(d.scheduled_at)}</p>
            <Moves base={`/v1/campaigns/${seg(id)}`} moves={MOVES[d.state]} done={reload}>
                <button type="button" onClick={reload}>Обновить</button>
            </Moves>
            {d.state !== 'draft' && <Report id={id} />}
        </section>
    )}</Loaded>;
}

/** The campaign the address names: /campaigns/<id>, /campaigns/new for a new one. */
export default function Campaigns({ sub }) {
    const chosen = sub && sub.length > 1 ? decodeURIComponent(sub.slice(1)) : null;
    const list = useLoad(() => api('GET', '/v1/campaigns?limit=100'), []);
    return (
        <section>
            <Title>Кампании</Title>
            <ErrorBox error={list.error} retry={list.reload} />
            <p><Link to="/campaigns/new">Новая кампания</Link></p>
            <Table caption="Кампании" hideCaption rows={list.data?.items || []}
                   rowKey={(c) => c.id} empty="Кампаний ещё нет" columns={[
                { title: 'Название',
                  render: (c) => <Link to={`/campaigns/${seg(c.id)}`}>{c.name}</Link> },
                { title: 'Состояние', render: (c) => STATES[c.state] || c.state },
                { key: 'channel', title: 'Канал' },
                { key: 'audience', title: 'Аудитория', num: true },
                { title: 'Создана', render: (c) => when(c.created_at) },
            ]} />
            {chosen === 'new' && (
                <NewCampaign onCreated={(c) => {
                    list.reload();
                    navigate(`/campaigns/${seg(c.id)}`);
                }} />
            )}
            {chosen && chosen !== 'new' && (
                <Campaign key={chosen} id={chosen} onChanged={list.reload} />
            )}
        </section>
    );
}
