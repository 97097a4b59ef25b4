// rfm.jsx - RFM (docs/console.md, "RFM"): the grid of recency by frequency scores as a heat map
// (GET /v1/reports/rfm: r_by_f), the customers per named group, and storing the scores as the
// traits rfm_score and rfm_group (POST /v1/traits/rfm) so segments can use them.
import { api } from '../api.js';
import { useAction } from '../ui/action.js';
import { Loaded, Title, useLoad, when } from '../ui/layout.jsx';
import { Table } from '../ui/table.jsx';
import { num, percent } from '../ui/analytics.js';
import '../ui/analytics.css';

const GROUPS = {
    champions: 'чемпионы', loyal: 'лояльные', 'potential loyalists': 'потенциально лояльные', new: 'новые',
    promising: 'перспективные', 'need attention': 'требуют внимания', 'about to sleep': 'засыпающие',
    'at risk': 'в зоне риска', "can't lose them": 'нельзя потерять', hibernating: 'спящие', lost: 'потерянные',
};

function Heat({ grid, total }) {
    const max = Math.max(1, ...grid.flat());
    return (
        <table class="heat">
            <caption>Покупатели по давности (R) и частоте (F) покупок: 5 — лучшая оценка</caption>
            <thead>
                <tr>
                    <td />
                    {[1, 2, 3, 4, 5].map((f) => (
                        <th scope="col">F {f}</th>
                    ))}
                </tr>
            </thead>
            <tbody>
                {[5, 4, 3, 2, 1].map((r) => (
                    <tr>
                        <th scope="row">R {r}</th>
                        {grid[r - 1].map((n, f) => (
                            <td class={`heat-${Math.min(9, Math.floor((n / max) * 9.999))}`} title={`R ${r}, F ${f + 1}: ${num(n)} (${percent(total ? n / total : 0)})`}>
                                {num(n)}
                            </td>
                        ))}
                    </tr>
                ))}
            </tbody>
        </table>
    );
}

export default function Rfm() {
    const st = useLoad(() => api('GET', '/v1/reports/rfm'), []);
    const act = useAction();
    const store = () => act.run(async () => `Оценки сохранены как признаки у ${num((await api('POST', '/v1/traits/rfm')).customers)} покупателей`);
    return (
        <>
            <Title sub={st.data ? `На ${when(st.data.as_of)}, покупателей с чеками: ${num(st.data.customers)}` : null}>RFM-анализ</Title>
            <Loaded state={st} what="RFM">
                {(d) => (
                    <div class="panels">
                        <section class="panel" aria-label="Тепловая карта">
                            <Heat grid={d.r_by_f} total={d.customers} />
                        </section>
                        <section class="panel" aria-label="Группы">
                            <Table
                                caption="Группы"
                                rows={Object.entries(d.groups).map(([g, n]) => ({ g, n }))}
                                rowKey={(r) => r.g}
                                columns={[
                                    { key: 'g', title: 'Группа', render: (r) => `${GROUPS[r.g] || r.g} (${r.g})` },
                                    { key: 'n', title: 'Покупателей', num: true, render: (r) => num(r.n) },
                                    { key: 's', title: 'Доля', num: true, render: (r) => percent(d.customers ? r.n / d.customers : 0) },
                                ]}
                            />
                            <button type="button" disabled={act.busy} onClick={store}>
                                Сохранить оценки как признаки
                            </button>
                            {act.msg ? <p role="status">{act.msg}</p> : null}
                        </section>
                    </div>
                )}
            </Loaded>
        </>
    );
}
