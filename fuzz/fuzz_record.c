/*
 * libFuzzer target for the local backend's record codecs (sspr-helper/
 * backends/local/record_json.c and throttle_json.c). The input is read the
 * way the store reads a record file: json_loadb(..., JSON_REJECT_DUPLICATES)
 * (backends/local/store.c), then handed to both decoders.
 *
 * Invariants checked with abort():
 *   account record
 *   - decode fails (SSPR_ERR_CORRUPT) exactly when the document is not an
 *     object;
 *   - encoding a deep copy of the decoded record over a copy of the
 *     document (nothing changed) leaves the JSON equal to what was read;
 *   - encoding it into an empty object and decoding that gives the same
 *     material for every part that was readable (a damaged part comes back
 *     as present), and the same registration stamp;
 *   - sspr_gates_usable() only reports gates that are present and never a
 *     damaged one (fails closed), on the decoded and the re-read record;
 *   throttle record
 *   - a record that decodes is valid (sspr_throttle_rec_valid), encodes,
 *     and its encoding decodes into the same struct (memcmp: the decoder
 *     starts with a memset).
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "backends/local/local.h"
#include "gates/gate.h"
#include "state/throttle_rec.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_usable(const struct sspr_record *r)
{
    unsigned usable = sspr_gates_usable(r);
    size_t n = sspr_gate_count();

    FAIL_IF(usable & ~sspr_gates_all());
    for (size_t i = 0; i < n; i++) {
        unsigned bit = 1u << i;

        FAIL_IF((usable & bit) && (!r->m[i].present || r->m[i].damaged));
    }
}

static void check_account(const json_t *doc)
{
    struct sspr_record r, same, empty, back;
    json_t *copy, *fresh;
    int rc = sspr_local_record_decode(doc, &r);

    FAIL_IF((rc == SSPR_OK) != json_is_object(doc));
    if (rc != SSPR_OK) {
        sspr_record_clear(&r);
        return;
    }
    check_usable(&r);

    /* nothing changed (a deep copy of the record, as the flow edits one):
     * nothing moves */
    sspr_record_init(&same);
    FAIL_IF(sspr_record_copy(&same, &r) != SSPR_OK);
    copy = json_deep_copy(doc);
    FAIL_IF(copy == NULL);
    FAIL_IF(sspr_local_record_encode(copy, &r, &same) != SSPR_OK);
    FAIL_IF(!json_equal(copy, doc));
    json_decref(copy);
    sspr_record_clear(&same);

    /* everything written anew reads back the same */
    sspr_record_init(&empty);
    fresh = json_object();
    FAIL_IF(fresh == NULL);
    FAIL_IF(sspr_local_record_encode(fresh, &empty, &r) != SSPR_OK);
    FAIL_IF(sspr_local_record_decode(fresh, &back) != SSPR_OK);
    for (size_t i = 0; i < sspr_gate_count(); i++) {
        if (r.m[i].damaged ? !back.m[i].present : !sspr_material_equal(&r.m[i], &back.m[i])) {
            char *text = json_dumps(fresh, JSON_COMPACT | JSON_SORT_KEYS);

            fprintf(stderr, "part %zu (%s) does not read back: %s\n", i, sspr_gate_at(i)->name,
                    text != NULL ? text : "?");
            free(text);
            abort();
        }
    }
    FAIL_IF(back.registered != r.registered);
    check_usable(&back);
    json_decref(fresh);
    sspr_record_clear(&back);
    sspr_record_clear(&r);
}

static void check_throttle(const json_t *doc)
{
    struct sspr_throttle_rec t, again;
    json_t *enc;

    if (sspr_local_throttle_decode(doc, &t) != SSPR_OK)
        return;
    FAIL_IF(!sspr_throttle_rec_valid(&t) || t.nmethods > SSPR_THROTTLE_METHODS ||
            t.nsends > SSPR_THROTTLE_SENDS);
    for (size_t i = 0; i < t.nmethods; i++)
        FAIL_IF(memchr(t.methods[i].name, '\0', sizeof(t.methods[i].name)) == NULL);
    enc = sspr_local_throttle_encode(&t);
    FAIL_IF(enc == NULL);
    if (sspr_local_throttle_decode(enc, &again) != SSPR_OK || memcmp(&t, &again, sizeof(t)) != 0) {
        char *text = json_dumps(enc, JSON_COMPACT | JSON_SORT_KEYS);

        fprintf(stderr, "throttle record does not read back: %s\n", text != NULL ? text : "?");
        free(text);
        abort();
    }
    json_decref(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);

    if (doc == NULL)
        return 0;
    check_account(doc);
    check_throttle(doc);
    json_decref(doc);
    return 0;
}
