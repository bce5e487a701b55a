/*
 * {{name}} templates. See template.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "delivery/template.h"
#include "safe_open.h"
#include "wipe.h"

#define MAX_NAME 64

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- a growing buffer that wipes what it lets go ------------------------------ */

struct buf {
    char *p;
    size_t len, cap;
    int failed;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (n > SSPR_TEMPLATE_MAX_OUT || b->len + n + 1 > SSPR_TEMPLATE_MAX_OUT) {
        b->failed = 2;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 256;
        char *np;

        while (ncap < b->len + n + 1)
            ncap *= 2;
        /* No realloc: the old block may hold a code and must be wiped. */
        np = malloc(ncap);
        if (np == NULL) {
            b->failed = 1;
            return;
        }
        if (b->p != NULL) {
            memcpy(np, b->p, b->len);
            sspr_wipe(b->p, b->cap);
            free(b->p);
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_addc(struct buf *b, char c)
{
    buf_add(b, &c, 1);
}

static void buf_free(struct buf *b)
{
    if (b->p != NULL) {
        sspr_wipe(b->p, b->cap);
        free(b->p);
    }
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---- UTF-8 ------------------------------------------------------------------------ */

/* Decode one well-formed UTF-8 sequence at s (n bytes left): its length and
 * code point, or 0 when malformed (overlong, surrogate, > U+10FFFF, cut). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len, i;
    uint32_t c;

    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        c = s[0] & 0x1fu;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        c = s[0] & 0x0fu;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        c = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3fu);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Characters a value must never carry: C0 and C1 controls, DEL, line and
 * paragraph separators, and bidirectional overrides (a reversed host name
 * in a notification is a lie). */
static int unwanted(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
           cp == 0x200f || cp == 0x061c;
}

static void add_clean(struct buf *b, const char *value, enum sspr_tesc esc)
{
    const unsigned char *s = (const unsigned char *)value;
    size_t n = strlen(value);

    while (n > 0) {
        uint32_t cp;
        size_t l = utf8_next(s, n, &cp);

        if (l == 0) {
            /* A stray byte: a visible '?' rather than something a mail
             * reader might take as another charset. */
            buf_addc(b, '?');
            s++;
            n--;
            continue;
        }
        if (!unwanted(cp)) {
            switch (esc) {
            case SSPR_TESC_TEXT:
                buf_add(b, (const char *)s, l);
                break;
            case SSPR_TESC_JSON:
                if (cp == '"' || cp == '\\') {
                    buf_addc(b, '\\');
                    buf_addc(b, (char)cp);
                } else if (cp == '<' || cp == '>' || cp == '&') {
                    char u[8];

                    /* Harmless in JSON, but a gateway may paste it into HTML. */
                    snprintf(u, sizeof(u), "\\u%04x", (unsigned)cp);
                    buf_add(b, u, 6);
                } else {
                    buf_add(b, (const char *)s, l);
                }
                break;
            case SSPR_TESC_FORM: {
                size_t i;

                for (i = 0; i < l; i++) {
                    unsigned char c = s[i];

                    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
                        buf_addc(b, (char)c);
                    } else if (c == ' ') {
                        buf_addc(b, '+');
                    } else {
                        char h[4];

                        snprintf(h, sizeof(h), "%%%02X", c);
                        buf_add(b, h, 3);
                    }
                }
                break;
            }
            }
        }
        s += l;
        n -= l;
    }
}

char *sspr_template_clean_value(const char *value)
{
    struct buf b = { NULL, 0, 0, 0 };

    buf_add(&b, "", 0);
    if (value != NULL)
        add_clean(&b, value, SSPR_TESC_TEXT);
    if (b.failed) {
        buf_free(&b);
        return NULL;
    }
    return b.p;
}

/* ---- rendering ------------------------------------------------------------------- */

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

int sspr_template_render_text(const char *text, size_t len, const struct sspr_tvar *vars,
                              size_t nvars, enum sspr_tesc esc, char **out, char *err,
                              size_t errlen)
{
    struct buf b = { NULL, 0, 0, 0 };
    size_t i = 0;
    int line = 1;

    set_err(err, errlen, "%s", "");
    if (out == NULL || (text == NULL && len > 0) || (vars == NULL && nvars > 0)) {
        set_err(err, errlen, "invalid arguments");
        return -1;
    }
    *out = NULL;
    buf_add(&b, "", 0);
    while (i < len) {
        const unsigned char *s = (const unsigned char *)text + i;
        uint32_t cp;
        size_t l;

        if (text[i] == '{' && i + 1 < len && text[i + 1] == '{') {
            size_t j = i + 2, ns, ne, k;
            const char *value = NULL;
            int found = 0;

            while (j < len && (text[j] == ' ' || text[j] == '\t'))
                j++;
            ns = j;
            while (j < len && name_char(text[j]))
                j++;
            ne = j;
            while (j < len && (text[j] == ' ' || text[j] == '\t'))
                j++;
            if (ne == ns || ne - ns > MAX_NAME || j + 1 >= len || text[j] != '}' ||
                text[j + 1] != '}') {
                set_err(err, errlen, "line %d: malformed placeholder (expected {{name}})", line);
                goto fail;
            }
            for (k = 0; k < nvars; k++) {
                if (vars[k].name != NULL && strlen(vars[k].name) == ne - ns &&
                    memcmp(vars[k].name, text + ns, ne - ns) == 0) {
                    value = vars[k].value;
                    found = 1;
                    break;
                }
            }
            if (!found) {
                set_err(err, errlen, "line %d: unknown placeholder {{%.*s}}", line,
                        (int)(ne - ns), text + ns);
                goto fail;
            }
            if (value != NULL)
                add_clean(&b, value, esc);
            i = j + 2;
            continue;
        }
        if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n') {
            i++; /* CRLF in the file: LF */
            continue;
        }
        l = utf8_next(s, len - i, &cp);
        if (l == 0) {
            set_err(err, errlen, "line %d: not valid UTF-8", line);
            goto fail;
        }
        if (cp == '\n') {
            line++;
        } else if (cp == '\t') {
            /* allowed */
        } else if (unwanted(cp)) {
            set_err(err, errlen, "line %d: control character in template", line);
            goto fail;
        }
        buf_add(&b, text + i, l);
        i += l;
    }
    if (b.failed) {
        set_err(err, errlen, b.failed == 2 ? "rendered text too long" : "out of memory");
        goto fail;
    }
    *out = b.p;
    return 0;

fail:
    buf_free(&b);
    return -1;
}

int sspr_template_render_file(const char *dir, const char *name, const struct sspr_tvar *vars,
                              size_t nvars, char **out, char *err, size_t errlen)
{
    char path[4096], *text = NULL;
    size_t len = 0;
    int fd, rc, n;

    set_err(err, errlen, "%s", "");
    if (out != NULL)
        *out = NULL;
    if (dir == NULL || name == NULL || out == NULL || dir[0] != '/' || name[0] == '\0' ||
        name[0] == '.' || strchr(name, '/') != NULL) {
        set_err(err, errlen, "invalid template path");
        return -1;
    }
    n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        set_err(err, errlen, "template path too long");
        return -1;
    }
    fd = sspr_open_safely(AT_FDCWD, path, geteuid(), SSPR_TEMPLATE_MAX_BYTES);
    if (fd < 0) {
        switch (errno) {
        case ELOOP:
            set_err(err, errlen, "%s: is a symbolic link (refused)", path);
            break;
        case EPERM:
            set_err(err, errlen, "%s: must be owned by root and not writable by group or others",
                    path);
            break;
        case EFBIG:
            set_err(err, errlen, "%s: larger than %d bytes", path, SSPR_TEMPLATE_MAX_BYTES);
            break;
        case EINVAL:
            set_err(err, errlen, "%s: not a regular file", path);
            break;
        default:
            set_err(err, errlen, "%s: %s", path, strerror(errno));
            break;
        }
        return -1;
    }
    rc = sspr_read_all_fd(fd, SSPR_TEMPLATE_MAX_BYTES, &text, &len);
    close(fd);
    if (rc != 0) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (memchr(text, '\0', len) != NULL) {
        set_err(err, errlen, "%s: NUL byte in template", path);
        sspr_wipe_free_str(text);
        return -1;
    }
    {
        char perr[256];

        rc = sspr_template_render_text(text, len, vars, nvars, SSPR_TESC_TEXT, out, perr,
                                       sizeof(perr));
        if (rc != 0)
            set_err(err, errlen, "%s: %s", path, perr);
    }
    sspr_wipe_free_str(text);
    return rc;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);

    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

int sspr_template_split_mail(const char *rendered, char **subject, char **body, char *err,
                             size_t errlen)
{
    const char *nl, *s;
    size_t n;

    set_err(err, errlen, "%s", "");
    if (rendered == NULL || subject == NULL || body == NULL) {
        set_err(err, errlen, "invalid arguments");
        return -1;
    }
    *subject = *body = NULL;
    if (strncmp(rendered, "Subject:", 8) != 0) {
        set_err(err, errlen, "a mail template starts with a \"Subject: ...\" line");
        return -1;
    }
    s = rendered + 8;
    while (*s == ' ' || *s == '\t')
        s++;
    nl = strchr(s, '\n');
    if (nl == NULL || nl[1] != '\n') {
        set_err(err, errlen, "a mail template has an empty line after the Subject line");
        return -1;
    }
    n = (size_t)(nl - s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0) {
        set_err(err, errlen, "the Subject line of a mail template is empty");
        return -1;
    }
    *subject = dup_n(s, n);
    *body = dup_n(nl + 2, strlen(nl + 2));
    if (*subject == NULL || *body == NULL) {
        sspr_wipe_free_str(*subject);
        sspr_wipe_free_str(*body);
        *subject = *body = NULL;
        set_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int sspr_template_render_mail(const char *dir, const char *name, const struct sspr_tvar *vars,
                              size_t nvars, char **subject, char **body, char *err,
                              size_t errlen)
{
    char *text = NULL;
    int rc;

    if (subject != NULL)
        *subject = NULL;
    if (body != NULL)
        *body = NULL;
    if (sspr_template_render_file(dir, name, vars, nvars, &text, err, errlen) != 0)
        return -1;
    rc = sspr_template_split_mail(text, subject, body, err, errlen);
    sspr_wipe_free_str(text);
    return rc;
}
