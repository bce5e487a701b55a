/*
 * Email: addresses, the message, and handing it to sspr-deliver for SMTP
 * (the helper never links libcurl). See email.h.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "delivery/deliver.h"
#include "support/err.h"
#include "errbuf.h"
#include "support/secbuf.h"
#include "delivery/authfile.h"
#include "delivery/email.h"
#include "wipe.h"

#define CONNECT_TIMEOUT_MAX 10L
#define LINE_MAX_MAIL 998
#define QP_LINE 76

/* ---- addresses ------------------------------------------------------------------- */

static int local_char(char c)
{
    /* RFC 5322 atext plus '.', without the quoting characters. */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("!#$%&*+-/=?^_`{|}~.'", c) != NULL;
}

int sspr_email_valid(const char *addr)
{
    const char *at, *d, *label;
    size_t n, ln, i;
    int dots = 0;

    if (addr == NULL)
        return 0;
    n = strnlen(addr, SSPR_EMAIL_MAX_ADDR + 1);
    if (n < 3 || n > SSPR_EMAIL_MAX_ADDR)
        return 0;
    at = strchr(addr, '@');
    if (at == NULL || strchr(at + 1, '@') != NULL)
        return 0;
    ln = (size_t)(at - addr);
    if (ln == 0 || ln > 64 || addr[0] == '.' || addr[ln - 1] == '.')
        return 0;
    for (i = 0; i < ln; i++) {
        if (!local_char(addr[i]) || (addr[i] == '.' && addr[i + 1] == '.'))
            return 0;
    }
    d = at + 1;
    if (*d == '\0' || strlen(d) > 253)
        return 0;
    label = d;
    for (;;) {
        const char *end = label + strcspn(label, ".");
        size_t len = (size_t)(end - label);

        if (len == 0 || len > 63 || label[0] == '-' || end[-1] == '-')
            return 0;
        for (i = 0; i < len; i++) {
            char c = label[i];

            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-'))
                return 0;
        }
        if (*end == '\0')
            break;
        dots++;
        label = end + 1;
    }
    return dots > 0;
}

