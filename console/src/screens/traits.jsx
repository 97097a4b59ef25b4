// traits.jsx - traits (docs/console.md, "Traits"): every trait segments may name (GET
// /v1/traits: the built-in ones, RFM's and the computed ones with their expressions) and a
// recomputation of the built-in ones now (POST /v1/traits/refresh).
import { api } from '../api.js';
import { Link } from '../router.js';
import { useAction } from '../ui/action.js';
import { Loaded, Title, useLoad } from '../ui/layout.jsx';
import { Table } from '../ui/table.jsx';
import { num } from '../ui/analytics.js';

export default function Traits() {
    const st = useLoad(() => api('GET', '/v1/traits'), []);
    const act = useAction();
    const refresh = () =>
        act.run(async () => {
            const r = await api('POST', '/v1/traits/refresh');
            st.reload();
            return `Пересчитано значений: ${num(r.refreshed)}`;
        });
    return (
        <>
            <Title sub={<span>Признаки покупателей для сегментов: <code>trait имя = значение</code></span>}>Признаки</Title>
            <Loaded state={st} what="признаки">
                {(d) => (
                    <Table
                        caption="Признаки"
                        hideCaption
                        rows={d.items}
                        rowKey={(r) => r.name}
                        columns={[
                            { key: 'name', title: 'Имя', render: (r) => <code>{r.name}</code> },
                            { key: 'builtin', title: 'Вид', render: (r) => (r.builtin ? 'встроенный' : 'вычисляемый') },
                            { key: 'expression', title: 'Как считается', render: (r) => (r.expression ? <code>{r.expression}</code> : r.computed_by || '—') },
                            { key: 'use', title: 'В сегменте', render: (r) => <Link to="/segments/new">trait {r.name}</Link> },
                        ]}
                    />
                )}
            </Loaded>
            <button type="button" disabled={act.busy} onClick={refresh}>
                Пересчитать встроенные признаки
            </button>
            {act.msg ? <p role="status">{act.msg}</p> : null}
        </>
    );
}
