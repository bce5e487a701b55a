/* The gate table, in menu order, and the lookups everyone else uses. */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gates/gate.h"
#include "support/err.h"

/* Each gate's struct lives in its own file. */
extern const struct sspr_gate sspr_gate_totp, sspr_gate_recovery, sspr_gate_email, sspr_gate_sms,
    sspr_gate_questions;

static const struct sspr_gate *const TABLE[] = {
    &sspr_gate_totp, &sspr_gate_recovery, &sspr_gate_email, &sspr_gate_sms, &sspr_gate_questions,
};
#define N_GATES (sizeof(TABLE) / sizeof(TABLE[0]))

_Static_assert(N_GATES <= SSPR_GATES_MAX, "the record has room for every gate");

size_t sspr_gate_count(void)
{
    return N_GATES;
}

const struct sspr_gate *sspr_gate_at(size_t i)
{
    return i < N_GATES ? TABLE[i] : NULL;
}

size_t sspr_gate_index(const struct sspr_gate *g)
{
    for (size_t i = 0; i < N_GATES; i++)
        if (TABLE[i] == g)
            return i;
    return N_GATES;
}

unsigned sspr_gate_bit(const struct sspr_gate *g)
{
    size_t i = sspr_gate_index(g);

    return i < N_GATES ? 1u << i : 0;
}

const struct sspr_gate *sspr_gate_by_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_GATES; i++)
        if (strcmp(TABLE[i]->name, name) == 0)
            return TABLE[i];
    return NULL;
}

const struct sspr_gate *sspr_gate_by_bit(unsigned bit)
{
    for (size_t i = 0; i < N_GATES; i++)
        if (bit == 1u << i)
            return TABLE[i];
    return NULL;
}

unsigned sspr_gates_all(void)
{
    return (1u << N_GATES) - 1;
}

unsigned sspr_gates_flagged(unsigned flags)
{
    unsigned set = 0;

    for (size_t i = 0; i < N_GATES; i++)
        if (TABLE[i]->flags & flags)
            set |= 1u << i;
    return set;
}

unsigned sspr_gates_usable(const struct sspr_record *rec)
{
    unsigned set = 0;

    for (size_t i = 0; i < N_GATES; i++)
        if (rec->m[i].present && TABLE[i]->usable(&rec->m[i]))
            set |= 1u << i;
    return set;
}

struct sspr_material *sspr_gate_material(struct sspr_record *rec, const struct sspr_gate *g)
{
    size_t i = sspr_gate_index(g);

    return i < N_GATES ? &rec->m[i] : NULL;
}

const struct sspr_material *sspr_gate_material_c(const struct sspr_record *rec,
                                                 const struct sspr_gate *g)
{
    size_t i = sspr_gate_index(g);

    return i < N_GATES ? &rec->m[i] : NULL;
}

const char *sspr_method_name(unsigned bit)
{
    const struct sspr_gate *g = sspr_gate_by_bit(bit);

    return g != NULL ? g->name : NULL;
}

int sspr_methods_parse(const char *words, unsigned *out)
{
    const char *p = words;
    unsigned set = 0;

    if (words == NULL || out == NULL)
        return SSPR_ERR_INVAL;
    while (*p != '\0') {
        size_t n = strcspn(p, " \t,");
        int found = 0;

        for (size_t i = 0; n > 0 && i < N_GATES; i++) {
            if (strlen(TABLE[i]->name) == n && strncasecmp(p, TABLE[i]->name, n) == 0) {
                set |= 1u << i;
                found = 1;
            }
        }
        if (n > 0 && !found)
            return SSPR_ERR_INVAL;
        p += n;
        p += strspn(p, " \t,");
    }
    *out = set;
    return SSPR_OK;
}

void sspr_methods_words(unsigned set, char *buf, size_t len)
{
    size_t o = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < N_GATES; i++) {
        if ((set & (1u << i)) == 0)
            continue;
        int n = snprintf(buf + o, len - o, "%s%s", o > 0 ? " " : "", TABLE[i]->name);
        if (n < 0 || (size_t)n >= len - o)
            break;
        o += (size_t)n;
    }
    if (o == 0)
        snprintf(buf, len, "none");
}
