/*
 * tls.h - serving HTTPS (docs/operations.md, "TLS"): the certificate and key read and checked at
 * start, so that a wrong file stops the server with a reason instead of a listener that fails
 * every handshake; and the rule that a server reachable beyond loopback speaks TLS unless the
 * operator says a proxy terminates it.
 *
 * libmicrohttpd does the TLS itself (Debian builds it with GnuTLS); we use GnuTLS only to read
 * and check the files, with the same library the handshakes will use.
 */
#ifndef KT_HTTP_TLS_H
#define KT_HTTP_TLS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/err.h"

/* TLS 1.2 and 1.3 only, the server's order of ciphers (GnuTLS priority string). */
#define HTTP_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE"

/* Sent on every reply over TLS: browsers keep to HTTPS for a year. Not includeSubDomains: the
 * retailer's other hosts are not ours to promise for. */
#define HTTP_HSTS "max-age=31536000"

/* A certificate expiring sooner than this is warned about at start. */
#define HTTP_TLS_WARN_DAYS 14

struct http_tls {
    char *cert_pem; /* the chain, leaf first (malloc'd, NUL-terminated) */
    char *key_pem;  /* the private key (malloc'd, wiped when freed) */
    int64_t not_after_ms;
};

/*
 * Reads a PEM certificate chain and its private key and checks that they are a pair GnuTLS can
 * serve: KT_EINVAL with code tls_cert (unreadable or not a certificate), tls_key (unreadable, or
 * not an unencrypted key) or tls_mismatch (the key is not the certificate's). An expired
 * certificate is refused too (tls_expired): no client would accept it. A key file others may
 * read, and a certificate that expires within HTTP_TLS_WARN_DAYS, are logged as warnings.
 */
enum kt_rc http_tls_load(const char *cert_path, const char *key_path, int64_t now_ms,
                         struct http_tls *out, struct kt_err *err);
void http_tls_free(struct http_tls *t);

/* True for 127.0.0.0/8, ::1 and IPv4-mapped 127.x: nobody but this machine can connect. */
bool http_addr_is_loopback(const struct sockaddr *sa);

#endif
