// customers.jsx - "Покупатели": the search as the till looks a customer up (one identifier: phone,
// e-mail or card number, written as the till writes them; GET /v1/customers?phone=|email=|card=),
// or the full name (?full_name=, with an optional birth date: namesakes come as a list), and a
// customer's page (customer360.jsx) at /customers/{id}. The name is matched whole through its
// blind index (names are sealed): no prefix, no typo (docs/api.md, "Search by name").
import { useEffect, useState } from 'preact/hooks';
import { api, qs } from '../api.js';
import { Link, navigate } from '../router.js';
import { Field, Form, Select, fieldError, formError } from '../ui/form.jsx';
import { ErrorBox, Loading, Title } from '../ui/layout.jsx';
import { Table } from '../ui/table.jsx';
import Customer360 from './customer360.jsx';
import { displayName, identifier } from './customer_common.js';

const KINDS = [
    { value: 'phone', label: 'Телефон', hint: 'Как на кассе: +7 916 123-45-67, 89161234567', type: 'tel' },
    { value: 'email', label: 'E-mail', hint: 'Адрес целиком', type: 'email' },
    { value: 'card', label: 'Номер карты', hint: 'Как на карте или в чеке', type: 'text' },
    { value: 'full_name', label: 'Фамилия, имя, отчество', hint: 'Полностью: Иванова Наталья Петровна', type: 'text' },
];

function Search({ query }) {
    const initial = KINDS.find((k) => query.get(k.value)) || KINDS[0];
    const [kind, setKind] = useState(initial.value);
    const [value, setValue] = useState(query.get(initial.value) || '');
    const [born, setBorn] = useState(query.get('birth_date') || '');
    const [res, setRes] = useState({ items: null, error: null, busy: false });
    const askedBorn = query.get('birth_date') || '';
    const asked = KINDS.find((k) => query.get(k.value));
    const askedValue = asked ? query.get(asked.value) : '';
    useEffect(() => {
        if (!asked) {
            setRes({ items: null, error: null, busy: false });
            return;
        }
        setRes({ items: null, error: null, busy: true });
        const q = { [asked.value]: askedValue };
        if (asked.value === 'full_name' && askedBorn) {
            q.birth_date = askedBorn;
        }
        api('GET', `/v1/customers${qs(q)}`).then(
            (r) => setRes({ items: r.items, error: null, busy: false }),
            (e) => setRes({ items: null, error: e, busy: false }),
        );
    }, [asked && asked.value, askedValue, askedBorn]);
    const k = KINDS.find((x) => x.value === kind);
    const submit = () => {
        const q = { [kind]: value.trim() };
        if (kind === 'full_name' && born) {
            q.birth_date = born;
        }
        navigate(`/customers${qs(q)}`);
    };
    return (
        <>
            <Title>Покупатели</Title>
            <Form label="Поиск покупателя" onSubmit={submit} busy={res.busy} submit="Найти" error={formError(res.error, ['phone', 'email', 'card', 'full_name', 'birth_date'])}>
                <div class="row">
                    <Select label="Искать по" name="kind" value={kind} onInput={setKind} options={KINDS} />
                    <Field
                        label={k.label}
                        name={kind}
                        type={k.type}
                        hint={k.hint}
                        value={value}
                        onInput={setValue}
                        required
                        error={fieldError(res.error, kind)}
                    />
                    {kind === 'full_name' ? (
                        <Field
                            label="Дата рождения"
                            name="birth_date"
                            type="date"
                            hint="Необязательно: среди тёзок"
                            value={born}
                            onInput={setBorn}
                            error={fieldError(res.error, 'birth_date')}
                        />
                    ) : null}
                </div>
            </Form>
            {kind === 'full_name' ? (
                <p class="muted">Имя ищется целиком, как записано в базе: без сокращений и опечаток.</p>
            ) : null}
            {res.busy ? <Loading what="поиск" /> : null}
            {res.error && res.error.status === 403 ? <ErrorBox error={res.error} /> : null}
            {res.items ? (
                <Table
                    caption={`Найдено: ${res.items.length}`}
                    rowKey={(c) => c.id}
                    empty="Никого не найдено"
                    columns={[
                        {
                            title: 'Покупатель',
                            render: (c) => <Link to={`/customers/${c.id}`}>{displayName(c)}</Link>,
                        },
                        { title: 'Телефон', render: (c) => (c.profile && c.profile.phone) || identifier(c, 'phone') },
                        { title: 'E-mail', render: (c) => (c.profile && c.profile.email) || identifier(c, 'email') },
                        { title: 'Карта', render: (c) => identifier(c, 'card') },
                        { title: 'ID', key: 'id' },
                    ]}
                    rows={res.items}
                />
            ) : null}
        </>
    );
}

export default function Customers({ sub, query, session }) {
    const m = sub.match(/^\/(c_[0-9a-z]+)$/);
    if (m) {
        return <Customer360 id={m[1]} session={session} />;
    }
    if (sub !== '') {
        return <ErrorBox error={{ status: 404 }} />;
    }
    return <Search query={query} />;
}
