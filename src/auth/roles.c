/*
 * roles.c - the role -> scope table (see roles.h): the contract of issue 15, written once here.
 */
#include "auth/roles.h"

#include <string.h>

static const struct role roles[] = {
    {"admin", SCOPE_ADMIN, false},     {"marketer", SCOPE_MARKETER, false},
    {"analyst", SCOPE_ANALYST, false}, {"store_manager", SCOPE_MANAGER, true},
    {"dpo", SCOPE_DPO, false},
};

const struct role *role_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (strcmp(roles[i].name, name) == 0) {
            return &roles[i];
        }
    }
    return NULL;
}

const char *role_names(void)
{
    return "admin, marketer, analyst, store_manager or dpo";
}
