/*
 * libFuzzer target for the {{name}} template renderer (sspr-helper/
 * delivery/template.c).
 *
 * Input: the template text, then optionally NUL bytes each starting the
 * value of the next placeholder in NAMES (the ones the mail, SMS and SMS
 * body templates use); a placeholder without a value renders as "".
 * The template is rendered in every escaping mode, each value is also
 * rendered alone, and the TEXT rendering goes through
 * sspr_template_split_mail as a mail template would.
 *
 * What template.h promises, checked with abort():
 *   - a rendering is valid UTF-8 and holds no control character or other
 *     "unwanted" code point (C0, DEL, C1, U+2028/2029, bidi controls)
 *     except TAB and LF, has exactly as many LFs as the template text and
 *     no more TABs: a value never adds a line (a mail header, an SMS line);
 *   - a value alone: TEXT gives sspr_template_clean_value(value); JSON
 *     inside "..." is one JSON string (no unescaped '"', no raw '<' '>' '&')
 *     that decodes to the clean value; FORM is only unreserved characters,
 *     '+' and %XX (upper-case hex) and decodes to the clean value;
 *   - a failed rendering says why and returns no text;
 *   - split_mail: on success the subject is one non-empty line without
 *     blanks at its ends and the body is exactly what follows the first
 *     empty line; on failure both are NULL.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "delivery/template.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const NAMES[] = {
    "code",   "user",    "host",  "time",  "minutes", "admin_contact",
    "change", "service", "rhost", "phone", "text",
};
#define NNAMES (sizeof(NAMES) / sizeof(NAMES[0]))

/* A strict UTF-8 decoder of our own (RFC 3629): length of the sequence at
 * s, or 0 when it is not well formed. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c, min;

    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if ((s[0] & 0xe0) == 0xc0) {
        len = 2, c = s[0] & 0x1f, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3, c = s[0] & 0x0f, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

static int unwanted(uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
           (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
           c == 0x200f || c == 0x061c;
}

/* Abort unless s is valid UTF-8 without unwanted code points other than
 * TAB and LF; count those two. */
static void check_clean(const char *s, size_t *lf, size_t *tab)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);

    *lf = *tab = 0;
    while (n > 0) {
        uint32_t c;
        size_t l = utf8_seq(p, n, &c);

        FAIL_IF(l == 0);
        if (c == '\n')
            (*lf)++;
        else if (c == '\t')
            (*tab)++;
        else
            FAIL_IF(unwanted(c));
        p += l;
        n -= l;
    }
}

static size_t count_byte(const char *s, size_t n, char b)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        k += s[i] == b;
    return k;
}

static void check_err(int rc, char *out, const char *err, size_t errlen)
{
    FAIL_IF(memchr(err, '\0', errlen) == NULL);
    FAIL_IF(rc != 0 && (out != NULL || err[0] == '\0'));
    FAIL_IF(rc == 0 && (out == NULL || err[0] != '\0'));
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One value alone in each mode against the cleaned value. */
static void check_value(const char *value)
{
    static const struct sspr_tvar one_var[] = { { "v", NULL } };
    struct sspr_tvar vars[1] = { one_var[0] };
    char err[256], *out = NULL, *clean = sspr_template_clean_value(value);
    size_t lf, tab, clen;
    int rc;

    FAIL_IF(clean == NULL);
    clen = strlen(clean);
    check_clean(clean, &lf, &tab);
    FAIL_IF(lf != 0 || tab != 0);
    vars[0].value = value;

    rc = sspr_template_render_text("{{v}}", 5, vars, 1, SSPR_TESC_TEXT, &out, err, sizeof(err));
    check_err(rc, out, err, sizeof(err));
    FAIL_IF(strcmp(out, clean) != 0);
    free(out);

    rc = sspr_template_render_text("\"{{v}}\"", 7, vars, 1, SSPR_TESC_JSON, &out, err, sizeof(err));
    check_err(rc, out, err, sizeof(err));
    {
        json_error_t jerr;
        size_t n = strlen(out);
        json_t *j;

        FAIL_IF(n < 2 || strpbrk(out, "<>&") != NULL);
        /* no '"' between the two we wrote unless escaped */
        for (size_t i = 1; i + 1 < n; i++) {
            if (out[i] == '\\')
                i++;
            else
                FAIL_IF(out[i] == '"');
        }
        j = json_loadb(out, n, JSON_DECODE_ANY, &jerr);
        FAIL_IF(j == NULL || !json_is_string(j) || json_string_length(j) != clen ||
                memcmp(json_string_value(j), clean, clen) != 0);
        json_decref(j);
    }
    free(out);

    rc = sspr_template_render_text("{{v}}", 5, vars, 1, SSPR_TESC_FORM, &out, err, sizeof(err));
    check_err(rc, out, err, sizeof(err));
    {
        size_t n = strlen(out), k = 0;
        char *dec = malloc(n + 1);

        FAIL_IF(dec == NULL);
        for (size_t i = 0; i < n; i++) {
            char c = out[i];

            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '.' || c == '_' || c == '~') {
                dec[k++] = c;
            } else if (c == '+') {
                dec[k++] = ' ';
            } else if (c == '%' && i + 2 < n && hexval(out[i + 1]) >= 0 &&
                       hexval(out[i + 2]) >= 0) {
                dec[k++] = (char)(hexval(out[i + 1]) * 16 + hexval(out[i + 2]));
                i += 2;
            } else {
                int unreserved_plus_or_pct_xx = 0;

                fprintf(stderr, "form output has byte 0x%02x at %zu: \"%s\"\n", (unsigned char)c, i,
                        out);
                FAIL_IF(!unreserved_plus_or_pct_xx);
            }
        }
        FAIL_IF(k != clen || memcmp(dec, clean, clen) != 0);
        free(dec);
    }
    free(out);
    free(clean);
}

