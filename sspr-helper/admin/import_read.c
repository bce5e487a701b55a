#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "admin/import_read.h"

/* ---- reading the file --------------------------------------------------------- */

int sspr_import_read(const char *path, char **out, size_t *outlen)
{
    size_t cap = 64 * 1024, len = 0;
    char *buf;
    int fd, own = 0;

    if (strcmp(path, "-") == 0) {
        fd = STDIN_FILENO;
    } else {
        struct stat sb;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
            fprintf(stderr, "sspr-helper import: %s: %s\n", path, strerror(errno));
            return -1;
        }
        own = 1;
        if (fstat(fd, &sb) != 0 || !(S_ISREG(sb.st_mode) || S_ISFIFO(sb.st_mode))) {
            fprintf(stderr, "sspr-helper import: %s: not a regular file\n", path);
            close(fd);
            return -1;
        }
        if (S_ISREG(sb.st_mode) && sb.st_size > SSPR_IMPORT_MAX_BYTES) {
            fprintf(stderr, "sspr-helper import: %s: larger than %d bytes\n", path,
                    SSPR_IMPORT_MAX_BYTES);
            close(fd);
            return -1;
        }
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    }
    buf = malloc(cap + 1);
    if (buf == NULL)
        goto nomem;
    for (;;) {
        ssize_t n;

        if (len == cap) {
            char *nb;

            if (cap > SSPR_IMPORT_MAX_BYTES) {
                fprintf(stderr, "sspr-helper import: %s: larger than %d bytes\n", path,
                        SSPR_IMPORT_MAX_BYTES);
                goto fail;
            }
            cap *= 2;
            nb = realloc(buf, cap + 1);
            if (nb == NULL)
                goto nomem;
            buf = nb;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "sspr-helper import: %s: %s\n", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > SSPR_IMPORT_MAX_BYTES) {
        fprintf(stderr, "sspr-helper import: %s: larger than %d bytes\n", path,
                SSPR_IMPORT_MAX_BYTES);
        goto fail;
    }
    if (memchr(buf, '\0', len) != NULL) {
        fprintf(stderr, "sspr-helper import: %s: contains a NUL byte (not a text file)\n", path);
        goto fail;
    }
    buf[len] = '\0';
    if (own)
        close(fd);
    *out = buf;
    *outlen = len;
    return 0;
nomem:
    fprintf(stderr, "sspr-helper import: out of memory\n");
fail:
    free(buf);
    if (own)
        close(fd);
    return -1;
}

static struct sspr_import_row *add_row(struct sspr_import_rows *rs)
{
    if (rs->n >= SSPR_IMPORT_MAX_ROWS) {
        fprintf(stderr, "sspr-helper import: more than %d rows (split the file)\n",
                SSPR_IMPORT_MAX_ROWS);
        return NULL;
    }
    if (rs->n == rs->cap) {
        size_t nc = rs->cap ? rs->cap * 2 : 64;
        struct sspr_import_row *nv = realloc(rs->v, nc * sizeof(*nv));

        if (nv == NULL) {
            fprintf(stderr, "sspr-helper import: out of memory\n");
            return NULL;
        }
        rs->v = nv;
        rs->cap = nc;
    }
    memset(&rs->v[rs->n], 0, sizeof(rs->v[rs->n]));
    rs->v[rs->n].number = rs->n + 1;
    return &rs->v[rs->n++];
}

/* ---- JSON ------------------------------------------------------------------------ */

static int parse_json(const char *text, size_t len, struct sspr_import_rows *rs)
{
    json_error_t jerr;
    size_t i;
    json_t *el;

    rs->json = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (rs->json == NULL) {
        fprintf(stderr, "sspr-helper import: not valid JSON: line %d column %d: %s\n", jerr.line,
                jerr.column, jerr.text);
        return -1;
    }
    if (!json_is_array(rs->json)) {
        fprintf(stderr, "sspr-helper import: JSON must be an array of objects\n");
        return -1;
    }
    json_array_foreach(rs->json, i, el) {
        struct sspr_import_row *r = add_row(rs);
        const char *key;
        json_t *val;

        if (r == NULL)
            return -1;
        if (!json_is_object(el)) {
            r->error = "not an object";
            continue;
        }
        json_object_foreach(el, key, val) {
            const char **slot = strcmp(key, "user") == 0    ? &r->user
                                : strcmp(key, "email") == 0 ? &r->email
                                : strcmp(key, "phone") == 0 ? &r->phone
                                                            : NULL;

            if (slot == NULL) {
                r->error = "unknown key (allowed: user, email, phone)";
                break;
            }
            if (json_is_null(val))
                continue;
            if (!json_is_string(val) || strlen(json_string_value(val)) != json_string_length(val)) {
                r->error = "values must be strings";
                break;
            }
            *slot = json_string_value(val);
        }
    }
    return 0;
}

