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

#include <sys/stat.h>

#include "errbuf.h"
#include "lang.h"
#include "support/secbuf.h"
#include "delivery/template.h"
#include "support/safe_open.h"
#include "wipe.h"

#define MAX_NAME 64

static void buf_addc(struct sspr_secbuf *b, char c)
{
    sspr_secbuf_add(b, &c, 1);
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

static void add_clean(struct sspr_secbuf *b, const char *value, enum sspr_tesc esc)
{
    const unsigned char *s = (const unsigned char *)value;
    size_t n = strlen(value);

    while (n > 0) {
        uint32_t cp;
        size_t l = utf8_next(s, n, &cp);

        if (l == 0) {
            /* A stray byte: a visible '?' rather than something a mail
             * reader might take as another charset; in a form body the
             * '?' itself is escaped, like every other reserved byte. */
            if (esc == SSPR_TESC_FORM)
                sspr_secbuf_add(b, "%3F", 3);
            else
                buf_addc(b, '?');
            s++;
            n--;
            continue;
        }
        if (!unwanted(cp)) {
            switch (esc) {
            case SSPR_TESC_TEXT:
                sspr_secbuf_add(b, (const char *)s, l);
                break;
            case SSPR_TESC_JSON:
                if (cp == '"' || cp == '\\') {
                    buf_addc(b, '\\');
                    buf_addc(b, (char)cp);
                } else if (cp == '<' || cp == '>' || cp == '&') {
                    char u[8];

                    /* Harmless in JSON, but a gateway may paste it into HTML. */
                    snprintf(u, sizeof(u), "\\u%04x", (unsigned)cp);
                    sspr_secbuf_add(b, u, 6);
                } else {
                    sspr_secbuf_add(b, (const char *)s, l);
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
                        sspr_secbuf_add(b, h, 3);
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
    struct sspr_secbuf b = { NULL, 0, 0, SSPR_TEMPLATE_MAX_OUT, 0 };

    sspr_secbuf_add(&b, "", 0);
    if (value != NULL)
        add_clean(&b, value, SSPR_TESC_TEXT);
    if (b.failed) {
        sspr_secbuf_free(&b);
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
    struct sspr_secbuf b = { NULL, 0, 0, SSPR_TEMPLATE_MAX_OUT, 0 };
    size_t i = 0;
    int line = 1;

    sspr_set_err(err, errlen, "%s", "");
    if (out == NULL || (text == NULL && len > 0) || (vars == NULL && nvars > 0)) {
        sspr_set_err(err, errlen, "invalid arguments");
        return -1;
    }
    *out = NULL;
    sspr_secbuf_add(&b, "", 0);
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
                sspr_set_err(err, errlen, "line %d: malformed placeholder (expected {{name}})", line);
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
                sspr_set_err(err, errlen, "line %d: unknown placeholder {{%.*s}}", line,
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
            sspr_set_err(err, errlen, "line %d: not valid UTF-8", line);
            goto fail;
        }
        if (cp == '\n') {
            line++;
        } else if (cp == '\t') {
            /* allowed */
        } else if (unwanted(cp)) {
            sspr_set_err(err, errlen, "line %d: control character in template", line);
            goto fail;
        }
        sspr_secbuf_add(&b, text + i, l);
        i += l;
    }
    if (b.failed) {
        sspr_set_err(err, errlen, b.failed == SSPR_SECBUF_TOOLONG ? "rendered text too long" : "out of memory");
        goto fail;
    }
    *out = b.p;
    return 0;

fail:
    sspr_secbuf_free(&b);
    return -1;
}

int sspr_template_path(const char *dir, const char *lang, const char *name, char *path,
                       size_t pathlen)
{
    char dirs[2][SSPR_LANG_MAX + 1];
    int nd, n;
    struct stat st;

    if (dir == NULL || name == NULL || dir[0] != '/' || name[0] == '\0' || name[0] == '.' ||
        strchr(name, '/') != NULL)
        return -1;
    nd = lang != NULL ? sspr_lang_dirs(lang, dirs[0], dirs[1]) : 0;
    for (int i = 0; i < nd; i++) {
        n = snprintf(path, pathlen, "%s/%s/%s", dir, dirs[i], name);
        if (n < 0 || (size_t)n >= pathlen)
            return -1;
        /* a template that is there is used, or refused if it is unsafe: a
         * broken translation is found, not hidden by the fallback */
        if (lstat(path, &st) == 0 || errno != ENOENT)
            return 0;
    }
    n = snprintf(path, pathlen, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= pathlen ? -1 : 0;
}

int sspr_template_render_file(const char *dir, const char *name, const struct sspr_tvar *vars,
                              size_t nvars, char **out, char *err, size_t errlen)
{
    return sspr_template_render_file_lang(dir, NULL, name, vars, nvars, out, err, errlen);
}

int sspr_template_render_file_lang(const char *dir, const char *lang, const char *name,
                                   const struct sspr_tvar *vars, size_t nvars, char **out,
                                   char *err, size_t errlen)
{
    char path[4096], *text = NULL;
    size_t len = 0;
    int rc;

    sspr_set_err(err, errlen, "%s", "");
    if (out != NULL)
        *out = NULL;
    if (out == NULL || sspr_template_path(dir, lang, name, path, sizeof(path)) != 0) {
        sspr_set_err(err, errlen, "invalid template path");
        return -1;
    }
    if (sspr_read_file_safely(path, geteuid(), SSPR_TEMPLATE_MAX_BYTES, &text, &len, err,
                              errlen) != 0)
        return -1;
    if (memchr(text, '\0', len) != NULL) {
        sspr_set_err(err, errlen, "%s: NUL byte in template", path);
        sspr_wipe_free_str(text);
        return -1;
    }
    {
        char perr[256];

        rc = sspr_template_render_text(text, len, vars, nvars, SSPR_TESC_TEXT, out, perr,
                                       sizeof(perr));
        if (rc != 0)
            sspr_set_err(err, errlen, "%s: %s", path, perr);
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

    sspr_set_err(err, errlen, "%s", "");
    if (rendered == NULL || subject == NULL || body == NULL) {
        sspr_set_err(err, errlen, "invalid arguments");
        return -1;
    }
    *subject = *body = NULL;
    if (strncmp(rendered, "Subject:", 8) != 0) {
        sspr_set_err(err, errlen, "a mail template starts with a \"Subject: ...\" line");
        return -1;
    }
    s = rendered + 8;
    while (*s == ' ' || *s == '\t')
        s++;
    nl = strchr(s, '\n');
    if (nl == NULL || nl[1] != '\n') {
        sspr_set_err(err, errlen, "a mail template has an empty line after the Subject line");
        return -1;
    }
    n = (size_t)(nl - s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0) {
        sspr_set_err(err, errlen, "the Subject line of a mail template is empty");
        return -1;
    }
    *subject = dup_n(s, n);
    *body = dup_n(nl + 2, strlen(nl + 2));
    if (*subject == NULL || *body == NULL) {
        sspr_wipe_free_str(*subject);
        sspr_wipe_free_str(*body);
        *subject = *body = NULL;
        sspr_set_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int sspr_template_render_mail(const char *dir, const char *name, const struct sspr_tvar *vars,
                              size_t nvars, char **subject, char **body, char *err,
                              size_t errlen)
{
    return sspr_template_render_mail_lang(dir, NULL, name, vars, nvars, subject, body, err, errlen);
}

int sspr_template_render_mail_lang(const char *dir, const char *lang, const char *name,
                                   const struct sspr_tvar *vars, size_t nvars, char **subject,
                                   char **body, char *err, size_t errlen)
{
    char *text = NULL;
    int rc;

    if (subject != NULL)
        *subject = NULL;
    if (body != NULL)
        *body = NULL;
    if (sspr_template_render_file_lang(dir, lang, name, vars, nvars, &text, err, errlen) != 0)
        return -1;
    rc = sspr_template_split_mail(text, subject, body, err, errlen);
    sspr_wipe_free_str(text);
    return rc;
}
