/*
 * model.c - names of the profile fields.
 */
#include "store/model.h"

#include <string.h>

const char *const pf_names[PF_COUNT] = {"last_name", "first_name", "middle_name",
                                        "gender",    "birth_date", "email",
                                        "phone",     "city",       "address"};

int pf_lookup(const char *name)
{
    for (int i = 0; i < PF_COUNT; i++) {
        if (strcmp(pf_names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}
