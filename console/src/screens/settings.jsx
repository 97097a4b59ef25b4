// settings.jsx - the administrator's settings (docs/console.md, "Settings"): subscription
// topics, consent documents (each PUT a new version), join points with their QR codes and
// printable posters, API keys and the console's users.
import { useState } from 'preact/hooks';

import { api } from '../api.js';
import { Title, useLoad, when } from '../ui/layout.jsx';
import { ErrorNote, seg, useAction } from '../ui/messaging.js';
import '../ui/screens.css';

const CHANNELS = ['email', 'sms', 'push'];
const ROLES = { admin: 'администратор', marketer: 'маркетолог', analyst: 'аналитик',
                store_manager: 'управляющий магазином', dpo: 'ответственный за ПДн' };
const SCOPES = ['admin', 'pos', 'collect', 'dpo', 'auditor', 'deliveries', 'marketer',
                'analyst', 'store_manager'];
const SPOTS = { till: 'касса', entrance: 'вход', shelf: 'полка', other: 'другое' };

const stores = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);

function Topics() {
    const list = useLoad(() => api('GET', '/v1/topics'), []);
    const [f, setF] = useState({ name: '', title: '', description: '', channels: ['email'] });
    const save = useAction();
    const toggle = (c) => setF({ ...f, channels: f.channels.includes(c)
        ? f.channels.filter((x) => x !== c) : [...f.channels, c] });
    const submit = (e) => {
        e.preventDefault();
        save.run(async () => {
            await api('PUT', `/v1/topics/${seg(f.name)}`, {
                title: f.title, description: f.description || undefined, channels: f.channels });
            list.reload();
        });
    };
    return (
        <section aria-labelledby="topics-h">
            <h2 id="topics-h">Темы рассылок</h2>
            <ErrorNote error={list.error} />
            <table>
                <thead><tr><th scope="col">Имя</th><th scope="col">Название</th>
                    <th scope="col">Каналы</th><th scope="col">Изменена</th><th scope="col" /></tr>
                </thead>
                <tbody>
                    {(list.data?.items || []).map((t) => (
                        <tr key={t.name}>
                            <td>{t.name}</td><td>{t.title}</td><td>{t.channels.join(', ')}</td>
                            <td>{when(t.updated_at)}</td>
                            <td><button type="button" onClick={() => setF({
                                name: t.name, title: t.title, description: t.description || '',
                                channels: t.channels })}>Изменить</button></td>
                        </tr>
                    ))}
                </tbody>
            </table>
            <form class="kt-row" onSubmit={submit} aria-label="Тема">
                <label>Имя<input name="topic" required value={f.name}
                                 onInput={(e) => setF({ ...f, name: e.currentTarget.value })} /></label>
                <label>Название<input name="title" required value={f.title}
                                      onInput={(e) => setF({ ...f, title: e.currentTarget.value })} /></label>
                <label>Описание<input name="description" value={f.description}
                                      onInput={(e) => setF({ ...f, description: e.currentTarget.value })} /></label>
                <fieldset><legend>Каналы</legend>
                    {CHANNELS.map((c) => (
                        <label key={c}><input type="checkbox" checked={f.channels.includes(c)}
                                              onChange={() => toggle(c)} />{c}</label>
                    ))}
                </fieldset>
                <button type="submit" disabled={save.busy}>Сохранить тему</button>
            </form>
            <ErrorNote error={save.error} />
        </section>
    );
}

