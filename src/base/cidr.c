/*
 * cidr.c - networks of addresses and the forwarded client (cidr.h). Addresses are compared as
 * bytes from inet_pton; nothing here resolves a name.
 */
#include "base/cidr.h"

#include <arpa/inet.h>
#include <string.h>

#include "base/num.h"
#include "base/str.h"

/* `ip` (NUL-terminated) as bytes: its family, or 0 when it is no numeric address. A mapped
 * IPv4 address ("::ffff:a.b.c.d") is IPv4. */
static int addr_of(const char *ip, unsigned char out[16])
{
    if (inet_pton(AF_INET, ip, out) == 1) {
        return AF_INET;
    }
    if (inet_pton(AF_INET6, ip, out) != 1) {
        return 0;
    }
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(out, mapped, sizeof(mapped)) == 0) {
        memmove(out, out + 12, 4);
        return AF_INET;
    }
    return AF_INET6;
}

bool cidr_parse(const char *text, size_t len, struct cidr *out)
{
    char ip[CIDR_IP_MAX];
    const char *slash = memchr(text, '/', len);
    size_t iplen = slash != NULL ? (size_t)(slash - text) : len;
    if (iplen == 0 || iplen >= sizeof(ip)) {
        return false;
    }
    memcpy(ip, text, iplen);
    ip[iplen] = '\0';
    memset(out, 0, sizeof(*out));
    out->family = addr_of(ip, out->addr);
    if (out->family == 0) {
        return false;
    }
    int64_t max = out->family == AF_INET ? 32 : 128, bits = max;
    if (slash != NULL && !num_parse_i64(slash + 1, len - iplen - 1, 0, max, &bits)) {
        return false;
    }
    out->bits = (int)bits;
    for (int i = out->bits; i < max; i++) { /* the host bits cleared: the network */
        out->addr[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
    }
    return true;
}

bool cidr_list_parse(const char *text, struct cidr_list *out)
{
    memset(out, 0, sizeof(*out));
    for (const char *p = text; *text != '\0';) { /* "" is no proxy; "a," an empty item */
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        struct str item = str_trim((struct str){p, len});
        if (out->n == CIDR_LIST_MAX || !cidr_parse(item.p, item.len, &out->v[out->n])) {
            return false;
        }
        out->n++;
        if (comma == NULL) {
            break;
        }
        p = comma + 1;
    }
    return true;
}

static bool in(const struct cidr *c, int family, const unsigned char a[16])
{
    if (c->family != family) {
        return false;
    }
    int whole = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->addr, a, (size_t)whole) != 0) {
        return false;
    }
    unsigned char mask = (unsigned char)(0xff00u >> rest);
    return rest == 0 || (a[whole] & mask) == c->addr[whole];
}

bool cidr_list_has(const struct cidr_list *l, const char *ip)
{
    unsigned char a[16];
    int family = addr_of(ip, a);
    for (size_t i = 0; family != 0 && i < l->n; i++) {
        if (in(&l->v[i], family, a)) {
            return true;
        }
    }
    return false;
}

/* `ip` in its canonical text into `out` (CIDR_IP_MAX); false when it is no address. */
static bool canonical(const char *ip, char *out)
{
    unsigned char a[16];
    int family = addr_of(ip, a);
    return family != 0 && inet_ntop(family, a, out, CIDR_IP_MAX) != NULL;
}

void cidr_client(const struct cidr_list *trusted, const char *peer, const char *xff, char *out)
{
    if (!canonical(peer, out)) {
        out[0] = '\0';
        return;
    }
    if (xff == NULL || trusted->n == 0 || !cidr_list_has(trusted, out)) {
        return;
    }
    size_t end = strlen(xff);
    while (end > 0) { /* from the nearest hop back */
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',') {
            start--;
        }
        struct str item = str_trim((struct str){xff + start, end - start});
        char ip[CIDR_IP_MAX], hop[CIDR_IP_MAX];
        if (item.len == 0 || item.len >= sizeof(ip)) {
            return;
        }
        memcpy(ip, item.p, item.len);
        ip[item.len] = '\0';
        if (!canonical(ip, hop)) {
            return;
        }
        memcpy(out, hop, sizeof(hop));
        if (!cidr_list_has(trusted, hop)) {
            return;
        }
        end = start > 0 ? start - 1 : 0;
    }
}
