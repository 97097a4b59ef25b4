// app.jsx - the frame around the screens: a banner (who is logged in, until when, logout), the
// navigation bar of the screens the role may open, and the current screen in <main>, focused on
// each change of screen so a screen reader starts there.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Link, navigate, useRoute } from './router.js';
import { screens } from './screens/index.js';
import { logout, loadSession } from './session.js';
import { ErrorBox, Forbidden, Loading, NotFound } from './ui/layout.jsx';

const ROLE_NAMES = {
    admin: 'администратор',
    marketer: 'маркетолог',
    analyst: 'аналитик',
    store_manager: 'управляющий магазином',
    dpo: 'ответственный за персональные данные',
};

const loaded = new Map();

function time(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString('ru-RU', { hour: '2-digit', minute: '2-digit' });
}

function findScreen(path) {
    return screens.find((s) => path === s.path || path.startsWith(`${s.path}/`));
}

/** Loads the screen's module once and renders its default export. */
function ScreenView({ screen, path, query, session }) {
    const [mod, setMod] = useState(loaded.get(screen.path) || null);
    const [err, setErr] = useState(null);
    useEffect(() => {
        if (loaded.has(screen.path)) {
            setMod(loaded.get(screen.path));
            return;
        }
        setMod(null);
        screen.load().then(
            (m) => {
                loaded.set(screen.path, m);
                setMod(m);
            },
            (e) => setErr({ status: 0, message: `Раздел не загрузился: ${e.message}` }),
        );
    }, [screen]);
    if (err) {
        return <ErrorBox error={err} />;
    }
    if (!mod) {
        return <Loading what={screen.title} />;
    }
    const Screen = mod.default;
    return <Screen path={path} sub={path.slice(screen.path.length)} query={query} session={session} />;
}

function Expiry({ session }) {
    // The idle expiry moves with every call; when it is reached, ask the server (which answers
    // 401 session_expired, and api.js sends the console to the login screen with the message).
    useEffect(() => {
        const left = new Date(session.idle_expires_at).getTime() - Date.now();
        const t = setTimeout(() => loadSession(), Math.max(left, 0) + 1000);
        return () => clearTimeout(t);
    }, [session.idle_expires_at]);
    return (
        <span class="expiry" title={`Не позже ${time(session.expires_at)}`}>
            Сеанс до {time(session.idle_expires_at)}
        </span>
    );
}

export function App({ session }) {
    const { path, query } = useRoute();
    const main = useRef(null);
    const role = session.user.role;
    const mine = screens.filter((s) => s.roles.includes(role));
    const screen = findScreen(path);
    useEffect(() => {
        if (path === '/' && mine.length > 0) {
            navigate(mine[0].path, { replace: true });
        }
    }, [path]);
    useEffect(() => {
        main.current && main.current.focus();
    }, [screen && screen.path]);
    let body;
    if (path === '/') {
        body = mine.length > 0 ? <Loading /> : <Forbidden />;
    } else if (!screen) {
        body = <NotFound />;
    } else if (!screen.roles.includes(role)) {
        body = <Forbidden />;
    } else {
        body = <ScreenView screen={screen} path={path} query={query} session={session} />;
    }
    return (
        <div class="frame">
            <a class="skip" href="#main">
                Перейти к содержимому
            </a>
            <header class="banner">
                <span class="brand">Картотека</span>
                <span class="who">
                    {session.user.email} ({ROLE_NAMES[role] || role})
                </span>
                <Expiry session={session} />
                <button type="button" onClick={() => logout()}>
                    Выйти
                </button>
            </header>
            <nav aria-label="Разделы">
                <ul>
                    {mine.map((s) => (
                        <li>
                            <Link to={s.path} aria-current={screen === s ? 'page' : undefined}>
                                {s.title}
                            </Link>
                        </li>
                    ))}
                </ul>
            </nav>
            <main id="main" tabIndex={-1} ref={main}>
                {body}
            </main>
        </div>
    );
}
