// join_kit.mjs - what the join form's and the tablet's browser tests share: the server's SMS
// webhook pointed at the harness's test gateway, the join point's store, the consent documents,
// a declared attribute and a topic; and a wallet configuration for the card page's buttons.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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


/**
 * serve's `--wallet` and a configuration made for the test (docs/wallet.md): a test CA standing
 * in for Apple's WWDR, a pass certificate it signs, a Google service account's key, all made by
 * Debian's openssl in a fresh folder. The pages then offer the wallet buttons.
 */
export function walletArgs() {
    const dir = mkdtempSync(join(tmpdir(), 'kt-wallet-'));
    const ssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'wwdr.pem',
        '-days', '30', '-subj', '/CN=Kartoteka Test WWDR CA');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'pass.key', '-out', 'pass.csr',
        '-subj', '/UID=pass.ru.example.loyalty/CN=Pass Type ID: pass.ru.example.loyalty/OU=ABCDE12345');
    ssl('x509', '-req', '-in', 'pass.csr', '-CA', 'wwdr.pem', '-CAkey', 'ca.key',
        '-CAcreateserial', '-out', 'pass.pem', '-days', '30');
    ssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key');
    writeFileSync(join(dir, 'google-sa.json'), JSON.stringify({
        type: 'service_account', client_email: 'kt-test@example.iam.gserviceaccount.com',
        private_key: readFileSync(join(dir, 'sa.key'), 'utf8'),
    }));
    writeFileSync(join(dir, 'wallet.json'), JSON.stringify({
        organization: 'Магазин на Лесной', description: 'Карта магазина на Лесной',
        apple: { pass_type_id: 'pass.ru.example.loyalty', team_id: 'ABCDE12345',
                 certificate: 'pass.pem', key: 'pass.key', wwdr: 'wwdr.pem',
                 apns_url: 'http://127.0.0.1:9' },
        google: { issuer_id: '3388000000012345678', class_id: 'loyalty',
                  service_account: 'google-sa.json' },
    }));
    return ['--wallet', join(dir, 'wallet.json')];
}