int sspr_email_mask(const char *addr, char *out, size_t outlen)
{
    const char *at;
    int n;

    if (out == NULL || outlen == 0)
        return -1;
    out[0] = '\0';
    if (!sspr_email_valid(addr))
        return -1;
    at = strchr(addr, '@');
    /* The first letter and the domain only; three stars whatever the
     * length, so the hint does not tell the length either. */
    n = snprintf(out, outlen, "%c***%s", addr[0], at);
    if (n < 0 || (size_t)n >= outlen) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

const char *sspr_email_admin_contact(const struct sspr_config *cfg)
{
    if (cfg == NULL || cfg->admin_contact[0] == '\0')
        return "your system administrator";
    return cfg->admin_contact;
}

/* ---- configuration ------------------------------------------------------------------ */

static int is_smtps(const char *url)
{
    return strncasecmp(url, "smtps://", 8) == 0;
}

int sspr_email_check_config(const struct sspr_config *cfg, char *err, size_t errlen)
{
    sspr_set_err(err, errlen, "%s", "");
    if (cfg == NULL || cfg->smtp_url[0] == '\0') {
        sspr_set_err(err, errlen, "email is not configured ([email] smtp_url is empty)");
        return -1;
    }
    if (strncasecmp(cfg->smtp_url, "smtp://", 7) != 0 && !is_smtps(cfg->smtp_url)) {
        sspr_set_err(err, errlen, "[email] smtp_url must start with smtp:// or smtps://");
        return -1;
    }
    if (!is_smtps(cfg->smtp_url) && !sspr_url_is_loopback(cfg->smtp_url)) {
        if (cfg->starttls == SSPR_STARTTLS_OFF) {
            sspr_set_err(err, errlen, "[email] starttls = off is allowed only for a loopback smtp_url");
            return -1;
        }
        if (cfg->starttls == SSPR_STARTTLS_OPTIONAL && cfg->email_auth_file[0] != '\0') {
            sspr_set_err(err, errlen,
                    "[email] starttls = optional with auth_file could send the SMTP password "
                    "in clear text: use starttls = required or smtps://");
            return -1;
        }
    }
    if (!sspr_email_valid(cfg->email_from)) {
        sspr_set_err(err, errlen, "[email] from is not a valid address");
        return -1;
    }
    if (cfg->email_auth_file[0] != '\0') {
        struct sspr_auth a;
        int rc = sspr_auth_load(cfg->email_auth_file, &a, err, errlen);

        if (rc == 0 && (a.username[0] == '\0' || a.bearer[0] != '\0')) {
            sspr_set_err(err, errlen, "%s: SMTP needs username and password", cfg->email_auth_file);
            rc = -1;
        }
        sspr_auth_wipe(&a);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- building the message ------------------------------------------------------------- */


static int ascii_only(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

static int has_crlf_or_ctl(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* RFC 5322 date in UTC: "Tue, 05 Mar 2024 14:03:07 +0000", locale-free. */
static void mb_date(struct sspr_secbuf *b)
{
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t now = time(NULL);
    struct tm tm;

    if (gmtime_r(&now, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
        tm.tm_mon > 11) {
        b->failed = 1;
        return;
    }
    sspr_secbuf_fmt(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
           months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Subject: as is when ASCII, else RFC 2047 "B" encoded words of at most
 * 45 bytes each (never splitting a UTF-8 sequence), folded. */
static void mb_subject(struct sspr_secbuf *b, const char *subject)
{
    size_t n = strlen(subject), pos = 0;
    int first = 1;

    sspr_secbuf_str(b, "Subject: ");
    if (ascii_only(subject)) {
        sspr_secbuf_add(b, subject, n);
        sspr_secbuf_str(b, "\r\n");
        return;
    }
    while (pos < n) {
        size_t take = n - pos > 45 ? 45 : n - pos;
        char enc[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];

        /* Back off to the start of a UTF-8 sequence. */
        while (pos + take < n && take > 0 &&
               ((unsigned char)subject[pos + take] & 0xc0) == 0x80)
            take--;
        if (take == 0) {
            b->failed = 1;
            return;
        }
        sodium_bin2base64(enc, sizeof(enc), (const unsigned char *)subject + pos, take,
                          sodium_base64_VARIANT_ORIGINAL);
        sspr_secbuf_fmt(b, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", enc);
        first = 0;
        pos += take;
    }
    sspr_secbuf_str(b, "\r\n");
}

/* The body with CRLF line ends; quoted-printable when it is not ASCII. */
static int mb_body(struct sspr_secbuf *b, const char *body, int qp, char *err, size_t errlen)
{
    const char *p = body;

    while (*p != '\0') {
        size_t n = strcspn(p, "\n");
        size_t raw = n;

        if (raw > 0 && p[raw - 1] == '\r')
            raw--;
        if (!qp) {
            if (raw > LINE_MAX_MAIL) {
                sspr_set_err(err, errlen, "a body line is longer than %d bytes", LINE_MAX_MAIL);
                return -1;
            }
            sspr_secbuf_add(b, p, raw);
        } else {
            size_t i, col = 0;

            for (i = 0; i < raw; i++) {
                unsigned char c = (unsigned char)p[i];
                char enc[4];
                size_t w;
                int last = i + 1 == raw;

                if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
                    enc[0] = (char)c;
                    w = 1;
                } else {
                    snprintf(enc, sizeof(enc), "=%02X", c);
                    w = 3;
                }
                /* Soft break: lines of at most 76 including the '='. */
                if (col + w > QP_LINE - 1) {
                    sspr_secbuf_str(b, "=\r\n");
                    col = 0;
                }
                sspr_secbuf_add(b, enc, w);
                col += w;
            }
        }
        sspr_secbuf_str(b, "\r\n");
        p += n;
        if (*p == '\n')
            p++;
    }
    return 0;
}

static int build_message(const struct sspr_config *cfg, const char *to, const char *subject,
                         const char *body, struct sspr_secbuf *m, char *err, size_t errlen)
{
    unsigned char rnd[16];
    char hex[33];
    const char *domain = strchr(cfg->email_from, '@') + 1;
    int qp = !ascii_only(body);

    mb_date(m);
    sspr_secbuf_fmt(m, "From: <%s>\r\n", cfg->email_from);
    sspr_secbuf_fmt(m, "To: <%s>\r\n", to);
    mb_subject(m, subject);
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    sspr_secbuf_fmt(m, "Message-ID: <%s.sspr@%s>\r\n", hex, domain);
    sspr_secbuf_str(m, "MIME-Version: 1.0\r\n");
    sspr_secbuf_str(m, "Content-Type: text/plain; charset=utf-8\r\n");
    sspr_secbuf_fmt(m, "Content-Transfer-Encoding: %s\r\n", qp ? "quoted-printable" : "7bit");
    sspr_secbuf_str(m, "Auto-Submitted: auto-generated\r\n");
    sspr_secbuf_str(m, "X-Auto-Response-Suppress: All\r\n");
    sspr_secbuf_str(m, "\r\n");
    if (mb_body(m, body, qp, err, errlen) != 0)
        return -1;
    if (m->failed) {
        sspr_set_err(err, errlen, "out of memory building the message");
        return -1;
    }
    return 0;
}

/* ---- sending ------------------------------------------------------------------------------ */

int sspr_email_send(const struct sspr_config *cfg, const char *to, const char *subject,
                    const char *body, char *err, size_t errlen)
{
    struct sspr_secbuf m = { NULL, 0, 0, 0, 0 };
    struct sspr_auth auth;
    struct sspr_request req;
    char cerr[256];
    long conn_to;
    int ret = -1;

    sspr_set_err(err, errlen, "%s", "");
    memset(&auth, 0, sizeof(auth));
    sspr_request_init(&req);
    if (cfg == NULL || to == NULL || subject == NULL || body == NULL) {
        sspr_set_err(err, errlen, "invalid arguments");
        return -1;
    }
    if (sspr_email_check_config(cfg, cerr, sizeof(cerr)) != 0) {
        sspr_set_err(err, errlen, "%s", cerr);
        return -1;
    }
    if (!sspr_email_valid(to)) {
        sspr_set_err(err, errlen, "not a valid recipient address");
        return -1;
    }
    /* No header can be added: one line each, nothing else. */
    if (has_crlf_or_ctl(subject) || subject[0] == '\0' ||
        strlen(subject) > SSPR_EMAIL_MAX_SUBJECT) {
        sspr_set_err(err, errlen, "the subject must be one line of 1..%d bytes without control "
                             "characters", SSPR_EMAIL_MAX_SUBJECT);
        return -1;
    }
    if (strlen(body) > SSPR_EMAIL_MAX_BODY) {
        sspr_set_err(err, errlen, "the body is larger than %d bytes", SSPR_EMAIL_MAX_BODY);
        return -1;
    }
    if (build_message(cfg, to, subject, body, &m, err, errlen) != 0)
        goto out;
    /* the credentials are read here, as root; the sender never sees the file */
    if (cfg->email_auth_file[0] != '\0' &&
        sspr_auth_load(cfg->email_auth_file, &auth, err, errlen) != 0)
        goto out;
    conn_to = cfg->email_timeout < CONNECT_TIMEOUT_MAX ? cfg->email_timeout : CONNECT_TIMEOUT_MAX;
    sspr_request_add(&req, "kind", "smtp");
    sspr_request_add(&req, "url", cfg->smtp_url);
    sspr_request_addl(&req, "timeout", (long)cfg->email_timeout);
    sspr_request_addl(&req, "connect_timeout", conn_to);
    sspr_request_add(&req, "starttls", cfg->starttls == SSPR_STARTTLS_REQUIRED   ? "required"
                                        : cfg->starttls == SSPR_STARTTLS_OPTIONAL ? "optional"
                                                                                  : "off");
    sspr_request_add(&req, "mail_from", cfg->email_from);
    sspr_request_add(&req, "rcpt", to);
    sspr_request_add(&req, "message", m.p);
    if (auth.username[0] != '\0') {
        sspr_request_add(&req, "username", auth.username);
        sspr_request_add(&req, "password", auth.password);
    }
    if (sspr_request_add_ca(&req, cfg->email_ca_file, err, errlen) != 0)
        goto out;
    ret = sspr_deliver(&req, cfg->email_timeout, err, errlen) == SSPR_OK ? 0 : -1;
out:
    sspr_auth_wipe(&auth);
    sspr_request_free(&req);
    sspr_secbuf_free(&m);
    return ret;
}
