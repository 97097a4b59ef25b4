/*
 * model.c - one pair scored after a run (dedup.h, "one pair, later"): the m and u a run learnt,
 * kept (the base's run stores them, quality/duplicates.c), score a new customer against those
 * who may be her without learning again; and the vetoes, which no weight overrides.
 */
#include <math.h>
#include <string.h>

#include "dedup/dedup.h"

#define TINY 1e-6

void dedup_model_of(const struct dedup_stats *st, struct dedup_model *m)
{
    m->lambda = st->lambda;
    memcpy(m->m, st->m, sizeof(m->m));
    memcpy(m->u, st->u, sizeof(m->u));
}

double dedup_level_weight(const struct dedup_model *m, size_t field, int level)
{
    if (level < 0 || level > 3) {
        return 0;
    }
    double mm = m->m[field][level] > TINY ? m->m[field][level] : TINY;
    double u = m->u[field][level] > TINY ? m->u[field][level] : TINY;
    return log2(mm / u);
}

bool dedup_vetoed(const struct dedup_conf *c, const int8_t *level)
{
    /* a field with a veto present and different on both sides: two people */
    for (size_t f = 0; f < c->n_fields; f++) {
        int g = c->field[f].veto_if;
        if (c->field[f].veto && level[f] == 0 &&
            (g < 0 || level[g] == dedup_levels(c->field[g].kind) - 1)) {
            return true;
        }
    }
    return false;
}

double dedup_score(const struct dedup_conf *c, const struct dedup_model *m,
                   const struct dedup_value *x, const struct dedup_value *y, int8_t *level,
                   double *prob)
{
    double lambda = m->lambda > TINY ? (m->lambda < 1 - TINY ? m->lambda : 1 - TINY) : TINY;
    double w = log2(lambda / (1 - lambda));
    for (size_t f = 0; f < c->n_fields; f++) {
        level[f] = (int8_t)dedup_compare(c->field[f].kind, &x[f], &y[f]);
        w += dedup_level_weight(m, f, level[f]);
    }
    *prob = 1.0 / (1.0 + exp2(-w));
    return w;
}
