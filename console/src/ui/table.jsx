// table.jsx - a data table: a caption (visible or for screen readers), column headers, one row per
// item; `columns` = [{key, title, render?(row), num?}], an empty text when there are no rows.
export function Table({ caption, columns, rows, empty = 'Нет данных', hideCaption = false, rowKey }) {
    return (
        // Focusable, so a keyboard can scroll a table wider than its place (axe:
        // scrollable-region-focusable); named by the caption.
        <div class="table-wrap" tabIndex={0} role="group" aria-label={caption}>
            <table>
                <caption class={hideCaption ? 'sr-only' : undefined}>{caption}</caption>
                <thead>
                    <tr>
                        {columns.map((c) => (
                            <th scope="col" class={c.num ? 'num' : undefined}>
                                {c.title}
                            </th>
                        ))}
                    </tr>
                </thead>
                <tbody>
                    {rows.length === 0 ? (
                        <tr>
                            <td colSpan={columns.length} class="muted">
                                {empty}
                            </td>
                        </tr>
                    ) : (
                        rows.map((r, i) => (
                            <tr key={rowKey ? rowKey(r) : i}>
                                {columns.map((c) => (
                                    <td class={c.num ? 'num' : undefined}>
                                        {c.render ? c.render(r) : (r[c.key] ?? '—')}
                                    </td>
                                ))}
                            </tr>
                        ))
                    )}
                </tbody>
            </table>
        </div>
    );
}
