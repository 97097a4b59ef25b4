// customer360.jsx - a customer's page (/customers/{id}): the profile with each field's quality and
// where it came from (the newest change of the field in the history: channel, store, cashier),
// identifiers, consents with their evidence, points with the ledger and the next expiry,
// purchases, events, traits and segments, messages with their state and reason, the history of
// changes; and the merge of another customer into this one, after a confirmation. Each panel reads its own route, so a
// role the API refuses one of them still sees the others ("Нет доступа к этим данным").
import { useMemo, useState } from 'preact/hooks';
import { api, qs } from '../api.js';
import { Field, Form, fieldError, formError } from '../ui/form.jsx';
import { ErrorBox, Loaded, Loading, Title, rub, useLoad, when } from '../ui/layout.jsx';
import { Chart } from '../ui/chart.jsx';
import { Table } from '../ui/table.jsx';
import { displayName } from './customer_common.js';

const FIELDS = [
    ['last_name', 'Фамилия'],
    ['first_name', 'Имя'],
    ['middle_name', 'Отчество'],
    ['gender', 'Пол'],
    ['birth_date', 'Дата рождения'],
    ['phone', 'Телефон'],
    ['email', 'E-mail'],
    ['city', 'Город'],
    ['address', 'Адрес'],
];

const QUALITY = { ok: 'в порядке', corrected: 'исправлено', suspicious: 'сомнительно' };
const CONSENT_STATE = {
    given: 'дано',
    not_given: 'не дано',
    withdrawn: 'отозвано',
    expired: 'истекло',
    outdated: 'устаревший документ',
    pending: 'ожидает',
};
const CONSENT_ACTION = { grant: 'дано', withdraw: 'отозвано', pending: 'ожидает' };
const MSG_STATE = {
    queued: 'в очереди',
    sending: 'отправляется',
    sent: 'отправлено',
    delivered: 'доставлено',
    bounced: 'не доставлено',
    failed: 'ошибка',
    suppressed: 'не отправлено',
    capped: 'отложено лимитом',
};

/** "channel, магазин store, кассир operator" of a history entry's or evidence's source. */
export function provenance(src) {
    if (!src) {
        return '—';
    }
    const parts = [];
    if (src.channel) {
        parts.push(src.channel);
    }
    if (src.store) {
        parts.push(`магазин ${src.store}`);
    }
    if (src.operator) {
        parts.push(`кассир ${src.operator}`);
    }
    return parts.length ? parts.join(', ') : '—';
}

