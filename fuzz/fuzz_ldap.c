/*
 * libFuzzer target for what the helper reads from sspr-ldap, which relays
 * what a directory server sent: the frame's items (common/msg.c), an
 * entry's values as a registration (backends/ldap/record.c) and the
 * ssprThrottle text (backends/ldap/throttle.c). The input is the items of
 * one answer frame (what follows the length prefix).
 *
 * Invariants checked with abort():
 *   - a frame that parses has items that lie inside it, with valid keys,
 *     and building the same items again gives exactly the input bytes;
 *   - taken as a search answer (from its first dn item on), the entry
 *     decodes without crashing; sspr_gates_usable() never reports a gate
 *     that is absent or damaged (fails closed); and the modify that turns
 *     the entry into the same record changes nothing;
 *   - every val item that decodes as a throttle record is valid, encodes,
 *     and its encoding decodes into the same struct.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/ldap/ldap.h"
#include "gates/gate.h"
#include "msg.h"
#include "support/config.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sspr_config cfg;
static struct sspr_ldap dir;       /* no connection: decoding needs none */
static struct sspr_backend be;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sspr_config_defaults(&cfg);
    dir.dialect = SSPR_LDAP_DIALECT_OPENLDAP;
    be.ops = &sspr_backend_ldap;
    be.cfg = &cfg;
    be.priv = &dir;
    return 0;
}

static void check_frame(const uint8_t *data, size_t size, const struct sspr_msg *m)
{
    struct sspr_msg_buf b;

    sspr_msg_buf_init(&b);
    for (size_t i = 0; i < m->n; i++) {
        const struct sspr_msg_item *it = &m->items[i];

        FAIL_IF((const uint8_t *)it->key < data || (const uint8_t *)it->key >= data + size);
        FAIL_IF(it->val < data || it->val + it->len > data + size);
        FAIL_IF(strlen(it->key) == 0 || strlen(it->key) > SSPR_MSG_KEY);
        sspr_msg_add(&b, it->key, it->val, it->len);
    }
    FAIL_IF(b.failed);
    FAIL_IF(b.len != size || (size > 0 && memcmp(b.p, data, size) != 0));
    sspr_msg_buf_free(&b);
}

static void check_entry(struct sspr_msg *m)
{
    struct sspr_ldap_entry e;
    struct sspr_record r, same;
    struct sspr_msg_buf b;
    size_t first = m->n;
    unsigned usable;
    int changes = -1;

    for (size_t i = 0; i < m->n && first == m->n; i++)
        if (strcmp(m->items[i].key, "dn") == 0)
            first = i;
    if (first == m->n)
        return;
    memset(&e, 0, sizeof(e));
    e.ans = *m; /* borrowed: not freed here */
    snprintf(e.dn, sizeof(e.dn), "uid=x");
    e.first = first + 1;
    e.end = m->n;
    sspr_ldap_record_decode(&be, &e, &r);
    usable = sspr_gates_usable(&r);
    for (size_t i = 0; i < sspr_gate_count(); i++)
        if (usable & (1u << i))
            FAIL_IF(!r.m[i].present || r.m[i].damaged);
    sspr_record_init(&same);
    FAIL_IF(sspr_record_copy(&same, &r) != SSPR_OK);
    sspr_msg_buf_init(&b);
    FAIL_IF(sspr_ldap_record_modify(&be, &e, &r, &same, &b, &changes) != SSPR_OK);
    FAIL_IF(changes != 0);
    sspr_msg_buf_free(&b);
    sspr_record_clear(&same);
    sspr_record_clear(&r);
}

static void check_throttle(const struct sspr_msg *m)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct sspr_msg_item *it = &m->items[i];
        struct sspr_throttle_rec r, back;
        char text[4096], again[4096];

        if (strcmp(it->key, "val") != 0 || it->len >= sizeof(text))
            continue;
        memcpy(text, it->val, it->len);
        text[it->len] = '\0';
        if (sspr_ldap_throttle_decode(text, it->len, &r) != SSPR_OK)
            continue;
        FAIL_IF(!sspr_throttle_rec_valid(&r));
        FAIL_IF(sspr_ldap_throttle_encode(&r, again, sizeof(again)) != 0);
        FAIL_IF(sspr_ldap_throttle_decode(again, strlen(again), &back) != SSPR_OK);
        FAIL_IF(memcmp(&r, &back, sizeof(r)) != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sspr_msg m;

    if (sspr_msg_parse(data, size, &m) != 0)
        return 0;
    check_frame(data, size, &m);
    check_entry(&m);
    check_throttle(&m);
    free(m.items);
    return 0;
}