function Documents() {
    const list = useLoad(() => api('GET', '/v1/consent-documents'), []);
    const blank = { name: '', purpose: 'pd_processing', title: '', body: '', term_days: '',
                    reconsent: false };
    const [f, setF] = useState(blank);
    const save = useAction();
    const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
    const edit = (name) => save.run(async () => {
        const d = await api('GET', `/v1/consent-documents/${seg(name)}`);
        setF({ name: d.name, purpose: d.purpose, title: d.title, body: d.body,
               term_days: d.term_days ?? '', reconsent: false });
    });
    const submit = (e) => {
        e.preventDefault();
        save.run(async () => {
            await api('PUT', `/v1/consent-documents/${seg(f.name)}`, {
                purpose: f.purpose, title: f.title, body: f.body, reconsent: f.reconsent,
                term_days: f.term_days === '' ? null : Number(f.term_days) });
            setF(blank);
            list.reload();
        });
    };
    return (
        <section aria-labelledby="docs-h">
            <h2 id="docs-h">Документы согласий</h2>
            <ErrorNote error={list.error} />
            <table>
                <thead><tr><th scope="col">Документ</th><th scope="col">Цель</th>
                    <th scope="col">Название</th><th scope="col">Опубликован</th>
                    <th scope="col">SHA-256</th><th scope="col" /></tr></thead>
                <tbody>
                    {(list.data?.items || []).map((d) => (
                        <tr key={d.ref || `${d.name}@${d.version}`}>
                            <td>{d.ref || `${d.name}@${d.version}`}</td><td>{d.purpose}</td>
                            <td>{d.title}</td><td>{when(d.published_at)}</td>
                            <td><code>{(d.sha256 || '').slice(0, 12)}</code></td>
                            <td><button type="button" onClick={() => edit(d.name)}>
                                Новая версия</button></td>
                        </tr>
                    ))}
                </tbody>
            </table>
            <form onSubmit={submit} aria-label="Документ согласия">
                <div class="kt-row">
                    <label>Имя<input name="doc" required value={f.name} onInput={set('name')} /></label>
                    <label>Цель<input name="purpose" required value={f.purpose}
                                      onInput={set('purpose')} /></label>
                    <label>Название<input name="doc_title" required size="40" value={f.title}
                                          onInput={set('title')} /></label>
                    <label>Срок, дней<input name="term_days" type="number" min="1"
                                            value={f.term_days} onInput={set('term_days')} /></label>
                    <label><input type="checkbox" checked={f.reconsent}
                                  onChange={(e) => setF({ ...f, reconsent: e.currentTarget.checked })} />
                        требует нового согласия</label>
                </div>
                <label>Текст<textarea name="body" required rows="8" cols="80" value={f.body}
                                      onInput={set('body')} /></label>
                <button type="submit" disabled={save.busy}>Опубликовать</button>
            </form>
            <ErrorNote error={save.error} />
        </section>
    );
}

