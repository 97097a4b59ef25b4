/*
 * tls.c - the certificate and key checked before the listener opens (see tls.h).
 */
#include "http/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"

#define PEM_MAX (1 << 20) /* a chain of a few certificates is a few KiB */
#define DAY_MS  (86400 * 1000LL)

/* The whole file, NUL-terminated (malloc'd), or NULL. `mode` gets its permission bits. */
static char *read_pem(const char *path, size_t *len, mode_t *mode)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    struct stat st;
    char *p = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size < PEM_MAX) {
        p = kt_malloc((size_t)st.st_size + 1);
        size_t off = 0;
        while (off < (size_t)st.st_size) {
            ssize_t k = read(fd, p + off, (size_t)st.st_size - off);
            if (k <= 0) {
                break;
            }
            off += (size_t)k;
        }
        p[off] = '\0';
        *len = off;
        *mode = st.st_mode;
    }
    close(fd);
    return p;
}

/* The leaf's end of validity (ms), after checking the chain parses; -1 when it does not. */
static int64_t cert_not_after(const char *pem, size_t len)
{
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)len};
    gnutls_x509_crt_t *crts = NULL;
    unsigned n = 0;
    if (gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM, 0) < 0 || n == 0) {
        return -1;
    }
    time_t t = gnutls_x509_crt_get_expiration_time(crts[0]);
    for (unsigned i = 0; i < n; i++) {
        gnutls_x509_crt_deinit(crts[i]);
    }
    gnutls_free(crts);
    return t == (time_t)-1 ? -1 : (int64_t)t * 1000;
}

static bool key_parses(const char *pem, size_t len)
{
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)len};
    gnutls_x509_privkey_t k;
    if (gnutls_x509_privkey_init(&k) < 0) {
        return false;
    }
    bool ok = gnutls_x509_privkey_import2(k, &d, GNUTLS_X509_FMT_PEM, NULL, 0) >= 0;
    gnutls_x509_privkey_deinit(k);
    return ok;
}

/* The pair as libmicrohttpd will load it: the key must be the leaf's. */
static bool pair_matches(const struct http_tls *t, size_t cert_len, size_t key_len)
{
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0) {
        return false;
    }
    gnutls_datum_t c = {(unsigned char *)t->cert_pem, (unsigned)cert_len};
    gnutls_datum_t k = {(unsigned char *)t->key_pem, (unsigned)key_len};
    bool ok = gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM) >= 0;
    gnutls_certificate_free_credentials(cred);
    return ok;
}

static enum kt_rc check(struct http_tls *t, const char *cert_path, const char *key_path,
                        int64_t now_ms, struct kt_err *err)
{
    size_t cert_len = 0, key_len = 0;
    mode_t cert_mode = 0, key_mode = 0;
    t->cert_pem = read_pem(cert_path, &cert_len, &cert_mode);
    if (t->cert_pem == NULL || (t->not_after_ms = cert_not_after(t->cert_pem, cert_len)) < 0) {
        return kt_err_set(err, KT_EINVAL, "tls_cert", "tls-cert",
                          "'%s' cannot be read as a PEM certificate", cert_path);
    }
    t->key_pem = read_pem(key_path, &key_len, &key_mode);
    if (t->key_pem == NULL || !key_parses(t->key_pem, key_len)) {
        return kt_err_set(err, KT_EINVAL, "tls_key", "tls-key",
                          "'%s' cannot be read as an unencrypted PEM private key", key_path);
    }
    if (!pair_matches(t, cert_len, key_len)) {
        return kt_err_set(err, KT_EINVAL, "tls_mismatch", "tls-key",
                          "the key in '%s' is not the key of the certificate in '%s'", key_path,
                          cert_path);
    }
    if (t->not_after_ms <= now_ms) {
        return kt_err_set(err, KT_EINVAL, "tls_expired", "tls-cert",
                          "the certificate in '%s' has expired", cert_path);
    }
    if (key_mode & (S_IRWXG | S_IRWXO)) {
        /* Secrets mounted by an orchestrator are often 0644 inside a container only this
         * process runs in: warn, do not refuse. */
        log_warn("tls", "msg=\"the TLS key file can be read by other users; chmod 600 it\"");
    }
    if (t->not_after_ms - now_ms < HTTP_TLS_WARN_DAYS * DAY_MS) {
        log_warn("tls", "msg=\"the TLS certificate expires soon\" days_left=%lld",
                 (long long)((t->not_after_ms - now_ms) / DAY_MS));
    }
    return KT_OK;
}

enum kt_rc http_tls_load(const char *cert_path, const char *key_path, int64_t now_ms,
                         struct http_tls *out, struct kt_err *err)
{
    memset(out, 0, sizeof(*out));
    enum kt_rc rc = check(out, cert_path, key_path, now_ms, err);
    if (rc != KT_OK) {
        http_tls_free(out);
    }
    return rc;
}

void http_tls_free(struct http_tls *t)
{
    if (t->key_pem != NULL) {
        sodium_memzero(t->key_pem, strlen(t->key_pem));
    }
    free(t->key_pem);
    free(t->cert_pem);
    memset(t, 0, sizeof(*t));
}

bool http_addr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a)) {
            return true;
        }
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return false;
}
