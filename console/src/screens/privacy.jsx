// privacy.jsx - the DPO's screen (docs/console.md, "Privacy"): the subjects' requests with their
// deadlines (an overdue one in red), closing and extending them; the acts of destruction with
// their canonical document and the signature attached to it; the audit log searched by its
// filters (GET /v1/audit).
import { useState } from 'preact/hooks';

import { api, qs } from '../api.js';
import { Title, useLoad, when } from '../ui/layout.jsx';
import { day, ErrorNote, putRaw, seg, useAction } from '../ui/messaging.js';
import '../ui/screens.css';

const KINDS = {
    access: 'доступ', rectification: 'уточнение', stop: 'прекращение обработки',
    erasure: 'удаление', unlawful_processing: 'неправомерная обработка',
};
const RSTATES = { open: 'открыт', done: 'исполнен', refused: 'отказ' };
const ASTATES = { draft: 'черновик', complete: 'готов к подписи', signed: 'подписан' };

/** Pages of a cursor-paged list: the items so far and a "more" while next_cursor is set. */
function usePaged(path, deps) {
    const [pages, setPages] = useState([]);
    const first = useLoad(async () => {
        const r = await api('GET', path);
        setPages([r]);
        return r;
    }, deps);
    const more = useAction();
    const last = pages[pages.length - 1];
    const next = last?.next_cursor;
    const loadMore = () => more.run(async () => {
        const sep = path.includes('?') ? '&' : '?';
        const r = await api('GET', `${path}${sep}cursor=${encodeURIComponent(next)}`);
        setPages([...pages, r]);
    });
    return { items: pages.flatMap((p) => p.items), next, loadMore, error: first.error || more.error,
             reload: first.reload, loading: first.loading };
}

function RequestRow({ r, onChanged }) {
    const [mode, setMode] = useState(null); // 'close' | 'extend'
    const [text, setText] = useState('');
    const [state, setState] = useState('done');
    const act = useAction();
    const submit = (e) => {
        e.preventDefault();
        act.run(async () => {
            if (mode === 'close') {
                await api('POST', `/v1/privacy-requests/${seg(r.id)}/close`,
                          { state, outcome: text || undefined });
            } else {
                await api('POST', `/v1/privacy-requests/${seg(r.id)}/extend`, { reason: text });
            }
            setMode(null);
            onChanged();
        });
    };
    return (
        <>
            <tr data-request={r.id} class={r.overdue ? 'kt-overdue' : undefined}>
                <td>{r.id}</td>
                <td>{KINDS[r.kind] || r.kind}</td>
                <td>{r.customer_id || '—'}</td>
                <td>{day(r.received_on)}</td>
                <td data-testid="due">
                    {day(r.due_on)}{r.due_on_provisional ? ' (предварительно)' : ''}
                    {r.overdue && <b> — просрочен</b>}
                    {r.extended && ' (продлён)'}
                </td>
                <td>{RSTATES[r.state] || r.state}</td>
                <td>
                    {r.state === 'open' && (
                        <>
                            <button type="button" onClick={() => setMode('close')}>Закрыть</button>
                            {!r.extended && (
                                <button type="button" onClick={() => setMode('extend')}>Продлить</button>
                            )}
                        </>
                    )}
                </td>
            </tr>
            {mode && (
                <tr>
                    <td colSpan={7}>
                        <form class="kt-row" onSubmit={submit}
                              aria-label={mode === 'close' ? 'Закрыть запрос' : 'Продлить запрос'}>
                            {mode === 'close' && (
                                <label>Итог
                                    <select value={state}
                                            onChange={(e) => setState(e.currentTarget.value)}>
                                        <option value="done">исполнен</option>
                                        <option value="refused">отказ</option>
                                    </select>
                                </label>
                            )}
                            <label>{mode === 'close' ? 'Что сделано' : 'Мотивированное уведомление'}
                                <input size="50" required={mode === 'extend'} value={text}
                                       onInput={(e) => setText(e.currentTarget.value)} />
                            </label>
                            <button type="submit" disabled={act.busy}>Сохранить</button>
                            <button type="button" onClick={() => setMode(null)}>Отмена</button>
                        </form>
                        <ErrorNote error={act.error} />
                    </td>
                </tr>
            )}
        </>
    );
}

function Requests() {
    const [onlyOverdue, setOnlyOverdue] = useState(false);
    const list = usePaged(`/v1/privacy-requests?limit=100${onlyOverdue ? '&overdue=true' : ''}`,
                          [onlyOverdue]);
    return (
        <section aria-labelledby="requests-h">
            <h2 id="requests-h">Запросы субъектов</h2>
            <label class="kt-row">
                <input type="checkbox" checked={onlyOverdue}
                       onChange={(e) => setOnlyOverdue(e.currentTarget.checked)} />
                только просроченные
            </label>
            <ErrorNote error={list.error} />
            <table>
                <thead><tr><th scope="col">Запрос</th><th scope="col">Вид</th>
                    <th scope="col">Клиент</th><th scope="col">Получен</th>
                    <th scope="col">Срок</th><th scope="col">Состояние</th>
                    <th scope="col">Действия</th></tr></thead>
                <tbody>
                    {list.items.map((r) => <RequestRow key={r.id} r={r} onChanged={list.reload} />)}
                </tbody>
            </table>
            {list.next && <button type="button" onClick={list.loadMore}>Ещё</button>}
        </section>
    );
}

