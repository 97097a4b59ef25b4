// layout.jsx - the console's common pieces: a screen's heading, the loading and error states, the
// 403 page ("Нет доступа"), and useLoad, the hook a screen reads its data with.
import { useEffect, useRef, useState } from 'preact/hooks';

/** A screen's title: the page's <h1>, also the document's title. */
export function Title({ children, sub }) {
    useEffect(() => {
        document.title = `${typeof children === 'string' ? children : 'Консоль'} - Картотека`;
    }, [children]);
    return (
        <header class="screen-head">
            <h1 id="screen-title">{children}</h1>
            {sub ? <p class="muted">{sub}</p> : null}
        </header>
    );
}

export function Loading({ what }) {
    return (
        <p class="loading" role="status" aria-live="polite">
            Загрузка{what ? `: ${what}` : ''}...
        </p>
    );
}

/** The 403 page: the API refused this caller the screen's data, or the role may not open it. */
export function Forbidden() {
    return (
        <section class="forbidden" aria-labelledby="forbidden-title">
            <h1 id="forbidden-title">Нет доступа</h1>
            <p>Вашей роли этот раздел или эти данные недоступны. Если это ошибка, обратитесь к администратору.</p>
        </section>
    );
}

export function NotFound() {
    return (
        <section aria-labelledby="nf-title">
            <h1 id="nf-title">Не найдено</h1>
            <p>Такой страницы или записи нет.</p>
        </section>
    );
}

/** The text of an error for a person: the API's message, or what the status means. */
export function errorText(err) {
    if (!err) {
        return '';
    }
    if (err.status === 0) {
        return err.message;
    }
    if (err.status === 429) {
        return `Слишком много попыток; повторите${err.retryAfter ? ` через ${err.retryAfter} с` : ' позже'}.`;
    }
    if (err.status >= 500) {
        return `Ошибка сервера (${err.status}${err.code ? `, ${err.code}` : ''}); повторите позже.`;
    }
    return err.message || `Ошибка ${err.status}`;
}

/** An error where data should be: the 403 page on 403, else the message in an alert. `inline`:
 *  a panel of a page rather than the page (a line of text, no heading). */
export function ErrorBox({ error, retry, inline = false }) {
    if (!error) {
        return null;
    }
    if (error.status === 403) {
        return inline ? <p class="muted">Нет доступа к этим данным.</p> : <Forbidden />;
    }
    if (error.status === 404 && !inline) {
        return <NotFound />;
    }
    return (
        <div class="error" role="alert">
            <p>{errorText(error)}</p>
            {retry ? (
                <button type="button" onClick={retry}>
                    Повторить
                </button>
            ) : null}
        </div>
    );
}

/**
 * useLoad(fn, deps) -> {data, error, loading, reload}: runs fn() (a promise) when deps change;
 * a reply that arrives after deps changed again is dropped.
 */
export function useLoad(fn, deps) {
    const [st, setSt] = useState({ data: null, error: null, loading: true });
    const seq = useRef(0);
    // reload() gives a promise settled once the data (or the error) is in the state
    const run = () => {
        const my = ++seq.current;
        setSt((s) => ({ ...s, loading: true, error: null }));
        return Promise.resolve()
            .then(fn)
            .then(
                (data) => my === seq.current && setSt({ data, error: null, loading: false }),
                (error) => my === seq.current && setSt({ data: null, error, loading: false }),
            );
    };
    useEffect(() => {
        run();
    }, deps);
    return { ...st, reload: run };
}

/** Loading, error (403 page included) or the children given the data. */
export function Loaded({ state, what, children, inline = false }) {
    if (state.error) {
        return <ErrorBox error={state.error} retry={state.reload} inline={inline} />;
    }
    if (state.loading && state.data === null) {
        return <Loading what={what} />;
    }
    return children(state.data);
}

/** A date-time in the reader's locale and zone, or a dash. */
export function when(iso) {
    if (!iso) {
        return '—';
    }
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : d.toLocaleString('ru-RU');
}

/** Kopecks (the API's money) as roubles: 12990 -> "129,90 ₽". */
export function rub(kopecks) {
    if (kopecks === null || kopecks === undefined) {
        return '—';
    }
    return `${(kopecks / 100).toLocaleString('ru-RU', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ₽`;
}