function JoinPoints() {
    const list = useLoad(() => api('GET', '/v1/join-points?limit=200'), []);
    const storeList = useLoad(() => api('GET', '/v1/stores'), []);
    const [f, setF] = useState({ store: '', spot: 'till', label: '' });
    const [poster, setPoster] = useState(null);
    const save = useAction();
    const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
    const submit = (e) => {
        e.preventDefault();
        save.run(async () => {
            const jp = await api('POST', '/v1/join-points', {
                store: f.store, spot: f.spot, label: f.label || undefined });
            list.reload();
            setPoster(jp);
        });
    };
    const disable = (code) => save.run(async () => {
        await api('POST', `/v1/join-points/${seg(code)}/disable`);
        list.reload();
    });
    return (
        <section aria-labelledby="jp-h">
            <h2 id="jp-h">Точки подключения</h2>
            <ErrorNote error={list.error || storeList.error} />
            <table>
                <thead><tr><th scope="col">Код</th><th scope="col">Магазин</th>
                    <th scope="col">Место</th><th scope="col">Подпись</th>
                    <th scope="col">Ссылка</th><th scope="col">QR</th><th scope="col" /></tr></thead>
                <tbody>
                    {(list.data?.items || []).map((j) => (
                        <tr key={j.code}>
                            <td>{j.code}</td><td>{j.store}</td><td>{SPOTS[j.spot] || j.spot}</td>
                            <td>{j.label || ''}</td>
                            <td>{j.url || 'нет public_url'}</td>
                            <td>{!j.disabled_at && j.url && (
                                <img class="kt-qr" src={j.qr_svg} alt={`QR-код точки ${j.code}`} />
                            )}</td>
                            <td>{j.disabled_at ? `отключена ${when(j.disabled_at)}` : (
                                <>
                                    <button type="button" onClick={() => setPoster(j)}>Плакат</button>
                                    <button type="button" onClick={() => disable(j.code)}>Отключить</button>
                                </>
                            )}</td>
                        </tr>
                    ))}
                </tbody>
            </table>
            <form class="kt-row" onSubmit={submit} aria-label="Новая точка подключения">
                <label>Магазин
                    <select name="store" required value={f.store} onChange={set('store')}>
                        <option value="">—</option>
                        {(storeList.data?.items || []).map((s) => (
                            <option key={s.code} value={s.code}>{s.title || s.code}</option>
                        ))}
                    </select>
                </label>
                <label>Место
                    <select name="spot" value={f.spot} onChange={set('spot')}>
                        {Object.entries(SPOTS).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
                    </select>
                </label>
                <label>Подпись<input name="label" maxLength={100} value={f.label}
                                     onInput={set('label')} /></label>
                <button type="submit" disabled={save.busy}>Создать точку</button>
            </form>
            <ErrorNote error={save.error} />
            {poster && (
                <figure>
                    <figcaption>Плакат точки {poster.code}
                        {' '}(<a href={`${poster.poster}?paper=a5`} download={`poster-${poster.code}.svg`}>
                            A5</a>, <a href={`${poster.poster}?paper=a6`}
                                       download={`poster-${poster.code}-a6.svg`}>A6</a>)</figcaption>
                    <img class="kt-poster" data-testid="poster" src={`${poster.poster}?paper=a5`}
                         alt={`Плакат для печати: точка ${poster.code}, магазин ${poster.store}`} />
                </figure>
            )}
        </section>
    );
}

function Keys() {
    const list = useLoad(() => api('GET', '/v1/keys'), []);
    const [f, setF] = useState({ name: '', scope: 'pos', stores: '', expires: '' });
    const [made, setMade] = useState(null);
    const save = useAction();
    const submit = (e) => {
        e.preventDefault();
        save.run(async () => {
            const body = { name: f.name, scope: f.scope };
            if (f.stores.trim()) {
                body.stores = stores(f.stores);
            }
            if (f.expires) {
                body.expires_at = new Date(f.expires).toISOString();
            }
            setMade(await api('POST', '/v1/keys', body));
            list.reload();
        });
    };
    const revoke = (id) => save.run(async () => {
        await api('POST', `/v1/keys/${seg(id)}/revoke`);
        list.reload();
    });
    return (
        <section aria-labelledby="keys-h">
            <h2 id="keys-h">Ключи API</h2>
            <ErrorNote error={list.error} />
            <table>
                <thead><tr><th scope="col">Ключ</th><th scope="col">Название</th>
                    <th scope="col">Права</th><th scope="col">Магазины</th>
                    <th scope="col">Создан</th><th scope="col">Действует до</th>
                    <th scope="col">Отозван</th><th scope="col" /></tr></thead>
                <tbody>
                    {(list.data?.items || []).map((k) => (
                        <tr key={k.id}>
                            <td>{k.id}</td><td>{k.name}</td>
                            <td>{k.scope}</td>
                            <td>{(k.stores || []).join(', ') || 'все'}</td>
                            <td>{when(k.created_at)}</td><td>{when(k.expires_at)}</td>
                            <td>{when(k.revoked_at)}</td>
                            <td>{!k.revoked_at && (
                                <button type="button" onClick={() => revoke(k.id)}>Отозвать</button>
                            )}</td>
                        </tr>
                    ))}
                </tbody>
            </table>
            <form class="kt-row" onSubmit={submit} aria-label="Новый ключ">
                <label>Название<input name="key_name" required value={f.name}
                                      onInput={(e) => setF({ ...f, name: e.currentTarget.value })} /></label>
                <label>Права
                    <select name="scope" value={f.scope}
                            onChange={(e) => setF({ ...f, scope: e.currentTarget.value })}>
                        {SCOPES.map((s) => <option key={s} value={s}>{s}</option>)}
                    </select>
                </label>
                <label>Магазины (через запятую)<input name="stores" value={f.stores}
                    onInput={(e) => setF({ ...f, stores: e.currentTarget.value })} /></label>
                <label>Действует до<input name="expires" type="datetime-local" value={f.expires}
                    onInput={(e) => setF({ ...f, expires: e.currentTarget.value })} /></label>
                <button type="submit" disabled={save.busy}>Создать ключ</button>
            </form>
            <ErrorNote error={save.error} />
            {made && (
                <p role="status">Ключ показан один раз, сохраните его: <code data-testid="new-key">{made.token}</code></p>
            )}
        </section>
    );
}

function Users() {
    const list = useLoad(() => api('GET', '/v1/users'), []);
    const [f, setF] = useState({ email: '', role: 'marketer', stores: '' });
    const [made, setMade] = useState(null);
    const save = useAction();
    const submit = (e) => {
        e.preventDefault();
        save.run(async () => {
            const body = { email: f.email, role: f.role };
            if (f.role === 'store_manager') {
                body.stores = stores(f.stores);
            }
            setMade(await api('POST', '/v1/users', body));
            list.reload();
        });
    };
    const patch = (id, body) => save.run(async () => {
        await api('PATCH', `/v1/users/${seg(id)}`, body);
        list.reload();
    });
    return (
        <section aria-labelledby="users-h">
            <h2 id="users-h">Пользователи консоли</h2>
            <ErrorNote error={list.error} />
            <table>
                <thead><tr><th scope="col">E-mail</th><th scope="col">Роль</th>
                    <th scope="col">Магазины</th><th scope="col">2FA</th>
                    <th scope="col">Отключён</th><th scope="col" /></tr></thead>
                <tbody>
                    {(list.data?.items || []).map((u) => (
                        <tr key={u.id}>
                            <td>{u.email}</td>
                            <td>
                                <select aria-label={`Роль ${u.email}`} value={u.role}
                                        disabled={u.disabled}
                                        onChange={(e) => patch(u.id, { role: e.currentTarget.value })}>
                                    {Object.entries(ROLES).map(([k, v]) => (
                                        <option key={k} value={k}>{v}</option>
                                    ))}
                                </select>
                            </td>
                            <td>{(u.stores || []).join(', ') || '—'}</td>
                            <td>{u.totp ? 'да' : 'нет'}</td>
                            <td>{u.disabled ? 'да' : 'нет'}</td>
                            <td>
                                <button type="button" onClick={() => patch(u.id, { disabled: !u.disabled })}>
                                    {u.disabled ? 'Включить' : 'Отключить'}
                                </button>
                            </td>
                        </tr>
                    ))}
                </tbody>
            </table>
            <form class="kt-row" onSubmit={submit} aria-label="Новый пользователь">
                <label>E-mail<input name="email" type="email" required value={f.email}
                                    onInput={(e) => setF({ ...f, email: e.currentTarget.value })} /></label>
                <label>Роль
                    <select name="role" value={f.role}
                            onChange={(e) => setF({ ...f, role: e.currentTarget.value })}>
                        {Object.entries(ROLES).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
                    </select>
                </label>
                {f.role === 'store_manager' && (
                    <label>Магазины (через запятую)<input name="user_stores" required value={f.stores}
                        onInput={(e) => setF({ ...f, stores: e.currentTarget.value })} /></label>
                )}
                <button type="submit" disabled={save.busy}>Создать пользователя</button>
            </form>
            <ErrorNote error={save.error} />
            {made?.password && (
                <p role="status">Пароль показан один раз: <code>{made.password}</code></p>
            )}
        </section>
    );
}

const TABS = [['topics', 'Темы', Topics], ['documents', 'Документы согласий', Documents],
              ['join-points', 'Точки подключения', JoinPoints], ['keys', 'Ключи API', Keys],
              ['users', 'Пользователи', Users]];

export default function Settings() {
    const [tab, setTab] = useState('topics');
    const Tab = TABS.find(([k]) => k === tab)[2];
    return (
        <section>
            <Title>Настройки</Title>
            <div class="kt-tabs" role="group" aria-label="Разделы настроек">
                {TABS.map(([k, title]) => (
                    <button key={k} type="button" aria-pressed={tab === k ? 'true' : 'false'}
                            onClick={() => setTab(k)}>{title}</button>
                ))}
            </div>
            <Tab />
        </section>
    );
}
