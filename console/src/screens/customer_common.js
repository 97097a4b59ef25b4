// customer_common.js - what the customer screens (customers.jsx, customer360.jsx) share.

/** The customer's name as Russian documents write it (surname first), or the id. */
export function displayName(c) {
    const p = c.profile || {};
    return p.full_name || [p.last_name, p.first_name, p.middle_name].filter(Boolean).join(' ') || c.id;
}

export function identifier(c, kind) {
    const id = (c.identifiers || []).find((i) => i.kind === kind);
    return id ? id.value : '—';
}
