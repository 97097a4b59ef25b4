/*
 * wallet_int.h - the loaded configuration, shared by the wallet's files (conf.c reads it).
 */
#ifndef KT_WALLET_WALLET_INT_H
#define KT_WALLET_WALLET_INT_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "wallet/wallet.h"

#define WALLET_IMAGES_MAX 16

struct wallet_image {
    char *name; /* "icon.png" */
    unsigned char *data;
    size_t len;
};

struct wallet {
    char *organization, *description;
    /* Apple: absent when pass_type is NULL */
    char *pass_type, *team_id, *apns_url;
    char *cert_path, *key_path; /* for APNs' client certificate (libcurl reads the files) */
    gnutls_x509_crt_t cert, wwdr;
    gnutls_privkey_t key;
    struct wallet_image images[WALLET_IMAGES_MAX];
    size_t n_images;
    /* Google: absent when issuer is NULL */
    char *issuer, *class_id, *client_email;
    gnutls_privkey_t google_key;
};

/* A PNG `side` pixels square of one colour, for a pass without images of its own (malloc). */
bool wallet_icon_png(unsigned side, unsigned char **out, size_t *len);

#endif
