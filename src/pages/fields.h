/*
 * fields.h - the profile's fields the customer's pages ask for (the join form all of them, the
 * questionnaire all but the phone): each with its label, input type, autocomplete token and the
 * message in Russian beside it when cleaning refuses its value.
 */
#ifndef KT_PAGES_FIELDS_H
#define KT_PAGES_FIELDS_H

#include <stddef.h>

#include "store/model.h"

struct pages_field {
    enum pf pf;
    const char *name, *label, *type, *autocomplete, *refused;
};

/* phone, first_name, last_name, birth_date, email - in the pages' order, the phone first. */
#define PAGES_FIELDS_N 5
extern const struct pages_field pages_fields[PAGES_FIELDS_N];

#endif
