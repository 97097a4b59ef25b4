// templates.jsx - message templates (docs/console.md, "Templates"): the list, a template's
// editor (a PUT is a new version), its preview rendered for a chosen customer
// (POST /v1/templates/{name}/preview) and a test send to an address (POST .../test).
import { useState } from 'preact/hooks';

import { api } from '../api.js';
import { ErrorBox, Title, useLoad, when } from '../ui/layout.jsx';
import { ErrorNote, seg, useAction } from '../ui/messaging.js';
import '../ui/screens.css';
import { Table } from '../ui/table.jsx';
import { Link, navigate } from '../router.js';

const PARTS = {
    email: [['subject', 'Тема', false], ['text', 'Текст', true], ['html', 'HTML', true]],
    sms: [['text', 'Текст SMS', true]],
    push: [['title', 'Заголовок', false], ['body', 'Текст', true]],
};

/** The customer's id from what the marketer typed: an e-mail, a phone or the id itself. */
export async function findCustomer(text) {
    const t = text.trim();
    let q = null;
    if (t.includes('@')) {
        q = `email=${encodeURIComponent(t)}`;
    } else if (/^[+\d][\d\s()-]{5,}$/.test(t)) {
        q = `phone=${encodeURIComponent(t)}`;
    }
    if (!q) {
        return t;
    }
    const r = await api('GET', `/v1/customers?${q}`);
    if (!r.items || r.items.length === 0) {
        throw Object.assign(new Error('клиент не найден'), { code: 'customer_not_found' });
    }
    return r.items[0].id;
}

function Editor({ name, onSaved }) {
    const isNew = name === null;
    const current = useLoad(() => (isNew ? Promise.resolve(null)
                                          : api('GET', `/v1/templates/${seg(name)}`)), [name]);
    const [draft, setDraft] = useState(null);
    const save = useAction();
    const [saved, setSaved] = useState(null);
    const t = draft || current.data || { name: '', channel: 'email' };
    const set = (k, v) => setDraft({ ...t, [k]: v });

    const submit = (e) => {
        e.preventDefault();
        save.run(async () => {
            const body = { channel: t.channel };
            for (const [k] of PARTS[t.channel]) {
                if (t[k]) {
                    body[k] = t[k];
                }
            }
            const r = await api('PUT', `/v1/templates/${seg(isNew ? t.name : name)}`, body);
            setSaved(r);
            setDraft(null);
            onSaved(r.name);
        });
    };
    if (current.error) {
        return <ErrorNote error={current.error} />;
    }
    return (
        <form onSubmit={submit} aria-label="Шаблон">
            <h2>{isNew ? 'Новый шаблон' : `Шаблон ${name}, версия ${t.version ?? ''}`}</h2>
            <div class="kt-row">
                {isNew && (
                    <label>Имя
                        <input name="name" required pattern="[a-z0-9_\-]{1,64}" value={t.name}
                               onInput={(e) => set('name', e.currentTarget.value)} />
                    </label>
                )}
                <label>Канал
                    <select name="channel" value={t.channel}
                            onChange={(e) => set('channel', e.currentTarget.value)}>
                        <option value="email">e-mail</option>
                        <option value="sms">SMS</option>
                        <option value="push">push</option>
                    </select>
                </label>
            </div>
            {PARTS[t.channel].map(([k, title, long]) => (
                <label key={k} class="kt-row">{title}
                    {long ? (
                        <textarea name={k} rows="6" cols="70" value={t[k] || ''}
                                  onInput={(e) => set(k, e.currentTarget.value)} />
                    ) : (
                        <input name={k} size="70" value={t[k] || ''}
                               onInput={(e) => set(k, e.currentTarget.value)} />
                    )}
                </label>
            ))}
            <button type="submit" disabled={save.busy}>Сохранить новую версию</button>
            <ErrorNote error={save.error} />
            {saved && (
                <p role="status">Сохранено: версия {saved.version}.
                    {(saved.unknown_variables || []).map((u) => (
                        <span key={`${u.field}${u.name}`}> Неизвестная переменная {u.name} в
                            {' '}{u.field} (строка {u.line}).</span>
                    ))}
                </p>
            )}
        </form>
    );
}

