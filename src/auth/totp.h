/*
 * totp.h - time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, a step of 30 s,
 * 6 digits, one step of drift either way, a step accepted once (the caller keeps the last one).
 * The console's second factor (docs/console.md, "TOTP"). HMAC-SHA1 is GnuTLS's (linked already
 * for TLS and the acts' signatures; OpenSSL is not linked). The secret is 20 random bytes, shown
 * to the user in base32 (RFC 4648, no padding) as authenticator apps take it.
 */
#ifndef KT_AUTH_TOTP_H
#define KT_AUTH_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

#define TOTP_SECRET_BYTES 20
#define TOTP_SECRET_CHARS 32 /* base32 of 20 bytes */
#define TOTP_STEP_S       30
#define TOTP_DIGITS       6

/* A new secret, in base32 (TOTP_SECRET_CHARS and a NUL). */
void totp_secret_new(char out[TOTP_SECRET_CHARS + 1]);

/* The HOTP value of `key` at counter `step` with `digits` digits (6 to 8; RFC 4226 section 5.3). */
uint32_t totp_hotp(const unsigned char *key, size_t len, uint64_t step, int digits);

/* The time step of `now_ms`. */
int64_t totp_step(int64_t now_ms);

/* Whether `code` (6 digits) is the code of base32 `secret` at the step of `now_ms` or one either
 * side, and that step comes after `last_step` (a step accepted once never again); the step it
 * matched in `*matched`. Every candidate is compared, in constant time. */
bool totp_check(const char *secret, const char *code, int64_t now_ms, int64_t last_step,
                int64_t *matched);

/* The otpauth:// URI an authenticator app reads (its QR code): label "Kartoteka:<account>", the
 * secret, issuer, SHA1, 6 digits, 30 s; `account` percent-encoded. In `a`. */
const char *totp_uri(const char *secret, const char *account, struct arena *a);

#endif
