// complete.js - completion for the segment language (docs/segments.md, "Grammar") as one types:
// given the text, the cursor and the words of this base (GET /v1/segments/language), what may
// come next at the cursor and the span it replaces. Context decides the list: an event type after
// "events(", a purpose after "consent(", a channel after its comma, a trait after "trait", a saved
// segment (quoted) after "in segment", an RFM group after "trait rfm_group =", else the profile
// fields, the attributes and the keywords.

/** The word being typed before `pos`: its start and text (letters, digits, _ and a quote). */
function wordAt(text, pos) {
    let s = pos;
    while (s > 0 && /[A-Za-z0-9_"]/.test(text[s - 1])) {
        s -= 1;
    }
    return { start: s, prefix: text.slice(s, pos) };
}

const tokens = (before) => before.match(/[A-Za-z_][A-Za-z0-9_]*|"[^"]*"?|\d+|[(),.]|[<>!=]=?/g) || [];

/**
 * suggest(text, pos, lang) -> {start, end, items: [{label, insert, kind}]}; items are empty when
 * nothing fits. `lang` is GET /v1/segments/language's reply.
 */
export function suggest(text, pos, lang) {
    const { start, prefix } = wordAt(text, pos);
    const toks = tokens(text.slice(0, start));
    const last = toks[toks.length - 1] || '';
    const prev = toks[toks.length - 2] || '';
    const opener = (() => {
        // the function whose parentheses the cursor is in, and how many commas came after "("
        let depth = 0;
        let commas = 0;
        for (let i = toks.length - 1; i >= 0; i -= 1) {
            const t = toks[i];
            if (t === ')') {
                depth += 1;
            } else if (t === '(') {
                if (depth === 0) {
                    return { name: toks[i - 1] || '', commas, first: toks[i + 1] || '' };
                }
                depth -= 1;
            } else if (t === ',' && depth === 0) {
                commas += 1;
            }
        }
        return null;
    })();
    let pool;
    if (last === 'trait') {
        pool = lang.traits.map((t) => ({ label: t, kind: 'признак' }));
    } else if (prev === 'trait' || (toks[toks.length - 3] === 'trait' && /[<>!=]/.test(last))) {
        pool = /[<>!=]/.test(last) && toks[toks.length - 2] === 'rfm_group'
            ? lang.rfm_groups.map((g) => ({ label: `"${g}"`, kind: 'группа RFM' }))
            : lang.operators.map((o) => ({ label: o, kind: 'оператор' }));
    } else if (last === 'segment' && prev === 'in') {
        pool = lang.segments.map((s) => ({ label: `"${s}"`, kind: 'сегмент' }));
    } else if (opener && opener.name === 'events' && last === '(') {
        pool = lang.event_types.map((e) => ({ label: e.name, kind: 'событие' }));
    } else if (opener && opener.name === 'events' && last === 'where') {
        const type = lang.event_types.find((e) => e.name === opener.first);
        pool = (type ? type.properties : []).map((p) => ({ label: p, kind: 'свойство' }));
    } else if (opener && opener.name === 'consent' && last === '(') {
        pool = lang.purposes.map((p) => ({ label: p, kind: 'цель' }));
    } else if (opener && (opener.name === 'consent' || opener.name === 'subscribed') && last === ',') {
        pool = lang.channels.map((c) => ({ label: c, kind: 'канал' }));
    } else if (opener && opener.name === 'bought' && last === '(') {
        pool = [{ label: 'category', kind: 'слово' }, { label: 'sku', kind: 'слово' }];
    } else if (opener && last === ',') {
        pool = [{ label: 'last', kind: 'слово' }];
    } else if (last === 'last' || /^\d+$/.test(last)) {
        pool = /^\d+$/.test(last) ? [{ label: 'days', kind: 'слово' }] : [];
    } else if (last === '.' && prev === ')') {
        pool = ['count', 'sum', 'average'].map((w) => ({ label: w, kind: 'агрегат' }));
    } else if (last === '.' && prev === 'points') {
        pool = [{ label: 'balance', kind: 'слово' }];
    } else {
        pool = [
            ...lang.fields.map((f) => ({ label: f, kind: 'поле' })),
            ...lang.attributes.map((a) => ({ label: a.name, kind: `атрибут, ${a.type}` })),
            ...lang.keywords.map((k) => ({ label: k, kind: 'слово' })),
        ];
    }
    const p = prefix.toLowerCase();
    const items = pool
        .filter((x) => x.label.toLowerCase().startsWith(p) && x.label !== prefix)
        .slice(0, 30)
        .map((x) => ({ ...x, insert: x.label }));
    return { start, end: pos, items };
}

/** The text with item `it` put in place of [start, end), and where the cursor goes. */
export function accept(text, s, it) {
    const rest = text.slice(s.end);
    const space = rest.startsWith(' ') || rest.startsWith(')') || rest.startsWith(',') ? '' : ' ';
    const out = text.slice(0, s.start) + it.insert + space + rest;
    return { text: out, pos: s.start + it.insert.length + space.length };
}
