/*
 * Reading the admin's import file (JSON or CSV): the whole file is read
 * and parsed before anything is applied, so a file that is not JSON or CSV
 * at all changes nothing. Outside input: fuzzed (fuzz/fuzz_import.c).
 *
 *   JSON: [{"user": "alice", "email": "a@example.com", "phone": "+49..."}, ...]
 *   CSV:  a header naming the columns user,email,phone (any order), then rows
 */
#ifndef SSPR_IMPORT_READ_H
#define SSPR_IMPORT_READ_H

#include <jansson.h>
#include <stddef.h>

#define SSPR_IMPORT_MAX_BYTES (16 * 1024 * 1024)
#define SSPR_IMPORT_MAX_ROWS 100000

struct sspr_import_row {
    size_t number;     /* 1-based data row */
    const char *user;  /* NULL: missing */
    const char *email; /* NULL or "": leave as is */
    const char *phone;
    const char *error; /* a parse problem of this row */
};

struct sspr_import_rows {
    struct sspr_import_row *v;
    size_t n, cap;
    json_t *json; /* JSON: the document the strings live in */
};

/* The file at path ("-": standard input) as text: a regular file or a
 * pipe, at most SSPR_IMPORT_MAX_BYTES, no NUL byte. 0, or -1 (said why on
 * stderr). */
int sspr_import_read(const char *path, char **out, size_t *outlen);

/* Parse text (changed in place) into rows; a row with a problem of its own
 * carries it in ->error. The rows point into text (and rs->json). 0, or -1
 * when the file as a whole is not usable (said why on stderr). */
int sspr_import_parse(char *text, size_t len, struct sspr_import_rows *rs);

void sspr_import_rows_free(struct sspr_import_rows *rs);

#endif
