// clusters.jsx - clusters (docs/console.md, "Clusters"): k-means over the customers with receipts
// (POST /v1/clusters {k, as_trait}: RFM, channel mix, category shares), each cluster's size and
// description, the silhouette; stored as the trait `cluster` when asked, so segments can use it.
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Field, Form, fieldError, formError } from '../ui/form.jsx';
import { Title } from '../ui/layout.jsx';
import { Table } from '../ui/table.jsx';
import { num, percent } from '../ui/analytics.js';
import '../ui/analytics.css';

export default function Clusters() {
    const [k, setK] = useState('4');
    const [asTrait, setAsTrait] = useState(false);
    const [res, setRes] = useState(null);
    const [err, setErr] = useState(null);
    const [busy, setBusy] = useState(false);
    const run = async () => {
        setBusy(true);
        setErr(null);
        try {
            setRes(await api('POST', '/v1/clusters', { k: Number(k), as_trait: asTrait }));
        } catch (e) {
            setErr(e);
        } finally {
            setBusy(false);
        }
    };
    const rows = useMemo(() => (res ? [...res.clusters].sort((a, b) => b.size - a.size) : []), [res]);
    return (
        <>
            <Title sub="Группы похожих покупателей: давность, частота и сумма покупок, каналы, категории">Кластеры</Title>
            <Form label="Расчёт кластеров" onSubmit={run} busy={busy} submit={busy ? 'Считаю...' : 'Рассчитать'} error={formError(err, ['k'])}>
                <div class="row">
                    <Field label="Число кластеров (2–20)" name="k" type="number" min="2" max="20" value={k} onInput={setK} error={fieldError(err, 'k')} />
                    <div class="field">
                        <label>
                            <input type="checkbox" checked={asTrait} onChange={(e) => setAsTrait(e.currentTarget.checked)} /> сохранить кластер как признак cluster
                        </label>
                    </div>
                </div>
            </Form>
            {res ? (
                <>
                    <p role="status">
                        Покупателей: {num(res.customers)}; силуэт {res.silhouette.toFixed(2)} (чем ближе к 1, тем чётче границы); {Math.round(res.took_ms)} мс
                        {res.stored ? '; сохранено как признак cluster' : ''}.
                    </p>
                    <Table
                        caption="Кластеры"
                        rows={rows}
                        rowKey={(r) => r.cluster}
                        columns={[
                            { key: 'cluster', title: '№', num: true },
                            { key: 'size', title: 'Покупателей', num: true, render: (r) => num(r.size) },
                            { key: 'share', title: 'Доля', num: true, render: (r) => percent(res.customers ? r.size / res.customers : 0) },
                            { key: 'description', title: 'Описание' },
                        ]}
                    />
                </>
            ) : null}
        </>
    );
}
