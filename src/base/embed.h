/*
 * embed.h - files compiled into the binary (migrations, the OpenAPI description, web pages),
 * generated at build time by tools/embed.c.
 */
#ifndef KT_BASE_EMBED_H
#define KT_BASE_EMBED_H

#include <stddef.h>

struct embedded_file {
    const char *name; /* base name, e.g. "0001_init.sql" */
    const char *data; /* NUL-terminated */
    size_t len;       /* without the NUL */
};

#endif
