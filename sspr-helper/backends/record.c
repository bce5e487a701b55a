#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "backends/record.h"
#include "support/err.h"
#include "wipe.h"

void sspr_material_init(struct sspr_material *m)
{
    memset(m, 0, sizeof(*m));
    m->counter = -1;
}

void sspr_record_init(struct sspr_record *r)
{
    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < SSPR_GATES_MAX; i++)
        sspr_material_init(&r->m[i]);
}

void sspr_material_clear(struct sspr_material *m)
{
    for (size_t i = 0; i < m->nvalues; i++) {
        sspr_wipe_free_str(m->values[i]);
        sspr_wipe_free_str(m->labels[i]);
    }
    sspr_wipe(m, sizeof(*m));
    sspr_material_init(m);
}

void sspr_record_clear(struct sspr_record *r)
{
    for (size_t i = 0; i < SSPR_GATES_MAX; i++)
        sspr_material_clear(&r->m[i]);
    r->registered = 0;
}

int sspr_record_empty(const struct sspr_record *r)
{
    for (size_t i = 0; i < SSPR_GATES_MAX; i++)
        if (r->m[i].present)
            return 0;
    return 1;
}

static int fits(const char *s, size_t max)
{
    return s != NULL && strnlen(s, max + 1) <= max;
}

int sspr_material_add(struct sspr_material *m, const char *value, const char *label)
{
    char *v, *l = NULL;

    if (m->nvalues >= SSPR_MATERIAL_VALUES || !fits(value, SSPR_MATERIAL_VALUE) ||
        (label != NULL && !fits(label, SSPR_MATERIAL_VALUE)))
        return SSPR_ERR_INVAL;
    if ((v = strdup(value)) == NULL || (label != NULL && (l = strdup(label)) == NULL)) {
        free(v);
        return SSPR_ERR_NOMEM;
    }
    m->values[m->nvalues] = v;
    m->labels[m->nvalues] = l;
    m->nvalues++;
    return SSPR_OK;
}

void sspr_material_remove(struct sspr_material *m, size_t i)
{
    if (i >= m->nvalues)
        return;
    sspr_wipe_free_str(m->values[i]);
    sspr_wipe_free_str(m->labels[i]);
    memmove(&m->values[i], &m->values[i + 1], (m->nvalues - i - 1) * sizeof(m->values[0]));
    memmove(&m->labels[i], &m->labels[i + 1], (m->nvalues - i - 1) * sizeof(m->labels[0]));
    m->nvalues--;
    m->values[m->nvalues] = NULL;
    m->labels[m->nvalues] = NULL;
}

static int set(char *dst, size_t cap, const char *src)
{
    if (!fits(src, cap - 1))
        return SSPR_ERR_INVAL;
    sspr_wipe(dst, cap);
    memcpy(dst, src, strlen(src) + 1);
    return SSPR_OK;
}

int sspr_material_set_text(struct sspr_material *m, const char *text)
{
    return set(m->text, sizeof(m->text), text);
}

int sspr_material_set_secret(struct sspr_material *m, const char *secret)
{
    return set(m->secret, sizeof(m->secret), secret);
}

int sspr_material_set_source(struct sspr_material *m, const char *source)
{
    return set(m->source, sizeof(m->source), source);
}

int sspr_material_copy(struct sspr_material *dst, const struct sspr_material *src)
{
    sspr_material_clear(dst);
    dst->present = src->present;
    dst->damaged = src->damaged;
    memcpy(dst->secret, src->secret, sizeof(dst->secret));
    dst->counter = src->counter;
    memcpy(dst->text, src->text, sizeof(dst->text));
    memcpy(dst->source, src->source, sizeof(dst->source));
    dst->since = src->since;
    for (size_t i = 0; i < src->nvalues; i++) {
        if (sspr_material_add(dst, src->values[i], src->labels[i]) != SSPR_OK) {
            sspr_material_clear(dst);
            return SSPR_ERR_NOMEM;
        }
    }
    return SSPR_OK;
}

int sspr_record_copy(struct sspr_record *dst, const struct sspr_record *src)
{
    sspr_record_clear(dst);
    for (size_t i = 0; i < SSPR_GATES_MAX; i++) {
        if (sspr_material_copy(&dst->m[i], &src->m[i]) != SSPR_OK) {
            sspr_record_clear(dst);
            return SSPR_ERR_NOMEM;
        }
    }
    dst->registered = src->registered;
    return SSPR_OK;
}

static int str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

int sspr_material_equal(const struct sspr_material *a, const struct sspr_material *b)
{
    if (a->present != b->present || a->damaged != b->damaged || a->counter != b->counter ||
        a->since != b->since || a->nvalues != b->nvalues || strcmp(a->secret, b->secret) != 0 ||
        strcmp(a->text, b->text) != 0 || strcmp(a->source, b->source) != 0)
        return 0;
    for (size_t i = 0; i < a->nvalues; i++)
        if (!str_eq(a->values[i], b->values[i]) || !str_eq(a->labels[i], b->labels[i]))
            return 0;
    return 1;
}
