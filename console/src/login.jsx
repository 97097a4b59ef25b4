// login.jsx - the login screen: e-mail and password, then the TOTP code when the user has a second
// factor (second_factor "needed"); a clear message when the session expired.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Field, Form, fieldError, formError } from './ui/form.jsx';
import { login, logout, secondFactor } from './session.js';

const MESSAGES = {
    wrong_credentials: 'Неверный e-mail или пароль.',
    wrong_code: 'Неверный код. Введите код из приложения ещё раз.',
};

function message(err, fields) {
    if (err && MESSAGES[err.code]) {
        return MESSAGES[err.code];
    }
    return formError(err, fields);
}

export function Login({ expired }) {
    const [email, setEmail] = useState('');
    const [password, setPassword] = useState('');
    const [err, setErr] = useState(null);
    const [busy, setBusy] = useState(false);
    const head = useRef(null);
    useEffect(() => {
        document.title = 'Вход - Картотека';
        head.current && head.current.focus();
    }, []);
    const submit = async () => {
        setBusy(true);
        setErr(null);
        try {
            await login(email.trim(), password);
        } catch (e) {
            setErr(e);
            setPassword('');
        } finally {
            setBusy(false);
        }
    };
    return (
        <main id="main" class="login">
            <h1 tabIndex={-1} ref={head}>
                Картотека: вход в консоль
            </h1>
            {expired ? (
                <p class="notice" role="alert">
                    Сеанс истёк: вы долго не работали или закончился срок входа. Войдите снова.
                </p>
            ) : null}
            <Form label="Вход" onSubmit={submit} busy={busy} submit="Войти" error={message(err, ['email', 'password'])}>
                <Field
                    label="E-mail"
                    name="email"
                    type="email"
                    autocomplete="username"
                    required
                    value={email}
                    onInput={setEmail}
                    error={fieldError(err, 'email')}
                />
                <Field
                    label="Пароль"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    value={password}
                    onInput={setPassword}
                    error={fieldError(err, 'password')}
                />
            </Form>
        </main>
    );
}

export function Totp() {
    const [code, setCode] = useState('');
    const [err, setErr] = useState(null);
    const [busy, setBusy] = useState(false);
    const submit = async () => {
        setBusy(true);
        setErr(null);
        try {
            await secondFactor(code.replace(/\s+/g, ''));
        } catch (e) {
            setErr(e);
            setCode('');
        } finally {
            setBusy(false);
        }
    };
    return (
        <main id="main" class="login">
            <h1>Второй фактор</h1>
            <p>Введите шестизначный код из приложения-аутентификатора.</p>
            <Form label="Код подтверждения" onSubmit={submit} busy={busy} submit="Подтвердить" error={message(err, ['code'])}>
                <Field
                    label="Код"
                    name="code"
                    inputMode="numeric"
                    autocomplete="one-time-code"
                    pattern="[0-9]*"
                    maxLength={8}
                    required
                    value={code}
                    onInput={setCode}
                    error={fieldError(err, 'code')}
                />
            </Form>
            <button type="button" class="link" onClick={() => logout()}>
                Войти другим пользователем
            </button>
        </main>
    );
}
