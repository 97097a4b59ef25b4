// segments.jsx - the segment builder (docs/console.md, "Segments"): the list of saved segments
// (/segments), and a segment's page (/segments/new, /segments/<id>): the query in the segment
// language with completion as one types (GET /v1/segments/language), the live count (POST
// /v1/segments/preview, 400 ms after the last key, a stale reply dropped), the parser's
// explanation or its error, save (POST or PUT /v1/segments), and for a saved one its size over
// time (GET /v1/segments/<id>/sizes, a uPlot chart), a refresh and its members.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, qs } from '../api.js';
import { Link, navigate } from '../router.js';
import { Chart } from '../ui/chart.jsx';
import { Field, fieldError, formError } from '../ui/form.jsx';
import { ErrorBox, Loaded, Title, errorText, useLoad, when } from '../ui/layout.jsx';
import { Table } from '../ui/table.jsx';
import { num, secs } from '../ui/analytics.js';
import { accept, suggest } from '../ui/complete.js';
import '../ui/analytics.css';

const DEBOUNCE_MS = 400;

function List() {
    const st = useLoad(() => api('GET', '/v1/segments'), []);
    return (
        <>
            <Title sub="Сохранённые запросы и их участники; обновляются каждые десять минут">Сегменты</Title>
            <p>
                <Link to="/segments/new">Новый сегмент</Link>
            </p>
            <Loaded state={st} what="сегменты">
                {(d) => (
                    <Table
                        caption="Сегменты"
                        hideCaption
                        rowKey={(r) => r.id}
                        rows={d.items}
                        columns={[
                            { key: 'name', title: 'Название', render: (r) => <Link to={`/segments/${r.id}`}>{r.name}</Link> },
                            { key: 'query', title: 'Запрос', render: (r) => <code>{r.query}</code> },
                            { key: 'size', title: 'Участников', num: true, render: (r) => num(r.size) },
                            { key: 'refreshed_at', title: 'Обновлён', render: (r) => when(r.refreshed_at) },
                        ]}
                        empty="Сегментов пока нет"
                    />
                )}
            </Loaded>
        </>
    );
}

