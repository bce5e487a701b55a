/*
 * libFuzzer target for the reader of the admin's import file (sspr-helper/
 * admin/import_read.c): JSON or CSV, parsed in place.
 *
 * The input is what sspr_import_read() would hand over: a NUL-terminated
 * copy (inputs with a NUL byte are refused by the reader, so they are
 * skipped here too).
 *
 * Invariants checked with abort():
 *   - at most SSPR_IMPORT_MAX_ROWS rows, numbered 1..n in order;
 *   - JSON: every string of a row is the very string of that key in that
 *     element of the document (rs->json), and a document that parses is
 *     an array with one row per element;
 *   - CSV: every string of a row points inside the input buffer, ends
 *     before its end and holds no line end; a row without an error has a
 *     user;
 *   - a row's error is a non-empty message;
 *   - the rows free cleanly whatever the outcome (LeakSanitizer).
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "admin/import_read.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_json_field(const char *got, const json_t *el, const char *key, int has_error)
{
    const json_t *v = json_is_object(el) ? json_object_get(el, key) : NULL;

    if (got == NULL) {
        /* missing, null, or the row stopped at an error before it */
        FAIL_IF(!has_error && v != NULL && !json_is_null(v));
        return;
    }
    FAIL_IF(!json_is_string(v) || json_string_value(v) != got ||
            strlen(got) != json_string_length(v));
}

static void check_csv_field(const char *got, const char *buf, size_t size)
{
    if (got == NULL)
        return;
    FAIL_IF(got < buf || got > buf + size);
    FAIL_IF(strlen(got) > (size_t)(buf + size - got));
    FAIL_IF(strpbrk(got, "\r\n") != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sspr_import_rows rs;
    char *buf;
    int rc, json;

    if (memchr(data, '\0', size) != NULL)
        return 0;
    buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    json = buf[strspn(buf, " \t\r\n")] == '[';

    rc = sspr_import_parse(buf, size, &rs);
    FAIL_IF(rs.n > SSPR_IMPORT_MAX_ROWS || rs.n > rs.cap || (rs.n > 0 && rs.v == NULL));
    FAIL_IF(!json && rs.json != NULL);
    FAIL_IF(rc == 0 && json && (!json_is_array(rs.json) || json_array_size(rs.json) != rs.n));
    for (size_t i = 0; i < rs.n; i++) {
        const struct sspr_import_row *r = &rs.v[i];

        FAIL_IF(r->number != i + 1);
        FAIL_IF(r->error != NULL && r->error[0] == '\0');
        if (json) {
            const json_t *el = json_array_get(rs.json, i);

            FAIL_IF(el == NULL);
            check_json_field(r->user, el, "user", r->error != NULL);
            check_json_field(r->email, el, "email", r->error != NULL);
            check_json_field(r->phone, el, "phone", r->error != NULL);
        } else {
            check_csv_field(r->user, buf, size);
            check_csv_field(r->email, buf, size);
            check_csv_field(r->phone, buf, size);
            FAIL_IF(r->error == NULL && r->user == NULL);
        }
    }
    sspr_import_rows_free(&rs);
    free(buf);
    return 0;
}
