/*
 * `sspr-helper import FILE`: email addresses and phone numbers for many
 * users at once, from JSON or CSV. The whole file is read and parsed first
 * (a file that is not JSON or CSV at all changes nothing); then each row is
 * checked and applied on its own, under that user's record lock, so a bad
 * row or a corrupt record affects only that row.
 *
 * Record parts written (the gate reads "address"):
 *   "email": {"address": "a@example.com", "source": "import", "imported": T}
 *   "phone": {"number": "+4915112345678", "source": "import", "imported": T}
 * An address or number the user registered (and confirmed) themselves is
 * never overwritten by an import: the row says "kept".
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "backends/backend.h"
#include "delivery/email.h"
#include "delivery/sms.h"
#include "admin/import.h"
#include "username.h"

#define FIELD_MAX 512

struct row {
    size_t number;              /* 1-based data row */
    const char *user;           /* NULL: missing */
    const char *email;          /* NULL or "": leave as is */
    const char *phone;
    const char *error;          /* a parse problem of this row */
};

struct rows {
    struct row *v;
    size_t n, cap;
    json_t *json;               /* JSON: the document the strings live in */
};

/* ---- reading the file --------------------------------------------------------- */

static int read_input(const char *path, char **out, size_t *outlen)
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

static struct row *add_row(struct rows *rs)
{
    if (rs->n >= SSPR_IMPORT_MAX_ROWS) {
        fprintf(stderr, "sspr-helper import: more than %d rows (split the file)\n",
                SSPR_IMPORT_MAX_ROWS);
        return NULL;
    }
    if (rs->n == rs->cap) {
        size_t nc = rs->cap ? rs->cap * 2 : 64;
        struct row *nv = realloc(rs->v, nc * sizeof(*nv));

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

static int parse_json(const char *text, size_t len, struct rows *rs)
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
        struct row *r = add_row(rs);
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

static int parse_csv(char *text, struct rows *rs)
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
        fprintf(stderr, "sspr-helper import: line %d: the first line must be the header "
                        "user,email,phone\n", lineno);
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
        struct row *r;
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

/* ---- applying a row -------------------------------------------------------------- */

enum change { CH_NONE, CH_SET, CH_SAME, CH_KEPT };

struct edit_ctx {
    const char *email, *phone;
    enum change email_ch, phone_ch;
};

/* part = {"<field>": value, "source": "import", "imported": now}, unless the
 * user's own registration is there. */
static enum change edit_part(json_t *rec, const char *part_name, const char *field,
                             const char *value)
{
    json_t *part = json_object_get(rec, part_name), *cur, *src, *np;

    if (value == NULL || value[0] == '\0')
        return CH_NONE;
    if (json_is_object(part)) {
        cur = json_object_get(part, field);
        src = json_object_get(part, "source");
        if (json_is_string(cur) && strcmp(json_string_value(cur), value) == 0)
            return CH_SAME;
        if (json_is_string(cur) && !(json_is_string(src) &&
                                     strcmp(json_string_value(src), "import") == 0))
            return CH_KEPT;
    }
    np = json_pack("{s:s, s:s, s:I}", field, value, "source", "import", "imported",
                   (json_int_t)time(NULL));
    if (np == NULL || json_object_set_new(rec, part_name, np) != 0)
        return CH_NONE;
    return CH_SET;
}

static int edit_row(json_t *rec, void *vctx)
{
    struct edit_ctx *c = vctx;

    c->email_ch = edit_part(rec, "email", "address", c->email);
    c->phone_ch = edit_part(rec, "phone", "number", c->phone);
    /* Nothing new: do not write (idempotent, and the file keeps its time). */
    return c->email_ch == CH_SET || c->phone_ch == CH_SET ? 0 : 1;
}

static const char *change_word(enum change c)
{
    switch (c) {
    case CH_SET: return "set";
    case CH_SAME: return "unchanged";
    case CH_KEPT: return "kept (the user registered a different one; unenroll it first to "
                         "replace it)";
    case CH_NONE: break;
    }
    return "";
}

/* Printable ASCII as is, anything else as \xHH; at most ~64 input bytes. */
static void shown_name(const char *in, char *out, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i;

    if (in == NULL) {
        snprintf(out, len, "(no user)");
        return;
    }
    for (i = 0; in[i] != '\0' && i < 64 && o + 5 < len; i++) {
        unsigned char ch = (unsigned char)in[i];

        if (ch >= 0x21 && ch < 0x7f && ch != '\\') {
            out[o++] = (char)ch;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    if (in[i] != '\0' && o + 4 < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* uids already seen in this file: a small open-addressing set. */
struct seen {
    struct {
        uid_t uid;
        size_t row;
        int used;
    } *slot;
    size_t cap;
};

/* Returns 0 and remembers uid, or the row number that had it already. */
static size_t seen_add(struct seen *s, uid_t uid, size_t row)
{
    size_t h = ((size_t)uid * 2654435761u) & (s->cap - 1);

    while (s->slot[h].used) {
        if (s->slot[h].uid == uid)
            return s->slot[h].row;
        h = (h + 1) & (s->cap - 1);
    }
    s->slot[h].used = 1;
    s->slot[h].uid = uid;
    s->slot[h].row = row;
    return 0;
}

/* Returns 0 when the row went through (changed or not), -1 when it failed. */
static int apply_row(const struct sspr_config *cfg, struct sspr_store *st, struct seen *seen,
                     const struct row *r, int *changed)
{
    char name[80];
    struct passwd *pw;
    struct edit_ctx ctx;
    size_t dup;
    int rc;

    shown_name(r->user, name, sizeof(name));
    *changed = 0;
    if (r->error != NULL) {
        printf("row %zu %s: ERROR %s\n", r->number, name, r->error);
        return -1;
    }
    if (r->user == NULL || r->user[0] == '\0') {
        printf("row %zu %s: ERROR no user\n", r->number, name);
        return -1;
    }
    if (!sspr_username_ok(r->user) || (pw = getpwnam(r->user)) == NULL ||
        strcmp(pw->pw_name, r->user) != 0) {
        printf("row %zu %s: ERROR no such user\n", r->number, name);
        return -1;
    }
    if (pw->pw_uid == 0 || (long)pw->pw_uid < cfg->min_uid) {
        printf("row %zu %s: ERROR %s never resets a password this way (uid %lu < min_uid %ld)\n",
               r->number, name, pw->pw_uid == 0 ? "root" : "a system account",
               (unsigned long)pw->pw_uid, cfg->min_uid);
        return -1;
    }
    if ((r->email == NULL || r->email[0] == '\0') && (r->phone == NULL || r->phone[0] == '\0')) {
        printf("row %zu %s: ERROR nothing to import (no email or phone)\n", r->number, name);
        return -1;
    }
    if (r->email != NULL && r->email[0] != '\0' &&
        (strlen(r->email) > SSPR_EMAIL_MAX_ADDR || !sspr_email_valid(r->email))) {
        printf("row %zu %s: ERROR not a valid email address\n", r->number, name);
        return -1;
    }
    if (r->phone != NULL && r->phone[0] != '\0' && !sspr_phone_valid(r->phone)) {
        printf("row %zu %s: ERROR not an E.164 phone number (+ then 8 to 15 digits)\n", r->number,
               name);
        return -1;
    }
    if ((dup = seen_add(seen, pw->pw_uid, r->number)) != 0) {
        printf("row %zu %s: ERROR this user is already in row %zu (one row per user)\n", r->number,
               name, dup);
        return -1;
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.email = r->email;
    ctx.phone = r->phone;
    rc = sspr_local_edit(st, pw->pw_uid, pw->pw_name, edit_row, &ctx);
    if (rc != SSPR_STORE_OK && rc != SSPR_LOCAL_EDIT_ABORTED) {
        printf("row %zu %s: ERROR record user-%lu: %s%s\n", r->number, name,
               (unsigned long)pw->pw_uid, sspr_store_strerror(rc),
               rc == SSPR_STORE_ECORRUPT ? " (fix or remove it, then import again)" : "");
        return -1;
    }
    if (rc == SSPR_LOCAL_EDIT_ABORTED && ctx.email_ch != CH_SAME && ctx.email_ch != CH_KEPT &&
        ctx.phone_ch != CH_SAME && ctx.phone_ch != CH_KEPT) {
        printf("row %zu %s: ERROR could not build the record\n", r->number, name);
        return -1;
    }
    *changed = rc == SSPR_STORE_OK;
    printf("row %zu %s:", r->number, name);
    if (ctx.email_ch != CH_NONE)
        printf(" email %s%s", change_word(ctx.email_ch), ctx.phone_ch != CH_NONE ? "," : "");
    if (ctx.phone_ch != CH_NONE)
        printf(" phone %s", change_word(ctx.phone_ch));
    putchar('\n');
    if (*changed)
        syslog(LOG_INFO, "import: uid=%lu user=%s email=%s phone=%s", (unsigned long)pw->pw_uid,
               pw->pw_name, ctx.email_ch == CH_SET ? "set" : "-",
               ctx.phone_ch == CH_SET ? "set" : "-");
    return 0;
}

int sspr_cli_import(const struct sspr_config *cfg, int argc, char **argv)
{
    struct rows rs;
    struct seen seen = { NULL, 0 };
    struct sspr_store st;
    char *text = NULL;
    size_t len = 0, first, ok = 0, changed = 0, failed = 0;
    int rc, ret = 2;

    if (argc != 1 || argv[0][0] == '\0' || (argv[0][0] == '-' && argv[0][1] != '\0')) {
        fputs("usage: sspr-helper import FILE   (JSON or CSV; - reads standard input)\n", stderr);
        return 2;
    }
    memset(&rs, 0, sizeof(rs));
    if (read_input(argv[0], &text, &len) != 0)
        return 2;
    first = strspn(text, " \t\r\n");
    rc = text[first] == '[' ? parse_json(text, len, &rs) : parse_csv(text, &rs);
    if (rc != 0)
        goto out;
    if (rs.n == 0) {
        fprintf(stderr, "sspr-helper import: no rows\n");
        goto out;
    }
    rc = sspr_store_open(&st, cfg->state_dir, 1);
    if (rc != SSPR_STORE_OK) {
        fprintf(stderr, "sspr-helper import: state directory %s: %s\n", cfg->state_dir,
                sspr_store_strerror(rc));
        goto out;
    }
    seen.cap = 16;
    while (seen.cap < rs.n * 2)
        seen.cap *= 2;
    seen.slot = calloc(seen.cap, sizeof(*seen.slot));
    if (seen.slot == NULL) {
        fprintf(stderr, "sspr-helper import: out of memory\n");
        sspr_store_close(&st);
        goto out;
    }
    for (size_t i = 0; i < rs.n; i++) {
        int ch = 0;

        if (apply_row(cfg, &st, &seen, &rs.v[i], &ch) == 0) {
            ok++;
            changed += (size_t)ch;
        } else {
            failed++;
        }
    }
    fflush(stdout);
    sspr_store_close(&st);
    fprintf(stderr, "import: %zu row%s: %zu changed, %zu unchanged, %zu failed\n", rs.n,
            rs.n == 1 ? "" : "s", changed, ok - changed, failed);
    ret = failed > 0 ? 1 : 0;
out:
    free(seen.slot);
    free(rs.v);
    json_decref(rs.json);
    free(text);
    return ret;
}
