// index.js - the console's screens, one line each (docs/console.md, "Adding a screen"): the
// address under /admin, the title in the navigation bar, the roles that may open it, and the
// module (loaded when first opened: each screen is its own chunk). A screen is a default-exported
// Preact component given {path, sub, query, session}: `sub` is the rest of the address after the
// screen's own path ("/c_..." of "/customers/c_..."), its sub-screens are its own business.
// The navigation bar lists only the screens of the session's role; the API still decides (a
// screen whose data the API refuses shows "Нет доступа").
export const ROLES = ['admin', 'marketer', 'analyst', 'store_manager', 'dpo'];

export const screens = [
    { path: '/customers', title: 'Покупатели', roles: ROLES, load: () => import('./customers.jsx') },
];