/* ---- CSV ------------------------------------------------------------------------- */

enum col { COL_USER, COL_EMAIL, COL_PHONE, COL_OTHER };

/* Split one line (no line end) into at most max fields, in place. Quoted
 * fields ("a,b", "say ""hi""") are unquoted; unquoted fields are trimmed.
 * Returns the number of fields, or -1 for a malformed line. */
static int csv_split(char *line, char **fields, int max)
{
    char *p = line;
    int n = 0;

    for (;;) {
        char *start, sep;

        if (n == max)
            return -1;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '"') {
            char *out;

            start = out = ++p;
            for (;;) {
                if (*p == '\0')
                    return -1; /* unterminated quote */
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            while (*p == ' ' || *p == '\t')
                p++;
            sep = *p;
            if (sep != ',' && sep != '\0')
                return -1;
            *out = '\0';
        } else {
            char *end;

            start = p;
            p += strcspn(p, ",");
            sep = *p;
            end = p;
            while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
            if (memchr(start, '"', (size_t)(end - start)) != NULL)
                return -1;
            *end = '\0';
        }
        fields[n++] = start;
        if (sep == '\0')
            return n;
        p++; /* past the ',' */
    }
}

static int parse_csv(char *text, struct sspr_import_rows *rs)
{
    enum col cols[8];
    char *fields[8];
    char *line = text, *next;
    int ncols, have_user = 0, lineno = 0;

    if ((unsigned char)text[0] == 0xef && (unsigned char)text[1] == 0xbb &&
        (unsigned char)text[2] == 0xbf)
        line += 3; /* a UTF-8 byte order mark from a spreadsheet */
    /* header */
    do {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        if (line[strspn(line, " \t")] != '\0')
            break;
        line = next;
    } while (line != NULL);
    if (line == NULL) {
        fprintf(stderr, "sspr-helper import: empty file\n");
        return -1;
    }
    ncols = csv_split(line, fields, 8);
    if (ncols < 2) {
        fprintf(stderr,
                "sspr-helper import: line %d: the first line must be the header "
                "user,email,phone\n",
                lineno);
        return -1;
    }
    for (int c = 0; c < ncols; c++) {
        enum col k = strcasecmp(fields[c], "user") == 0    ? COL_USER
                     : strcasecmp(fields[c], "email") == 0 ? COL_EMAIL
                     : strcasecmp(fields[c], "phone") == 0 ? COL_PHONE
                                                           : COL_OTHER;

        for (int d = 0; d < c; d++) {
            if (cols[d] == k && k != COL_OTHER) {
                fprintf(stderr, "sspr-helper import: header: column %s twice\n", fields[c]);
                return -1;
            }
        }
        if (k == COL_OTHER) {
            fprintf(stderr, "sspr-helper import: header: unknown column (allowed: user, email, "
                            "phone)\n");
            return -1;
        }
        have_user |= k == COL_USER;
        cols[c] = k;
    }
    if (!have_user) {
        fprintf(stderr, "sspr-helper import: header: no user column\n");
        return -1;
    }
    /* rows */
    for (line = next; line != NULL; line = next) {
        struct sspr_import_row *r;
        int n;

        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        if (line[strspn(line, " \t")] == '\0')
            continue;
        r = add_row(rs);
        if (r == NULL)
            return -1;
        n = csv_split(line, fields, 8);
        if (n < 0) {
            r->error = "malformed CSV line (quotes?)";
            continue;
        }
        if (n != ncols) {
            r->error = "wrong number of fields for the header";
            continue;
        }
        for (int c = 0; c < n; c++) {
            const char **slot = cols[c] == COL_USER    ? &r->user
                                : cols[c] == COL_EMAIL ? &r->email
                                                       : &r->phone;
            *slot = fields[c];
        }
    }
    return 0;
}

int sspr_import_parse(char *text, size_t len, struct sspr_import_rows *rs)
{
    size_t first = strspn(text, " \t\r\n");

    memset(rs, 0, sizeof(*rs));
    return text[first] == '[' ? parse_json(text, len, rs) : parse_csv(text, rs);
}

void sspr_import_rows_free(struct sspr_import_rows *rs)
{
    free(rs->v);
    json_decref(rs->json);
    memset(rs, 0, sizeof(*rs));
}
