/*
 * roles.h - the console's roles and the key scope each gives a session (issue 15,
 * docs/console-plan.md parts 2 and 3). A session is a caller as an API key is: its scope is its
 * role's, and a store manager's session is limited to the user's stores as a store-limited key
 * is. The table is data, in roles.c; docs/api.md's scopes table says what each scope may call.
 */
#ifndef KT_AUTH_ROLES_H
#define KT_AUTH_ROLES_H

#include <stdbool.h>

#include "store/model.h"

struct role {
    const char *name;     /* on the wire and in the users table */
    enum key_scope scope; /* what a session of this role may call */
    bool stores;          /* the user is limited to stores (a list is required) */
};

/* The role named `name`, or NULL. */
const struct role *role_find(const char *name);

/* "admin, marketer, analyst, store_manager or dpo": the names for a message. */
const char *role_names(void);

#endif
