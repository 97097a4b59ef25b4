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
    { path: '/templates', title: 'Шаблоны', roles: ['admin', 'marketer', 'analyst'], load: () => import('./templates.jsx') },
    { path: '/campaigns', title: 'Кампании', roles: ['admin', 'marketer', 'analyst'], load: () => import('./campaigns.jsx') },
    { path: '/journeys', title: 'Путешествия', roles: ['admin', 'marketer', 'analyst'], load: () => import('./journeys.jsx') },
    { path: '/privacy', title: 'Персональные данные', roles: ['admin', 'dpo'], load: () => import('./privacy.jsx') },
    { path: '/settings', title: 'Настройки', roles: ['admin'], load: () => import('./settings.jsx') },
    { path: '/segments', title: 'Сегменты', roles: ['admin', 'marketer', 'analyst'], load: () => import('./segments.jsx') },
    { path: '/traits', title: 'Признаки', roles: ['admin', 'marketer', 'analyst'], load: () => import('./traits.jsx') },
    { path: '/rfm', title: 'RFM', roles: ['admin', 'marketer', 'analyst'], load: () => import('./rfm.jsx') },
    { path: '/clusters', title: 'Кластеры', roles: ['admin', 'marketer', 'analyst'], load: () => import('./clusters.jsx') },
    { path: '/quality', title: 'Качество данных', roles: ['admin', 'marketer', 'analyst'], load: () => import('./quality.jsx') },
    { path: '/loyalty', title: 'Лояльность', roles: ['admin', 'marketer', 'analyst'], load: () => import('./loyalty.jsx') },
];
