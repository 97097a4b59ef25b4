// console_msg_kit.mjs - what the messaging, privacy and settings screens' browser tests share:
// a page of the console logged in as an admin, and the seed of a
// marketing e-mail (documents, topic, public URL, a template, customers with consent and
// subscription, a segment).
import { ok } from './harness.mjs';

/** serve's arguments that send e-mail to `sink` (smtp_sink.mjs), as tests/e2e/test_campaigns.py. */
export const SMTP_ARGS = (sink) => ['--smtp-url', sink.url, '--smtp-from', 'shop@example.ru',
                                    '--smtp-starttls', 'never', '--outbox-retry', '200'];

export { adminPage } from './console_kit.mjs';

/** The documents, topic `promo`, public URL and e-mail template `spring` a marketing e-mail
 *  needs; `n` customers with an e-mail, the ads consent and the topic; segment `mailable`.
 *  Returns the customers' addresses. */
export async function mailSetup(s, n, prefix) {
    await ok(s.put('/v1/privacy/settings', { public_url: s.url }));
    await ok(s.put('/v1/consent-documents/cmp-pd', {
        purpose: 'pd_processing', title: 'Согласие на обработку ПДн', body: 'Согласие.' }), 201);
    await ok(s.put('/v1/consent-documents/cmp-ads', {
        purpose: 'ads', title: 'Согласие на рекламу', body: 'Согласие на рекламу.' }), 201);
    await ok(s.put('/v1/topics/promo', { title: 'Акции', channels: ['email'] }), 201);
    await ok(s.put('/v1/templates/spring', {
        channel: 'email', subject: 'Весна: скидка 10%',
        text: '{{first_name | default: "Покупатель"}}, ждём вас.',
        html: '<p>{{first_name | default: "Покупатель"}}, ждём вас.</p>' }), 201);
    const names = ['Анна', 'Борис', 'Вера', 'Глеб', 'Дина'];
    const addrs = [];
    for (let i = 0; i < n; i++) {
        const email = `${prefix}-${i}@example.org`;
        const c = await ok(s.post('/v1/customers', {
            source: { channel: 'web' }, profile: { email, first_name: names[i % names.length] },
            consents: [
                { purpose: 'pd_processing', document: 'cmp-pd', granted: true,
                  evidence: { form_id: 'f-1' } },
                { purpose: 'ads', channel: 'email', document: 'cmp-ads', granted: true,
                  evidence: { form_id: 'f-1' } }],
        }), 201);
        await ok(s.post(`/v1/customers/${c.customer.id}/subscriptions`,
                        { topic: 'promo', channel: 'email', subscribed: true }));
        addrs.push(email);
    }
    await ok(s.post('/v1/segments', { name: 'mailable', query: 'has email' }), 201);
    return addrs;
}