function Act({ a, onChanged }) {
    const [doc, setDoc] = useState(null);
    const act = useAction();
    const show = () => act.run(async () => setDoc(await api(
        'GET', `/v1/destruction-acts/${seg(a.id)}/document`)));
    const sign = (e) => {
        const file = e.currentTarget.files[0];
        if (!file) {
            return;
        }
        act.run(async () => {
            await putRaw(`/v1/destruction-acts/${seg(a.id)}/signature`, file,
                         'application/pkcs7-signature');
            onChanged();
        });
    };
    return (
        <li>
            <p><b>{a.id}</b> от {when(a.at)}: клиент {a.customer_id}, {a.reason};
                {' '}{ASTATES[a.state] || a.state}</p>
            <div class="kt-row">
                {a.state !== 'draft' && <button type="button" onClick={show}>Документ</button>}
                {a.state === 'complete' && (
                    <label>Подпись (CMS, DER или PEM)
                        <input type="file" accept=".p7s,.sig,.pem,.der" onChange={sign} />
                    </label>
                )}
                {a.state === 'signed' && (
                    <a href={`/v1/destruction-acts/${seg(a.id)}/signature`}
                       download={`${a.id}.p7s`}>Скачать подпись</a>
                )}
            </div>
            <ErrorNote error={act.error} />
            {doc && <pre class="kt-code" tabIndex={0}>{JSON.stringify(doc, null, 2)}</pre>}
        </li>
    );
}

function Acts() {
    const list = usePaged('/v1/destruction-acts?limit=50', []);
    return (
        <section aria-labelledby="acts-h">
            <h2 id="acts-h">Акты уничтожения</h2>
            <ErrorNote error={list.error} />
            {list.items.length === 0 && !list.loading && <p>Актов нет.</p>}
            <ul>{list.items.map((a) => <Act key={a.id} a={a} onChanged={list.reload} />)}</ul>
            {list.next && <button type="button" onClick={list.loadMore}>Ещё</button>}
        </section>
    );
}

function Audit() {
    const empty = { customer_id: '', key_id: '', action: '', since: '', until: '' };
    const [f, setF] = useState(empty);
    const [query, setQuery] = useState(null);
    const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
    const search = (e) => {
        e.preventDefault();
        setQuery(qs({ ...f, limit: 100,
                      since: f.since && new Date(f.since).toISOString(),
                      until: f.until && new Date(f.until).toISOString() }));
    };
    return (
        <section aria-labelledby="audit-h">
            <h2 id="audit-h">Журнал аудита</h2>
            <form class="kt-row" onSubmit={search} aria-label="Поиск в журнале">
                <label>Клиент<input name="customer_id" value={f.customer_id}
                                    onInput={set('customer_id')} /></label>
                <label>Ключ или пользователь<input name="key_id" value={f.key_id}
                                                  onInput={set('key_id')} /></label>
                <label>Действие<input name="action" value={f.action} onInput={set('action')} /></label>
                <label>С<input name="since" type="datetime-local" value={f.since}
                               onInput={set('since')} /></label>
                <label>По<input name="until" type="datetime-local" value={f.until}
                                onInput={set('until')} /></label>
                <button type="submit">Искать</button>
            </form>
            {query !== null && <AuditResults query={query} />}
        </section>
    );
}

function AuditResults({ query }) {
    const list = usePaged(`/v1/audit${query}`, [query]);
    return (
        <>
            <ErrorNote error={list.error} />
            <table>
                <thead><tr><th scope="col">Когда</th><th scope="col">Журнал</th>
                    <th scope="col">Действие</th><th scope="col">Кто</th>
                    <th scope="col">Клиент</th><th scope="col">Поля</th>
                    <th scope="col">Адрес</th></tr></thead>
                <tbody>
                    {list.items.map((e) => (
                        <tr key={`${e.log}${e.seq}`}>
                            <td>{when(e.at)}</td><td>{e.log}</td><td>{e.action}</td>
                            <td>{e.key_id || 'сервер'}</td><td>{e.customer_id || '—'}</td>
                            <td>{e.fields || ''}{e.detail ? ` ${e.detail}` : ''}</td>
                            <td>{e.ip || '—'}</td>
                        </tr>
                    ))}
                </tbody>
            </table>
            {!list.loading && list.items.length === 0 && <p>Ничего не найдено.</p>}
            {list.next && <button type="button" onClick={list.loadMore}>Ещё</button>}
        </>
    );
}

export default function Privacy() {
    return (
        <section>
            <Title>Персональные данные</Title>
            <Requests />
            <Acts />
            <Audit />
        </section>
    );
}
