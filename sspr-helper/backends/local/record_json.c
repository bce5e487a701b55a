/*
 * The local backend's account record, one JSON document per UID:
 *   {"version":1, "uid":N, "user":"name",
 *    "totp":{"secret":"BASE32","last_step":-1,"enrolled":T},
 *    "recovery":{"key":hex,"hashes":[hex...],"enrolled":T},
 *    "email":{"address":"a@b","source":"user","confirmed":T},
 *    "phone":{"number":"+49...","source":"admin","enrolled":T},
 *    "questions":[{"q":"text","h":"$argon2id$..."}, ...],
 *    "registered":T, "grant":"flow id"}
 * This file is the only place that knows those names. The shipped gates
 * keep the names they always had; a gate added later is stored under its
 * own name with generic member names. Parts nobody changed are left
 * exactly as they were on disk.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "backends/local/local.h"
#include "gates/gate.h"
#include "wipe.h"

struct part_names {
    const char *gate;
    const char *key;    /* member of the record */
    const char *secret; /* members of the part (NULL: not kept) */
    const char *counter;
    const char *values;
    const char *text;
    int has_source; /* the part says who set it */
    int qa_array;   /* the part is an array of {"q","h"} */
};

static const struct part_names SHIPPED[] = {
    { "totp", "totp", "secret", "last_step", NULL, NULL, 0, 0 },
    { "recovery", "recovery", "key", NULL, "hashes", NULL, 0, 0 },
    { "email", "email", NULL, NULL, NULL, "address", 1, 0 },
    { "sms", "phone", NULL, NULL, NULL, "number", 1, 0 },
    { "questions", "questions", NULL, NULL, NULL, NULL, 0, 1 },
};

static void names_for(const struct sspr_gate *g, struct part_names *out)
{
    for (size_t i = 0; i < sizeof(SHIPPED) / sizeof(SHIPPED[0]); i++) {
        if (strcmp(SHIPPED[i].gate, g->name) == 0) {
            *out = SHIPPED[i];
            return;
        }
    }
    *out = (struct part_names){ g->name, g->name, "secret", "counter", "values", "text", 1, 0 };
}

void sspr_local_user_key(unsigned long uid, char *key, size_t keylen)
{
    snprintf(key, keylen, "user-%lu", uid);
}

/* When it was set: the member's name says by whom. */
static const char *time_member(const struct part_names *pn, const char *source)
{
    if (!pn->has_source)
        return "enrolled";
    if (strcmp(source, "user") == 0)
        return "confirmed";
    if (strcmp(source, "import") == 0)
        return "imported";
    return "enrolled";
}

static int copy_string(const json_t *v, char *dst, size_t cap)
{
    if (!json_is_string(v) || json_string_length(v) >= cap ||
        strlen(json_string_value(v)) != json_string_length(v))
        return -1;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int decode_qa(const json_t *arr, struct sspr_material *m)
{
    size_t i;
    const json_t *e;

    if (!json_is_array(arr))
        return -1;
    json_array_foreach(arr, i, e) {
        const json_t *q = json_object_get(e, "q"), *h = json_object_get(e, "h");

        if (!json_is_object(e) || json_object_size(e) != 2 || !json_is_string(q) ||
            !json_is_string(h) || strlen(json_string_value(q)) != json_string_length(q) ||
            sspr_material_add(m, json_string_value(h), json_string_value(q)) != SSPR_OK)
            return -1;
    }
    return 0;
}

/* A part that cannot be read is kept as "present but unusable": the gate
 * then refuses it, and only this method of this account is affected. */
static void decode_part(const json_t *part, const struct part_names *pn, struct sspr_material *m)
{
    if (pn->qa_array) {
        if (decode_qa(part, m) != 0)
            goto damaged;
        m->present = 1;
        return;
    }
    if (!json_is_object(part))
        goto damaged;
    m->present = 1;
    if (pn->secret != NULL)
        (void)copy_string(json_object_get(part, pn->secret), m->secret, sizeof(m->secret));
    if (pn->counter != NULL) {
        const json_t *c = json_object_get(part, pn->counter);
        if (!json_is_integer(c))
            goto damaged;
        m->counter = (long long)json_integer_value(c);
    }
    if (pn->text != NULL)
        (void)copy_string(json_object_get(part, pn->text), m->text, sizeof(m->text));
    if (pn->values != NULL) {
        const json_t *arr = json_object_get(part, pn->values), *v;
        size_t i;

        if (!json_is_array(arr))
            goto damaged;
        json_array_foreach(arr, i, v) {
            if (!json_is_string(v) || sspr_material_add(m, json_string_value(v), NULL) != SSPR_OK)
                goto damaged;
        }
    }
    if (pn->has_source)
        (void)copy_string(json_object_get(part, "source"), m->source, sizeof(m->source));
    static const char *const times[] = { "enrolled", "confirmed", "imported" };
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        const json_t *t = json_object_get(part, times[i]);
        if (json_is_integer(t)) {
            m->since = (long long)json_integer_value(t);
            break;
        }
    }
    return;
damaged:
    sspr_material_clear(m);
    m->present = 1;
    m->damaged = 1;
}