function text(v) {
    if (v === null || v === undefined) {
        return '—';
    }
    return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Every page of a list route (?limit=&cursor=), up to `pages` pages. */
async function allPages(path, pages = 10) {
    let items = [];
    let cursor = null;
    for (let i = 0; i < pages; i++) {
        const r = await api('GET', `${path}${qs({ limit: 200, cursor })}`);
        items = items.concat(r.items || []);
        cursor = r.next_cursor;
        if (!cursor) {
            break;
        }
    }
    return items;
}

function Panel({ id, title, children }) {
    return (
        <section class="panel" aria-labelledby={id}>
            <h2 id={id}>{title}</h2>
            {children}
        </section>
    );
}

function Profile({ customer, history }) {
    // Oldest first: the last change of a field wins; the first values of a customer are one
    // entry of field "customer" (its new_value the document of profile, identifiers...).
    const latest = {};
    for (const h of history || []) {
        if (h.field === 'customer' && h.new_value && h.new_value.profile) {
            Object.keys(h.new_value.profile).forEach((k) => (latest[k] = h));
        } else {
            latest[(h.field || '').replace(/^profile\./, '')] = h;
        }
    }
    const p = customer.profile || {};
    const q = customer.quality || {};
    const rows = FIELDS.filter(([k]) => p[k] !== undefined && p[k] !== null).map(([k, label]) => ({ k, label }));
    return (
        <Table
            caption="Профиль"
            hideCaption
            empty="Профиль пуст"
            rowKey={(r) => r.k}
            columns={[
                { title: 'Поле', key: 'label' },
                { title: 'Значение', render: (r) => text(p[r.k]) + (r.k === 'gender' && customer.gender_inferred ? ' (по имени)' : '') },
                { title: 'Качество', render: (r) => QUALITY[q[r.k]] || q[r.k] || '—' },
                {
                    title: 'Источник',
                    render: (r) =>
                        latest[r.k] ? `${provenance(latest[r.k].source)}, ${when(latest[r.k].at)}` : history ? '—' : 'нет доступа к истории',
                },
                { title: 'Подтверждено', render: (r) => ((customer.verified || []).includes(r.k) ? 'да' : '—') },
            ]}
            rows={rows}
        />
    );
}

function Evidence({ id }) {
    const ev = useLoad(() => api('GET', `/v1/customers/${id}/consents/evidence`), [id]);
    return (
        <Loaded state={ev} what="доказательства" inline>
            {(d) => (
                <Table
                    caption="Доказательства согласий (события)"
                    empty="Событий нет"
                    columns={[
                        { title: 'Когда', render: (e) => when(e.at) },
                        { title: 'Цель', render: (e) => e.purpose + (e.channel ? ` (${e.channel})` : '') },
                        { title: 'Действие', render: (e) => CONSENT_ACTION[e.action] || e.action },
                        { title: 'Документ', render: (e) => (e.document ? `${e.document.name} v${e.document.version}` : '—') },
                        { title: 'Источник', render: (e) => e.source || '—' },
                        {
                            title: 'Доказательство',
                            render: (e) =>
                                Object.entries(e.evidence || {})
                                    .map(([k, v]) => `${k}: ${text(v)}`)
                                    .join('; ') || '—',
                        },
                    ]}
                    rows={d.events || []}
                />
            )}
        </Loaded>
    );
}

function Consents({ id }) {
    const st = useLoad(() => api('GET', `/v1/customers/${id}/consents`), [id]);
    const [show, setShow] = useState(false);
    return (
        <Loaded state={st} what="согласия" inline>
            {(d) => (
                <>
                    <Table
                        caption="Согласия по целям"
                        empty="Согласий нет"
                        columns={[
                            { title: 'Цель', render: (c) => c.purpose + (c.channel ? ` (${c.channel})` : '') },
                            { title: 'Состояние', render: (c) => CONSENT_STATE[c.state] || c.state },
                            { title: 'С', render: (c) => when(c.since) },
                            { title: 'Документ', key: 'document' },
                            { title: 'До', render: (c) => when(c.expires_at) },
                        ]}
                        rows={d.items || []}
                    />
                    {d.consent_pending ? <p class="notice">Согласие ожидается: данные хранятся до его получения.</p> : null}
                    <button type="button" class="secondary" aria-expanded={show ? 'true' : 'false'} onClick={() => setShow(!show)}>
                        {show ? 'Скрыть доказательства' : 'Показать доказательства'}
                    </button>
                    {show ? <Evidence id={id} /> : null}
                </>
            )}
        </Loaded>
    );
}

function Points({ id }) {
    const bal = useLoad(() => api('GET', `/v1/customers/${id}/points`), [id]);
    const led = useLoad(() => api('GET', `/v1/customers/${id}/points/history`), [id]);
    return (
        <>
            <Loaded state={bal} what="баланс" inline>
                {(b) => (
                    <dl class="props">
                        <dt>Доступно</dt>
                        <dd>{b.available}</dd>
                        <dt>Ожидают</dt>
                        <dd>{b.pending}</dd>
                        <dt>Долг</dt>
                        <dd>{b.debt}</dd>
                        <dt>Ближайшее сгорание</dt>
                        <dd>{b.next_expiry ? `${b.next_expiry.points} — ${when(b.next_expiry.at)}` : 'нет'}</dd>
                    </dl>
                )}
            </Loaded>
            <Loaded state={led} what="журнал баллов" inline>
                {(l) => (
                    <>
                    {(l.items || []).length >= 2 ? <BalanceChart items={l.items} /> : null}
                    <Table
                        caption="Журнал баллов"
                        empty="Записей нет"
                        columns={[
                            { title: 'Когда', render: (e) => when(e.at) },
                            { title: 'Вид', key: 'kind' },
                            { title: 'Баллы', key: 'points', num: true },
                            { title: 'Сгорают', render: (e) => when(e.expires_at) },
                            { title: 'Покупка / причина', render: (e) => e.purchase_id || e.reason || '—' },
                        ]}
                        rows={(l.items || []).slice().reverse()}
                    />
                    </>
                )}
            </Loaded>
        </>
    );
}

/** The running sum of the ledger's entries over time (oldest first, as the API lists them). */
function BalanceChart({ items }) {
    const [data, sum] = useMemo(() => {
        const xs = [];
        const ys = [];
        let total = 0;
        for (const e of items) {
            total += e.points;
            xs.push(new Date(e.at).getTime() / 1000);
            ys.push(total);
        }
        return [[xs, ys], total];
    }, [items]);
    return (
        <Chart
            title="Баллы по журналу"
            describe={`Сумма записей журнала баллов во времени; сейчас ${sum}`}
            data={data}
            series={SERIES}
            height={160}
        />
    );
}

const SERIES = ['Баллы'];

function ListPanel({ id, path, what, caption, columns, empty }) {
    const st = useLoad(() => api('GET', `/v1/customers/${id}/${path}${qs({ limit: 50 })}`), [id, path]);
    return (
        <Loaded state={st} what={what} inline>
            {(d) => <Table caption={caption} hideCaption empty={empty} columns={columns} rows={d.items || []} />}
        </Loaded>
    );
}

function TraitsSegments({ id }) {
    const tr = useLoad(() => api('GET', `/v1/customers/${id}/traits`), [id]);
    const sg = useLoad(() => api('GET', `/v1/customers/${id}/segments`), [id]);
    return (
        <>
            <Loaded state={tr} what="признаки" inline>
                {(d) => (
                    <Table
                        caption="Вычисленные признаки"
                        empty="Признаков нет"
                        columns={[
                            { title: 'Признак', key: 'name' },
                            { title: 'Значение', key: 'value' },
                            { title: 'Вычислен', render: (t) => when(t.computed_at) },
                        ]}
                        rows={d.items || []}
                    />
                )}
            </Loaded>
            <Loaded state={sg} what="сегменты" inline>
                {(d) => (
                    <Table
                        caption="Сегменты"
                        empty="Ни в одном сегменте"
                        columns={[
                            { title: 'Сегмент', key: 'name' },
                            { title: 'С', render: (x) => when(x.entered_at) },
                        ]}
                        rows={d.items || []}
                    />
                )}
            </Loaded>
        </>
    );
}

function Merge({ id, onMerged }) {
    const [from, setFrom] = useState('');
    const [confirm, setConfirm] = useState(false);
    const [err, setErr] = useState(null);
    const [busy, setBusy] = useState(false);
    const [done, setDone] = useState(null);
    const doMerge = async () => {
        setBusy(true);
        setErr(null);
        try {
            await api('POST', `/v1/customers/${id}/merge`, { from: from.trim() });
            setDone(from.trim());
            setFrom('');
            setConfirm(false);
            onMerged();
        } catch (e) {
            setErr(e);
            setConfirm(false);
        } finally {
            setBusy(false);
        }
    };
    if (confirm) {
        return (
            <div role="alertdialog" aria-labelledby="merge-q" class="notice">
                <p id="merge-q">
                    Присоединить покупателя {from.trim()} к этому покупателю? Его идентификаторы, покупки, баллы и согласия перейдут сюда;
                    отменить это нельзя.
                </p>
                <button type="button" class="danger" onClick={doMerge} disabled={busy}>
                    Да, объединить
                </button>{' '}
                <button type="button" class="secondary" onClick={() => setConfirm(false)}>
                    Отмена
                </button>
            </div>
        );
    }
    return (
        <>
            {done ? (
                <p role="status">Покупатель {done} присоединён.</p>
            ) : null}
            <Form label="Объединение" onSubmit={() => setConfirm(true)} busy={busy} submit="Объединить..." error={formError(err, ['from'])}>
                <Field
                    label="ID покупателя, которого присоединить"
                    name="from"
                    value={from}
                    onInput={setFrom}
                    hint="c_... - дубль, который исчезнет"
                    required
                    pattern="c_[0-9a-z]+"
                    error={fieldError(err, 'from')}
                />
            </Form>
        </>
    );
}

export default function Customer360({ id, session }) {
    const cust = useLoad(() => api('GET', `/v1/customers/${id}`), [id]);
    const hist = useLoad(() => allPages(`/v1/customers/${id}/history`), [id]);
    if (cust.error) {
        if (cust.error.status === 404) {
            return (
                <section aria-labelledby="nf">
                    <h1 id="nf">Покупатель не найден</h1>
                    <p>Такого покупателя нет{session.user.stores ? ' в ваших магазинах' : ''}.</p>
                </section>
            );
        }
        return <ErrorBox error={cust.error} retry={cust.reload} />;
    }
    if (!cust.data) {
        return <Loading what="покупатель" />;
    }
    const c = cust.data;
    const name = displayName(c);
    const canMerge = session.user.role === 'admin' || session.user.role === 'marketer';
    return (
        <>
            <Title sub={`${c.id}; создан ${when(c.created_at)}, изменён ${when(c.updated_at)}`}>{name}</Title>
            {c.erased_at ? <p class="notice">Данные покупателя обезличены {when(c.erased_at)}.</p> : null}
            {c.block ? <p class="notice">Обработка данных заблокирована на время проверки.</p> : null}
            {c.merged_from && c.merged_from.length ? <p class="muted">Присоединены: {c.merged_from.join(', ')}</p> : null}
            <div class="panels">
                <Panel id="p-profile" title="Профиль">
                    <Profile customer={c} history={hist.error ? null : hist.data} />
                </Panel>
                <Panel id="p-ids" title="Идентификаторы">
                    <Table
                        caption="Идентификаторы"
                        hideCaption
                        empty="Нет"
                        columns={[
                            { title: 'Вид', render: (i) => i.kind + (i.system ? ` (${i.system})` : '') },
                            { title: 'Значение', key: 'value' },
                            { title: 'Подтверждён', render: (i) => (i.verified ? 'да' : 'нет') },
                            { title: 'Канал', key: 'channel' },
                            { title: 'Добавлен', render: (i) => when(i.added_at) },
                        ]}
                        rows={c.identifiers || []}
                    />
                </Panel>
                <Panel id="p-consents" title="Согласия">
                    <Consents id={id} />
                </Panel>
                <Panel id="p-points" title="Баллы">
                    <Points id={id} />
                </Panel>
                <Panel id="p-traits" title="Признаки и сегменты">
                    <TraitsSegments id={id} />
                </Panel>
                <Panel id="p-purchases" title="Покупки">
                    <ListPanel
                        id={id}
                        path="purchases"
                        what="покупки"
                        caption="Покупки"
                        empty="Покупок нет"
                        columns={[
                            { title: 'Когда', render: (p) => when(p.at) },
                            { title: 'Магазин', key: 'store' },
                            { title: 'Чек', key: 'receipt' },
                            { title: 'Сумма', render: (p) => rub(p.total), num: true },
                            { title: 'Начислено', key: 'points_earned', num: true },
                            { title: 'Списано', key: 'points_spent', num: true },
                        ]}
                    />
                </Panel>
                <Panel id="p-events" title="События">
                    <ListPanel
                        id={id}
                        path="events"
                        what="события"
                        caption="События"
                        empty="Событий нет"
                        columns={[
                            { title: 'Когда', render: (e) => when(e.at) },
                            { title: 'Тип', key: 'type' },
                            { title: 'Канал', key: 'channel' },
                            { title: 'Свойства', render: (e) => text(e.properties) },
                        ]}
                    />
                </Panel>
                <Panel id="p-messages" title="Сообщения">
                    <ListPanel
                        id={id}
                        path="messages"
                        what="сообщения"
                        caption="Сообщения"
                        empty="Сообщений нет"
                        columns={[
                            { title: 'Создано', render: (m) => when(m.created_at) },
                            { title: 'Канал', key: 'channel' },
                            { title: 'Тема', render: (m) => m.topic || (m.transactional ? 'сервисное' : '—') },
                            { title: 'Состояние', render: (m) => MSG_STATE[m.state] || m.state },
                            { title: 'Причина', render: (m) => m.reason || '—' },
                            { title: 'Отправлено', render: (m) => when(m.sent_at) },
                        ]}
                    />
                </Panel>
            </div>
            <Panel id="p-history" title="История изменений">
                <Loaded state={hist} what="история" inline>
                    {(items) => (
                        <Table
                            caption="История изменений"
                            hideCaption
                            empty="Изменений нет"
                            columns={[
                                { title: 'Когда', render: (h) => when(h.at) },
                                { title: 'Поле', render: (h) => h.field || '—' },
                                { title: 'Действие', key: 'action' },
                                { title: 'Было', render: (h) => text(h.old_value) },
                                { title: 'Стало', render: (h) => text(h.new_value) },
                                { title: 'Источник', render: (h) => provenance(h.source) },
                            ]}
                            rows={items.slice().reverse()}
                        />
                    )}
                </Loaded>
            </Panel>
            {canMerge ? (
                <Panel id="p-merge" title="Объединить с дублем">
                    <Merge id={id} onMerged={() => { cust.reload(); hist.reload(); }} />
                </Panel>
            ) : null}
        </>
    );
}