static void check_mail(const char *rendered)
{
    char err[256], *subject = (char *)1, *body = (char *)1;
    int rc = sspr_template_split_mail(rendered, &subject, &body, err, sizeof(err));

    FAIL_IF(memchr(err, '\0', sizeof(err)) == NULL);
    if (rc != 0) {
        FAIL_IF(subject != NULL || body != NULL || err[0] == '\0');
        return;
    }
    {
        size_t n = strlen(subject);
        const char *nl = strchr(rendered, '\n');

        FAIL_IF(n == 0 || strchr(subject, '\n') != NULL || subject[0] == ' ' ||
                subject[0] == '\t' || subject[n - 1] == ' ' || subject[n - 1] == '\t');
        FAIL_IF(strncmp(rendered, "Subject:", 8) != 0 || strstr(rendered, subject) == NULL);
        FAIL_IF(nl == NULL || nl[1] != '\n' || strcmp(body, nl + 2) != 0);
    }
    free(subject);
    free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum sspr_tesc modes[] = { SSPR_TESC_TEXT, SSPR_TESC_JSON, SSPR_TESC_FORM };
    struct sspr_tvar vars[NNAMES];
    char *copy, *text_out = NULL;
    const char *p, *end;
    size_t tlen, tlf, ttab;

    if (size > SSPR_TEMPLATE_MAX_BYTES)
        return 0; /* a template file is at most this long */
    /* own copy with a NUL after the end: values are C strings */
    copy = malloc(size + 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    end = copy + size;
    tlen = strlen(copy);
    p = copy + tlen;
    for (size_t i = 0; i < NNAMES; i++) {
        vars[i].name = NAMES[i];
        vars[i].value = NULL;
        if (p < end) {
            vars[i].value = p + 1;
            p += 1 + strlen(p + 1);
        }
    }
    for (size_t i = 0; i < NNAMES; i++)
        if (vars[i].value != NULL)
            check_value(vars[i].value);

    /* the template text as it is (CRLF counts as one LF) */
    tlf = count_byte(copy, tlen, '\n');
    ttab = count_byte(copy, tlen, '\t');
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        char err[256], *out = (char *)1;
        int rc;

        rc = sspr_template_render_text(copy, tlen, vars, NNAMES, modes[m], &out, err, sizeof(err));
        check_err(rc, out, err, sizeof(err));
        if (rc != 0)
            continue;
        {
            size_t lf, tab;

            check_clean(out, &lf, &tab);
            /* blanks inside "{{ name }}" are not output */
            FAIL_IF(lf != tlf || tab > ttab);
        }
        if (modes[m] == SSPR_TESC_TEXT)
            text_out = out;
        else
            free(out);
    }
    if (text_out != NULL) {
        check_mail(text_out);
        free(text_out);
    }
    check_mail(copy);
    free(copy);
    return 0;
}