function Preview({ name }) {
    const [who, setWho] = useState('');
    const [to, setTo] = useState('');
    const [shown, setShown] = useState(null);
    const [sent, setSent] = useState(null);
    const preview = useAction();
    const test = useAction();

    const doPreview = (e) => {
        e.preventDefault();
        preview.run(async () => {
            const id = await findCustomer(who);
            setShown(await api('POST', `/v1/templates/${seg(name)}/preview`,
                               { customer_id: id }));
        });
    };
    const doTest = (e) => {
        e.preventDefault();
        test.run(async () => {
            const body = { to };
            if (who.trim()) {
                body.customer_id = await findCustomer(who);
            }
            setSent(await api('POST', `/v1/templates/${seg(name)}/test`, body));
        });
    };
    return (
        <section aria-label="Просмотр и проверка">
            <h2>Просмотр на клиенте</h2>
            <form class="kt-row" onSubmit={doPreview}>
                <label>Клиент: телефон, e-mail или id
                    <input name="customer" required value={who}
                           onInput={(e) => setWho(e.currentTarget.value)} />
                </label>
                <button type="submit" disabled={preview.busy}>Показать</button>
            </form>
            <ErrorNote error={preview.error} />
            {shown && (
                <div class="kt-preview-parts">
                    {shown.parts.subject !== undefined && <p><b>Тема:</b> {shown.parts.subject}</p>}
                    {shown.parts.title !== undefined && <p><b>Заголовок:</b> {shown.parts.title}</p>}
                    {shown.parts.text !== undefined && <pre class="kt-code" tabIndex={0}>{shown.parts.text}</pre>}
                    {shown.parts.body !== undefined && <pre class="kt-code" tabIndex={0}>{shown.parts.body}</pre>}
                    {shown.parts.html !== undefined && (
                        <iframe class="kt-preview" title="HTML письма" sandbox=""
                                srcdoc={shown.parts.html} />
                    )}
                    {shown.sms && (
                        <p>SMS: {shown.sms.length} знаков, частей {shown.sms.parts}
                            {' '}({shown.sms.encoding})</p>
                    )}
                    {(shown.warnings || []).map((w) => (
                        <p key={`${w.field}${w.name}${w.line}`} class="kt-error">
                            {w.code}: {w.name} в {w.field}</p>
                    ))}
                </div>
            )}
            <h2>Тестовая отправка</h2>
            <form class="kt-row" onSubmit={doTest}>
                <label>Кому (адрес или устройство)
                    <input name="to" required value={to}
                           onInput={(e) => setTo(e.currentTarget.value)} />
                </label>
                <button type="submit" disabled={test.busy}>Отправить тест</button>
            </form>
            <ErrorNote error={test.error} />
            {sent && (
                <p role="status" class={sent.status === 'sent' ? 'kt-ok' : 'kt-error'}>
                    Тест: {sent.status} {sent.code ? `(${sent.code})` : ''} {sent.reason || ''}
                </p>
            )}
        </section>
    );
}

/** The template the address names: /templates/<name>, /templates/new for a new one. */
export default function Templates({ sub }) {
    const chosen = sub && sub.length > 1 ? decodeURIComponent(sub.slice(1)) : null;
    const list = useLoad(() => api('GET', '/v1/templates'), []);
    return (
        <section>
            <Title>Шаблоны</Title>
            <ErrorBox error={list.error} retry={list.reload} />
            <p><Link to="/templates/new">Новый шаблон</Link></p>
            <Table caption="Шаблоны сообщений" hideCaption rows={list.data?.items || []}
                   rowKey={(t) => t.name} empty="Шаблонов ещё нет" columns={[
                { title: 'Имя', render: (t) => <Link to={`/templates/${seg(t.name)}`}>{t.name}</Link> },
                { key: 'channel', title: 'Канал' },
                { key: 'version', title: 'Версия', num: true },
                { title: 'Сохранён', render: (t) => when(t.created_at) },
            ]} />
            {chosen && (
                <Editor key={chosen} name={chosen === 'new' ? null : chosen} onSaved={(n) => {
                    list.reload();
                    navigate(`/templates/${seg(n)}`);
                }} />
            )}
            {chosen && chosen !== 'new' && <Preview key={`p-${chosen}`} name={chosen} />}
        </section>
    );
}