int sspr_local_record_decode(const json_t *obj, struct sspr_record *out)
{
    const struct sspr_gate *g;
    const json_t *reg;

    sspr_record_init(out);
    if (!json_is_object(obj))
        return SSPR_ERR_CORRUPT;
    SSPR_GATE_FOREACH(i, g) {
        struct part_names pn;
        const json_t *part;

        names_for(g, &pn);
        part = json_object_get(obj, pn.key);
        if (part != NULL)
            decode_part(part, &pn, &out->m[i]);
    }
    reg = json_object_get(obj, "registered");
    out->registered = json_is_integer(reg) ? (long long)json_integer_value(reg) : 0;
    return SSPR_OK;
}

static json_t *encode_qa(const struct sspr_material *m)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr != NULL && i < m->nvalues; i++) {
        json_t *e = json_pack("{ss ss}", "q", m->labels[i] ? m->labels[i] : "", "h", m->values[i]);
        if (e == NULL || json_array_append_new(arr, e) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *encode_part(const struct sspr_material *m, const struct part_names *pn)
{
    json_t *o;

    if (pn->qa_array)
        return encode_qa(m);
    if ((o = json_object()) == NULL)
        return NULL;
    if (pn->text != NULL && json_object_set_new(o, pn->text, json_string(m->text)) != 0)
        goto fail;
    if (pn->secret != NULL && json_object_set_new(o, pn->secret, json_string(m->secret)) != 0)
        goto fail;
    if (pn->counter != NULL &&
        json_object_set_new(o, pn->counter, json_integer((json_int_t)m->counter)) != 0)
        goto fail;
    if (pn->values != NULL) {
        json_t *arr = json_array();
        if (arr == NULL || json_object_set_new(o, pn->values, arr) != 0)
            goto fail;
        for (size_t i = 0; i < m->nvalues; i++)
            if (json_array_append_new(arr, json_string(m->values[i])) != 0)
                goto fail;
    }
    if (pn->has_source && m->source[0] != '\0' &&
        json_object_set_new(o, "source", json_string(m->source)) != 0)
        goto fail;
    if (m->since != 0 &&
        json_object_set_new(o, time_member(pn, m->source), json_integer((json_int_t)m->since)) != 0)
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

int sspr_local_record_encode(json_t *obj, const struct sspr_record *before,
                             const struct sspr_record *after)
{
    const struct sspr_gate *g;

    SSPR_GATE_FOREACH(i, g) {
        struct part_names pn;

        if (sspr_material_equal(&before->m[i], &after->m[i]))
            continue;
        names_for(g, &pn);
        if (!after->m[i].present) {
            (void)json_object_del(obj, pn.key);
            continue;
        }
        json_t *part = encode_part(&after->m[i], &pn);
        if (part == NULL || json_object_set_new(obj, pn.key, part) != 0)
            return SSPR_ERR_NOMEM;
    }
    if (after->registered != before->registered) {
        if (after->registered == 0)
            (void)json_object_del(obj, "registered");
        else if (json_object_set_new(obj, "registered",
                                     json_integer((json_int_t)after->registered)) != 0)
            return SSPR_ERR_NOMEM;
    }
    return SSPR_OK;
}
