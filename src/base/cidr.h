/*
 * cidr.h - networks of addresses ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7") and the client's
 * address behind a reverse proxy the operator trusts (serve --trusted-proxy; docs/operations.md,
 * "Behind a reverse proxy"): the X-Forwarded-For header is believed only when the connection
 * comes from such a proxy, and only as far back as the proxies are trusted.
 */
#ifndef KT_BASE_CIDR_H
#define KT_BASE_CIDR_H

#include <stdbool.h>
#include <stddef.h>

#define CIDR_LIST_MAX 16
#define CIDR_IP_MAX   46 /* INET6_ADDRSTRLEN: a numeric address as text and its NUL */

struct cidr {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16]; /* the network, host bits zero (4 bytes used for AF_INET) */
    int bits;               /* the prefix length */
};

struct cidr_list {
    struct cidr v[CIDR_LIST_MAX];
    size_t n; /* 0: none trusted */
};

/* "NET/BITS" or one address, `len` bytes at `text`; false when it is neither. */
bool cidr_parse(const char *text, size_t len, struct cidr *out);

/* A comma-separated list of cidr_parse's (at most CIDR_LIST_MAX), "" for none; false when an
 * item does not parse or there are too many. */
bool cidr_list_parse(const char *text, struct cidr_list *out);

/* Whether the numeric address `ip` lies in one of the networks of `l`. */
bool cidr_list_has(const struct cidr_list *l, const char *ip);

/*
 * The client's address of a request that came from `peer` with X-Forwarded-For `xff` (NULL when
 * absent) into `out` (CIDR_IP_MAX bytes): `peer` itself unless it is a trusted proxy; then the
 * header's addresses are walked from the right (the nearest hop), past trusted proxies, to the
 * first that is not one - the client as the outermost trusted proxy saw it. An entry that is no
 * address stops the walk at the last address believed (what came before it, the client wrote).
 * An IPv4 address mapped into IPv6 ("::ffff:192.0.2.7") is written as IPv4.
 */
void cidr_client(const struct cidr_list *trusted, const char *peer, const char *xff, char *out);

#endif