/** The query's textarea with the completion list under it. */
function QueryEditor({ value, onInput, lang, error }) {
    const ref = useRef(null);
    const [sug, setSug] = useState(null);
    const [active, setActive] = useState(0);
    const update = (text, pos) => {
        const s = lang ? suggest(text, pos, lang) : null;
        setSug(s && s.items.length ? s : null);
        setActive(0);
    };
    const take = (it) => {
        const r = accept(value, sug, it);
        onInput(r.text);
        setSug(null);
        requestAnimationFrame(() => {
            const el = ref.current;
            if (el) {
                el.focus();
                el.setSelectionRange(r.pos, r.pos);
                update(r.text, r.pos);
            }
        });
    };
    const onKeyDown = (e) => {
        if (!sug) {
            if (e.key === ' ' && e.ctrlKey) {
                e.preventDefault();
                update(value, e.currentTarget.selectionStart);
            }
            return;
        }
        if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            const n = sug.items.length;
            setActive((a) => (a + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
        } else if (e.key === 'Enter' || e.key === 'Tab') {
            e.preventDefault();
            take(sug.items[active]);
        } else if (e.key === 'Escape') {
            setSug(null);
        }
    };
    return (
        <div class={`query-editor field${error ? ' has-error' : ''}`}>
            <label for="segment-query">Запрос</label>
            <textarea
                id="segment-query"
                ref={ref}
                value={value}
                spellcheck={false}
                autocomplete="off"
                aria-autocomplete="list"
                aria-controls="segment-suggestions"
                aria-activedescendant={sug ? `sug-${active}` : undefined}
                aria-describedby="segment-query-hint segment-query-err"
                aria-invalid={error ? 'true' : undefined}
                onInput={(e) => {
                    onInput(e.currentTarget.value);
                    update(e.currentTarget.value, e.currentTarget.selectionStart);
                }}
                onKeyDown={onKeyDown}
                onBlur={() => setTimeout(() => setSug(null), 150)}
            />
            <span class="hint" id="segment-query-hint">
                Подсказки появляются по мере ввода (Ctrl+Пробел — показать): стрелки выбирают, Enter или Tab вставляют, Esc закрывает.
            </span>
            <ul id="segment-suggestions" role="listbox" aria-label="Подсказки" class="suggestions" hidden={!sug}>
                {sug
                    ? sug.items.map((it, i) => (
                          <li
                              id={`sug-${i}`}
                              role="option"
                              aria-selected={i === active ? 'true' : 'false'}
                              onMouseDown={(e) => {
                                  e.preventDefault();
                                  take(it);
                              }}
                          >
                              {it.label}
                              <span class="kind">{it.kind}</span>
                          </li>
                      ))
                    : null}
            </ul>
            <span class="field-error" id="segment-query-err" role="alert">
                {error || ''}
            </span>
        </div>
    );
}

/** The live count: the preview of `query`, DEBOUNCE_MS after the last change; a reply to an
 *  older text than the newest sent is dropped. */
function useLiveCount(query) {
    const [st, setSt] = useState({ size: null, explanation: null, error: null, busy: false, for: '' });
    const seq = useRef(0);
    useEffect(() => {
        const q = query.trim();
        const my = ++seq.current;
        if (!q) {
            setSt({ size: null, explanation: null, error: null, busy: false, for: '' });
            return undefined;
        }
        setSt((s) => ({ ...s, busy: true }));
        const timer = setTimeout(() => {
            api('POST', '/v1/segments/preview', { query: q, sample: 0 }).then(
                (r) => my === seq.current && setSt({ size: r.size, explanation: r.explanation || null, tookMs: r.took_ms, error: null, busy: false, for: q }),
                (e) => my === seq.current && setSt({ size: null, explanation: null, error: e, busy: false, for: q }),
            );
        }, DEBOUNCE_MS);
        return () => clearTimeout(timer);
    }, [query]);
    return st;
}

function SizeChart({ id, version }) {
    const st = useLoad(() => api('GET', `/v1/segments/${encodeURIComponent(id)}/sizes`), [id, version]);
    const data = useMemo(() => {
        const items = (st.data && st.data.items) || [];
        return items.length ? [items.map((p) => secs(p.at)), items.map((p) => p.size)] : null;
    }, [st.data]);
    const series = useMemo(() => ['Участников'], []);
    if (st.error) {
        return <ErrorBox error={st.error} />;
    }
    if (!data) {
        return <p class="muted">Размер записывается при каждом обновлении; точек пока нет.</p>;
    }
    return <Chart title="Размер сегмента во времени" data={data} series={series} describe={`Размер сегмента: ${data[1].length} точек, последний ${num(data[1][data[1].length - 1])}`} />;
}

function Members({ id, version }) {
    const st = useLoad(() => api('GET', `/v1/segments/${encodeURIComponent(id)}/members${qs({ limit: 20 })}`), [id, version]);
    return (
        <Loaded state={st} what="участники">
            {(d) => (
                <Table
                    caption={`Участники (первые ${d.items.length} из ${num(d.size)})`}
                    rows={d.items}
                    rowKey={(r) => r.customer_id}
                    columns={[
                        { key: 'customer_id', title: 'Покупатель', render: (r) => <Link to={`/customers/${r.customer_id}`}>{r.customer_id}</Link> },
                        { key: 'entered_at', title: 'В сегменте с', render: (r) => when(r.entered_at) },
                    ]}
                    empty="В сегменте никого нет"
                />
            )}
        </Loaded>
    );
}

function Editor({ id }) {
    const isNew = id === 'new';
    const seg = useLoad(() => (isNew ? Promise.resolve(null) : api('GET', `/v1/segments/${encodeURIComponent(id)}`)), [id]);
    const lang = useLoad(() => api('GET', '/v1/segments/language'), []);
    const [name, setName] = useState('');
    const [query, setQuery] = useState('');
    const [saveErr, setSaveErr] = useState(null);
    const [busy, setBusy] = useState(false);
    const [saved, setSaved] = useState(null);
    const [version, setVersion] = useState(0);
    useEffect(() => {
        if (seg.data) {
            setName(seg.data.name);
            setQuery(seg.data.query);
        }
    }, [seg.data]);
    const live = useLiveCount(query);
    if (seg.error) {
        return <ErrorBox error={seg.error} />;
    }
    const save = async () => {
        setBusy(true);
        setSaveErr(null);
        try {
            const r = isNew ? await api('POST', '/v1/segments', { name, query }) : await api('PUT', `/v1/segments/${encodeURIComponent(id)}`, { name, query });
            setSaved(`Сохранён: ${num(r.size)} участников`);
            setVersion((v) => v + 1);
            if (isNew) {
                navigate(`/segments/${r.id}`, { replace: true });
            }
        } catch (e) {
            setSaveErr(e);
        } finally {
            setBusy(false);
        }
    };
    const refresh = async () => {
        setBusy(true);
        try {
            const r = await api('POST', `/v1/segments/${encodeURIComponent(id)}/refresh`);
            setSaved(`Обновлён: вошли ${num(r.entered)}, вышли ${num(r.left)}, всего ${num(r.size)}`);
            setVersion((v) => v + 1);
        } catch (e) {
            setSaveErr(e);
        } finally {
            setBusy(false);
        }
    };
    const queryError = live.error && live.error.status === 422 ? errorText(live.error) : null;
    return (
        <>
            <Title sub={<Link to="/segments">Все сегменты</Link>}>{isNew ? 'Новый сегмент' : seg.data ? `Сегмент «${seg.data.name}»` : 'Сегмент'}</Title>
            {lang.error ? <p class="muted">Подсказки недоступны: {errorText(lang.error)}</p> : null}
            <form
                aria-label="Сегмент"
                noValidate
                onSubmit={(e) => {
                    e.preventDefault();
                    if (!busy) {
                        save();
                    }
                }}
            >
                <Field label="Название" name="name" value={name} onInput={setName} error={fieldError(saveErr, 'name')} />
                <QueryEditor value={query} onInput={setQuery} lang={lang.data} error={queryError || fieldError(saveErr, 'query')} />
                <div class="live" role="status" aria-live="polite">
                    <span>
                        Подходит покупателей: <span class="count" id="live-count" data-for={live.for}>{live.size === null ? '—' : num(live.size)}</span>
                    </span>
                    {live.busy ? <span class="muted">считаю...</span> : live.tookMs !== undefined && live.size !== null ? <span class="muted">{Math.round(live.tookMs)} мс</span> : null}
                </div>
                {live.explanation ? (
                    <div class="explain" id="segment-explanation">
                        <strong>Что значит запрос: </strong>
                        {live.explanation}
                    </div>
                ) : null}
                {live.error && live.error.status !== 422 ? <ErrorBox error={live.error} /> : null}
                {formError(saveErr, ['name', 'query']) ? (
                    <p class="error" role="alert">
                        {formError(saveErr, ['name', 'query'])}
                    </p>
                ) : null}
                {saved ? <p role="status">{saved}</p> : null}
                <div class="row">
                    <button type="submit" disabled={busy}>
                        Сохранить
                    </button>
                    {!isNew ? (
                        <button type="button" class="secondary" disabled={busy} onClick={refresh}>
                            Обновить сейчас
                        </button>
                    ) : null}
                </div>
            </form>
            {!isNew ? (
                <div class="panels">
                    <section class="panel" aria-labelledby="seg-size">
                        <h2 id="seg-size">Размер во времени</h2>
                        <SizeChart id={id} version={version} />
                    </section>
                    <section class="panel" aria-labelledby="seg-members">
                        <h2 id="seg-members">Участники</h2>
                        <Members id={id} version={version} />
                    </section>
                </div>
            ) : null}
        </>
    );
}

export default function Segments({ sub }) {
    const id = sub.replace(/^\//, '');
    return id ? <Editor id={id} /> : <List />;
}
