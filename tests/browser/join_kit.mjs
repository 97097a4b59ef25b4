// join_kit.mjs - what the join form's and the tablet's browser tests share: the server's SMS
// webhook pointed at the harness's test gateway, the join point's store, the consent documents,
// a declared attribute and a topic.
import { ok } from './harness.mjs';

/** The join point's store, the documents, a declared attribute and a topic. */
export async function joinSetup(s) {
    await ok(s.put('/v1/privacy/settings', { public_url: s.url }));
    await ok(s.put('/v1/stores/MSK-7', { title: 'Магазин на Лесной', city: 'Москва' }), 201);
    await ok(s.put('/v1/consent-documents/pd-join', {
        purpose: 'pd_processing', title: 'Согласие на обработку ПДн',
        body: 'Я даю согласие на обработку персональных данных для программы лояльности.',
    }), 201);
    await ok(s.put('/v1/consent-documents/ads-join', {
        purpose: 'ads', title: 'Согласие на рекламу', body: 'Я согласен получать рекламу.',
    }), 201);
    await ok(s.put('/v1/attributes/pets', {
        type: 'list', items: 'enum', title: 'Питомцы', values: ['кошка', 'собака'],
    }), 201);
    await ok(s.put('/v1/topics/promo', { title: 'Акции', channels: ['sms', 'email'] }), 201);
}

/** A join point of the store at `spot`: its code. */
export async function joinPoint(s, spot) {
    return (await ok(s.post('/v1/join-points', { store: 'MSK-7', spot }), 201)).code;
}

/** serve's arguments that send the SMS to `gateway` (startSmsGateway()). */
export const SMS_ARGS = (gateway) => ['--sms-url', gateway.url, '--sms-backoff', '50',
                                      '--sms-text', 'Код {{code}}'];

