/*
 * /etc/sspr/sspr.conf. One table of keys drives the defaults, the parser and
 * show-config, so a key cannot be documented in one place and forgotten in
 * another (pam-krb5 options.c). The INI syntax is libinih's.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "errbuf.h"
#include "support/url.h"
#include "support/config.h"
#include "backends/backend.h"
#include "delivery/email.h"
#include "gates/gate.h"
#include "support/safe_open.h"

#ifndef SSPR_STATE_DIR
#define SSPR_STATE_DIR "/var/lib/sspr"
#endif
#ifndef SSPR_DATA_DIR
#define SSPR_DATA_DIR "/usr/share/pam_sspr"
#endif
#ifndef SSPR_SYSCONF_DIR
#define SSPR_SYSCONF_DIR "/etc"
#endif

#define LOGIN_DEFS "/etc/login.defs"
#define UID_MIN_FALLBACK 1000L

enum key_type {
    T_INT,     /* int field, range min..max */
    T_LONG,    /* long field, range min..max */
    T_BOOL,    /* int field: yes/no/true/false/1/0/on/off */
    T_STR,     /* printable text, no ':' (it separates issuer and account) */
    T_PATH,    /* absolute path */
    T_NAME,    /* one name: [A-Za-z0-9_.-], not starting with '-' or '.' */
    T_NAMES,   /* space-separated names, stored single-spaced */
    T_METHODS, /* unsigned bit set from "totp recovery" */
    T_ENABLED, /* all | none | group:NAME (enabled + enabled_group) */
    T_TEXT,    /* printable text, ':' allowed (templates, contacts) */
    T_URL,     /* a URL: KF_SMTP (smtp:// smtps://) or KF_HTTP (https://, http:// loopback) */
    T_ADDR,    /* one email address */
    T_ADDRS,   /* space-separated email addresses, stored single-spaced */
    T_CHOICE,  /* int field: the index of the value in choices (case-insensitive) */
    T_LDAPURI, /* space-separated ldap://, ldaps://, ldapi:// URIs, stored single-spaced */
};

#define KF_EMPTY_OK 1u /* an empty value is allowed */
#define KF_SMTP 2u     /* T_URL: smtp:// or smtps:// */
#define KF_HTTP 4u     /* T_URL: https://, or http:// to a loopback host */
#define KF_ADMIN 8u    /* T_METHODS: never questions */

struct key {
    const char *section;
    const char *name;
    enum key_type type;
    size_t off;     /* offsetof the field in struct sspr_config */
    size_t size;    /* sizeof the field (buffer size for strings) */
    long min, max;  /* T_INT / T_LONG */
    unsigned flags;
    const char *def;                        /* default as it would be written */
    void (*def_fn)(char *buf, size_t len);  /* ...or computed when def is NULL */
    const char *const *choices;             /* T_CHOICE: NULL-terminated */
};

static const char *const starttls_choices[] = { "required", "optional", "off", NULL };
static const char *const method_choices[] = { "POST", "GET", NULL };
static const char *const body_choices[] = { "json", "form", NULL };
static const char *const register_choices[] = { "off", "offer", "require", NULL };
static const char *const ldap_starttls_choices[] = { "required", "off", NULL };
static const char *const ldap_dialect_choices[] = { "auto", "openldap", "ad", NULL };
static const char *const contacts_choices[] = { "readonly", "writable", NULL };

static void def_min_uid(char *buf, size_t len);
static void def_issuer(char *buf, size_t len);

#define FIELD(f) offsetof(struct sspr_config, f), sizeof(((struct sspr_config *)0)->f)

/* The order here is the order of show-config and of conf/sspr.conf. */
static const struct key keys[] = {
    { "general", "backend", T_STR, FIELD(backend), 0, 0, 0, "local", NULL, NULL },
    { "general", "state_dir", T_PATH, FIELD(state_dir), 0, 0, 0, SSPR_STATE_DIR, NULL, NULL },
    { "general", "issuer", T_STR, FIELD(issuer), 0, 0, 0, NULL, def_issuer, NULL },
    { "general", "flow_timeout", T_INT, FIELD(flow_timeout), 30, 600, 0, "600", NULL, NULL },

    { "policy", "enabled", T_ENABLED, FIELD(enabled), 0, 0, 0, "all", NULL, NULL },
    { "policy", "min_uid", T_LONG, FIELD(min_uid), 1, INT32_MAX, 0, NULL, def_min_uid, NULL },
    { "policy", "user_gates", T_INT, FIELD(user_gates), 1, 4, 0, "1", NULL, NULL },
    { "policy", "admin_gates", T_INT, FIELD(admin_gates), 1, 4, 0, "2", NULL, NULL },
    { "policy", "admin_groups", T_NAMES, FIELD(admin_groups), 0, 0, KF_EMPTY_OK,
      "sudo wheel admin", NULL, NULL },
    { "policy", "user_methods", T_METHODS, FIELD(user_methods), 0, 0, 0,
      "totp recovery email sms", NULL, NULL },
    { "policy", "admin_methods", T_METHODS, FIELD(admin_methods), 0, 0, KF_ADMIN,
      "totp recovery email sms", NULL, NULL },
    { "policy", "show_hints", T_BOOL, FIELD(show_hints), 0, 0, 0, "no", NULL, NULL },
    { "policy", "services", T_NAMES, FIELD(services), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "policy", "questions_enabled", T_BOOL, FIELD(questions_enabled), 0, 0, 0, "no", NULL, NULL },
    { "policy", "questions_asked", T_INT, FIELD(questions_asked), 1, 5, 0, "2", NULL, NULL },
    { "policy", "questions_required", T_INT, FIELD(questions_required), 1, 10, 0, "3", NULL, NULL },
    { "policy", "questions_file", T_PATH, FIELD(questions_file), 0, 0, 0,
      SSPR_SYSCONF_DIR "/sspr/questions.txt", NULL, NULL },
    { "policy", "notify_admins", T_ADDRS, FIELD(notify_admins), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "policy", "register_at_login", T_CHOICE, FIELD(register_at_login), 0, 0, 0, "offer", NULL,
      register_choices },
    { "policy", "reconfirm_days", T_INT, FIELD(reconfirm_days), 0, 3650, 0, "180", NULL, NULL },

    { "throttle", "max_failures", T_INT, FIELD(max_failures), 1, 20, 0, "5", NULL, NULL },
    { "throttle", "failure_window", T_INT, FIELD(failure_window), 60, 86400, 0, "900", NULL, NULL },
    { "throttle", "lockout", T_INT, FIELD(lockout), 60, 86400, 0, "900", NULL, NULL },
    { "throttle", "failure_delay", T_INT, FIELD(failure_delay), 0, 30, 0, "2", NULL, NULL },
    { "throttle", "max_consecutive", T_INT, FIELD(max_consecutive), 1, 100, 0, "50", NULL, NULL },
    { "throttle", "max_failures_per_method", T_INT, FIELD(max_failures_per_method), 1, 20, 0,
      "3", NULL, NULL },
    { "throttle", "max_sends_per_hour", T_INT, FIELD(max_sends_per_hour), 1, 50, 0, "5", NULL,
      NULL },

    { "password", "min_length", T_INT, FIELD(min_length), 8, 256, 0, "12", NULL, NULL },
    { "password", "banned_file", T_PATH, FIELD(banned_file), 0, 0, 0,
      SSPR_DATA_DIR "/banned-passwords.txt", NULL, NULL },
    { "password", "pam_service", T_NAME, FIELD(pam_service), 0, 0, 0, "sspr-passwd", NULL, NULL },
    { "password", "pam_confdir", T_PATH, FIELD(pam_confdir), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "password", "max_tries", T_INT, FIELD(max_tries), 1, 10, 0, "3", NULL, NULL },

    { "email", "smtp_url", T_URL, FIELD(smtp_url), 0, 0, KF_EMPTY_OK | KF_SMTP, "", NULL, NULL },
    { "email", "starttls", T_CHOICE, FIELD(starttls), 0, 0, 0, "required", NULL,
      starttls_choices },
    { "email", "auth_file", T_PATH, FIELD(email_auth_file), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "email", "from", T_ADDR, FIELD(email_from), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "email", "ca_file", T_PATH, FIELD(email_ca_file), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "email", "timeout", T_INT, FIELD(email_timeout), 1, 60, 0, "20", NULL, NULL },
    { "email", "admin_contact", T_TEXT, FIELD(admin_contact), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "email", "templates_dir", T_PATH, FIELD(templates_dir), 0, 0, 0,
      SSPR_SYSCONF_DIR "/sspr/templates", NULL, NULL },
    { "email", "code_digits", T_INT, FIELD(email_code_digits), 6, 10, 0, "8", NULL, NULL },
    { "email", "code_lifetime", T_INT, FIELD(email_code_lifetime), 60, 86400, 0, "600", NULL,
      NULL },

    { "sms", "url", T_URL, FIELD(sms_url), 0, 0, KF_EMPTY_OK | KF_HTTP, "", NULL, NULL },
    { "sms", "method", T_CHOICE, FIELD(sms_method), 0, 0, 0, "POST", NULL, method_choices },
    { "sms", "body", T_CHOICE, FIELD(sms_body), 0, 0, 0, "json", NULL, body_choices },
    { "sms", "body_template", T_TEXT, FIELD(sms_body_template), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "sms", "auth_file", T_PATH, FIELD(sms_auth_file), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "sms", "ca_file", T_PATH, FIELD(sms_ca_file), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "sms", "timeout", T_INT, FIELD(sms_timeout), 1, 60, 0, "15", NULL, NULL },
    { "sms", "connect_timeout", T_INT, FIELD(sms_connect_timeout), 1, 30, 0, "5", NULL, NULL },
    { "sms", "code_digits", T_INT, FIELD(sms_code_digits), 6, 10, 0, "6", NULL, NULL },
    { "sms", "code_lifetime", T_INT, FIELD(sms_code_lifetime), 60, 600, 0, "300", NULL, NULL },

    { "ldap", "uri", T_LDAPURI, FIELD(ldap_uri), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "ldap", "starttls", T_CHOICE, FIELD(ldap_starttls), 0, 0, 0, "required", NULL,
      ldap_starttls_choices },
    { "ldap", "base", T_TEXT, FIELD(ldap_base), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "ldap", "dialect", T_CHOICE, FIELD(ldap_dialect), 0, 0, 0, "auto", NULL,
      ldap_dialect_choices },
    { "ldap", "user_filter", T_TEXT, FIELD(ldap_user_filter), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "ldap", "bind_dn", T_TEXT, FIELD(ldap_bind_dn), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "ldap", "bind_pw_file", T_PATH, FIELD(ldap_bind_pw_file), 0, 0, KF_EMPTY_OK, "", NULL,
      NULL },
    { "ldap", "ca_file", T_PATH, FIELD(ldap_ca_file), 0, 0, KF_EMPTY_OK, "", NULL, NULL },
    { "ldap", "timeout", T_INT, FIELD(ldap_timeout), 1, 30, 0, "5", NULL, NULL },
    { "ldap", "mail_attribute", T_NAME, FIELD(ldap_mail_attr), 0, 0, 0, "mail", NULL, NULL },
    { "ldap", "mobile_attribute", T_NAME, FIELD(ldap_mobile_attr), 0, 0, 0, "mobile", NULL,
      NULL },
    { "ldap", "contacts", T_CHOICE, FIELD(ldap_contacts), 0, 0, 0, "readonly", NULL,
      contacts_choices },
    { "ldap", "unlock_on_reset", T_BOOL, FIELD(ldap_unlock_on_reset), 0, 0, 0, "no", NULL, NULL },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* ---- small helpers --------------------------------------------------------- */

static int has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static int name_ok(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || s[0] == '-' || s[0] == '.')
        return 0;
    for (i = 0; i < n; i++)
        if (!(isascii((unsigned char)s[i]) && (isalnum((unsigned char)s[i]) || s[i] == '_' ||
                                               s[i] == '.' || s[i] == '-')))
            return 0;
    return 1;
}

static int parse_long(const char *v, long *out)
{
    char *end;
    long n;

    /* strtol alone would take " 12", "+12" and "0x0c"; a config value is plain
     * decimal. */
    if (*v == '\0' || !(isdigit((unsigned char)*v) || (*v == '-' && isdigit((unsigned char)v[1]))))
        return -1;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = n;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = { "yes", "true", "1", "on" };
    static const char *const no[] = { "no", "false", "0", "off" };
    size_t i;

    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

static int copy_str(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

/* ---- URLs ---------------------------------------------------------------------- */

/* The host of scheme://[user@]host[:port][/...] into host (brackets
 * dropped for IPv6). Returns 0 or -1. */
int sspr_url_is_loopback(const char *url)
{
    char host[256];
    unsigned a, b, c, d;
    char extra;

    if (url == NULL || sspr_url_host_port(url, host, sizeof(host), NULL, 0) != 0)
        return 0;
    if (strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return 1;
    /* 127.0.0.0/8 written as a plain dotted quad. */
    return sscanf(host, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &extra) == 4 && a == 127 &&
           b < 256 && c < 256 && d < 256;
}

static int url_check(const char *v, unsigned flags, char *why, size_t whylen)
{
    char host[256];
    const char *p;

    for (p = v; *p != '\0'; p++) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
            sspr_set_err(why, whylen, "spaces, control and non-ASCII characters are not allowed");
            return -1;
        }
    }
    if (flags & KF_SMTP) {
        if (strncasecmp(v, "smtp://", 7) != 0 && strncasecmp(v, "smtps://", 8) != 0) {
            sspr_set_err(why, whylen, "must start with smtp:// or smtps://");
            return -1;
        }
    } else if (flags & KF_HTTP) {
        if (strncasecmp(v, "http://", 7) == 0) {
            if (!sspr_url_is_loopback(v)) {
                sspr_set_err(why, whylen,
                        "http:// is allowed only for 127.0.0.1, ::1 or localhost; use https://");
                return -1;
            }
        } else if (strncasecmp(v, "https://", 8) != 0) {
            sspr_set_err(why, whylen, "must start with https://");
            return -1;
        }
    }
    if (sspr_url_host_port(v, host, sizeof(host), NULL, 0) != 0) {
        sspr_set_err(why, whylen, "no host name in the URL");
        return -1;
    }
    return 0;
}

int sspr_config_email_on(const struct sspr_config *cfg)
{
    return cfg != NULL && cfg->smtp_url[0] != '\0';
}

int sspr_config_sms_on(const struct sspr_config *cfg)
{
    return cfg != NULL && cfg->sms_url[0] != '\0';
}

static int ldap_check(const struct sspr_config *cfg, char *err, size_t errlen);

/* Rules between keys, checked once the whole file is read. */
static int config_check(const struct sspr_config *cfg, char *err, size_t errlen)
{
    if (cfg->smtp_url[0] != '\0') {
        int plain = strncasecmp(cfg->smtp_url, "smtp://", 7) == 0;

        if (cfg->email_from[0] == '\0') {
            sspr_set_err(err, errlen, "[email] from is required when smtp_url is set");
            return -1;
        }
        if (plain && !sspr_url_is_loopback(cfg->smtp_url)) {
            if (cfg->starttls == SSPR_STARTTLS_OFF) {
                sspr_set_err(err, errlen,
                        "[email] starttls = off is allowed only for a loopback smtp_url "
                        "(127.0.0.1, ::1, localhost)");
                return -1;
            }
            if (cfg->starttls == SSPR_STARTTLS_OPTIONAL && cfg->email_auth_file[0] != '\0') {
                sspr_set_err(err, errlen,
                        "[email] starttls = optional with auth_file could send the SMTP "
                        "password in clear text: use starttls = required or smtps://");
                return -1;
            }
        }
    }
    if (cfg->sms_url[0] != '\0' && cfg->sms_method == SSPR_HTTP_GET &&
        cfg->sms_body == SSPR_SMS_JSON) {
        sspr_set_err(err, errlen, "[sms] method = GET needs body = form (the query string)");
        return -1;
    }
    if (ldap_check(cfg, err, errlen) != 0)
        return -1;
    if (sspr_backend_find(cfg->backend) == NULL) {
        sspr_set_err(err, errlen, "[general] backend = %s is not a backend (known: %s)",
                     cfg->backend, sspr_backend_names());
        return -1;
    }
    if ((cfg->user_methods & sspr_gates_flagged(SSPR_GATE_WEAK)) && !cfg->questions_enabled) {
        sspr_set_err(err, errlen, "[policy] user_methods lists questions but questions_enabled = no");
        return -1;
    }
    if (cfg->questions_asked > cfg->questions_required) {
        sspr_set_err(err, errlen,
                "[policy] questions_asked (%d) is more than questions_required (%d)",
                cfg->questions_asked, cfg->questions_required);
        return -1;
    }
    return 0;
}

static int format_methods(unsigned set, char *buf, size_t len)
{
    sspr_methods_words(set, buf, len);
    return 0;
}

/* ---- dynamic defaults ------------------------------------------------------- */

long sspr_login_defs_uid_min(const char *path)
{
    long found = UID_MIN_FALLBACK;
    char *line = NULL;
    size_t cap = 0;
    FILE *f;

    f = fopen(path, "re");
    if (f == NULL)
        return UID_MIN_FALLBACK;
    /* login.defs is "NAME value" with '#' comments; like shadow's getdef,
     * a later setting overrides an earlier one. */
    while (getline(&line, &cap, f) > 0) {
        char *p = line, *end;
        long v;

        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, "UID_MIN", 7) != 0 || (p[7] != ' ' && p[7] != '\t'))
            continue;
        p += 7;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!isdigit((unsigned char)*p))
            continue;
        errno = 0;
        v = strtol(p, &end, 10);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        if (errno != 0 || (*end != '\0' && *end != '#') || v < 1 || v > INT32_MAX)
            continue;
        found = v;
    }
    free(line);
    fclose(f);
    return found;
}

static void def_min_uid(char *buf, size_t len)
{
    snprintf(buf, len, "%ld", sspr_login_defs_uid_min(LOGIN_DEFS));
}

static void def_issuer(char *buf, size_t len)
{
    char host[SSPR_CFG_STR];

    /* The TOTP label an authenticator app shows: the host name, unless it
     * is missing or would not be a valid issuer. */
    memset(host, 0, sizeof(host));
    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0' || has_control(host) ||
        strchr(host, ':') != NULL)
        snprintf(buf, len, "%s", "sspr");
    else
        snprintf(buf, len, "%s", host);
}

/* ---- LDAP ------------------------------------------------------------------------ */

/* One URI of [ldap] uri: a scheme we speak and a host (ldapi://: a socket
 * path, percent-encoded, or none), printable ASCII. */
static int ldap_uri_ok(const char *p, size_t n)
{
    static const char *const schemes[] = { "ldaps://", "ldap://", "ldapi://" };
    size_t i, sl = 0;

    for (i = 0; i < n; i++)
        if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
            return 0;
    for (i = 0; i < 3; i++) {
        sl = strlen(schemes[i]);
        if (n >= sl && strncasecmp(p, schemes[i], sl) == 0)
            break;
    }
    if (i == 3)
        return 0;
    return i == 2 || (n > sl && p[sl] != '/');
}

/* 1 when every URI in list is ldapi:// or ldap:// to a loopback host: the
 * only places where a clear-text connection is allowed. */
static int ldap_uris_local(const char *list)
{
    char one[SSPR_CFG_URL];

    while (*list != '\0') {
        size_t n = strcspn(list, " ");

        if (n > 0) {
            if (n >= sizeof(one))
                return 0;
            memcpy(one, list, n);
            one[n] = '\0';
            if (strncasecmp(one, "ldapi://", 8) != 0 &&
                !(strncasecmp(one, "ldap://", 7) == 0 && sspr_url_is_loopback(one)))
                return 0;
        }
        list += n;
        while (*list == ' ')
            list++;
    }
    return 1;
}

/* The user filter: one %s (the typed name goes there, escaped), no other
 * '%', in parentheses. */
static int user_filter_ok(const char *f)
{
    const char *at = strstr(f, "%s");
    int depth = 0;

    if (f[0] != '(' || at == NULL || strstr(at + 2, "%s") != NULL)
        return 0;
    for (const char *p = f; *p != '\0'; p++) {
        if (*p == '%' && p != at)
            return 0;
        depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
        if (depth < 0 || (depth == 0 && p[1] != '\0'))
            return 0;
    }
    return depth == 0;
}

static int ldap_check(const struct sspr_config *cfg, char *err, size_t errlen)
{
    if (strcmp(cfg->backend, "ldap") != 0)
        return 0;
    if (cfg->ldap_uri[0] == '\0' || cfg->ldap_base[0] == '\0') {
        sspr_set_err(err, errlen, "[ldap] uri and base are required with backend = ldap");
        return -1;
    }
    if (cfg->ldap_user_filter[0] != '\0' && !user_filter_ok(cfg->ldap_user_filter)) {
        sspr_set_err(err, errlen, "[ldap] user_filter must be one (...) filter with exactly one %%s "
                                  "and no other %%");
        return -1;
    }
    if (cfg->ldap_starttls == SSPR_LDAP_STARTTLS_OFF && !ldap_uris_local(cfg->ldap_uri)) {
        sspr_set_err(err, errlen, "[ldap] starttls = off is allowed only for ldapi:// and ldap:// "
                                  "to a loopback address: use ldaps:// or StartTLS");
        return -1;
    }
    /* Active Directory takes a password (unicodePwd) only over TLS */
    if (cfg->ldap_dialect == SSPR_LDAP_DIALECT_AD &&
        (cfg->ldap_starttls == SSPR_LDAP_STARTTLS_OFF || strcasestr(cfg->ldap_uri, "ldapi:"))) {
        sspr_set_err(err, errlen, "[ldap] dialect = ad needs TLS (Active Directory sets passwords "
                                  "only over it): ldaps:// or ldap:// with starttls = required");
        return -1;
    }
    if (cfg->ldap_bind_dn[0] != '\0' && cfg->ldap_bind_pw_file[0] == '\0') {
        sspr_set_err(err, errlen, "[ldap] bind_dn needs bind_pw_file (the service account's "
                                  "password, in a root-only file)");
        return -1;
    }
    if (cfg->ldap_timeout * 4 > cfg->flow_timeout) {
        sspr_set_err(err, errlen, "[ldap] timeout must be at most a quarter of flow_timeout");
        return -1;
    }
    return 0;
}

/* ---- setting one key ---------------------------------------------------------- */

static int set_value(struct sspr_config *cfg, const struct key *k, const char *v, char *why,
                     size_t whylen)
{
    char *field = (char *)cfg + k->off;

    if (*v == '\0' && !(k->flags & KF_EMPTY_OK)) {
        sspr_set_err(why, whylen, "a value is required");
        return -1;
    }
    switch (k->type) {
    case T_INT:
    case T_LONG: {
        long n;

        if (parse_long(v, &n) != 0) {
            sspr_set_err(why, whylen, "not a whole number");
            return -1;
        }
        if (n < k->min || n > k->max) {
            sspr_set_err(why, whylen, "must be between %ld and %ld", k->min, k->max);
            return -1;
        }
        if (k->type == T_INT)
            *(int *)(void *)field = (int)n;
        else
            *(long *)(void *)field = n;
        return 0;
    }
    case T_BOOL: {
        int b;

        if (parse_bool(v, &b) != 0) {
            sspr_set_err(why, whylen, "not yes/no/true/false/on/off/1/0");
            return -1;
        }
        *(int *)(void *)field = b;
        return 0;
    }
    case T_STR:
        if (has_control(v) || strchr(v, ':') != NULL) {
            sspr_set_err(why, whylen, "control characters and ':' are not allowed");
            return -1;
        }
        if (copy_str(field, k->size, v) != 0) {
            sspr_set_err(why, whylen, "too long (at most %zu bytes)", k->size - 1);
            return -1;
        }
        return 0;
    case T_PATH:
        if (*v != '\0' && (v[0] != '/' || has_control(v))) {
            sspr_set_err(why, whylen, "must be an absolute path");
            return -1;
        }
        if (copy_str(field, k->size, v) != 0) {
            sspr_set_err(why, whylen, "too long (at most %zu bytes)", k->size - 1);
            return -1;
        }
        return 0;
    case T_NAME:
        if (!name_ok(v, strlen(v))) {
            sspr_set_err(why, whylen, "not a valid name (letters, digits, '_', '.', '-')");
            return -1;
        }
        if (copy_str(field, k->size, v) != 0) {
            sspr_set_err(why, whylen, "too long (at most %zu bytes)", k->size - 1);
            return -1;
        }
        return 0;
    case T_METHODS: {
        unsigned set;

        if (sspr_methods_parse(v, &set) != 0) {
            char known[128];
            sspr_methods_words(sspr_gates_all(), known, sizeof(known));
            sspr_set_err(why, whylen, "unknown method (known: %s)", known);
            return -1;
        }
        if (set == 0) {
            sspr_set_err(why, whylen, "at least one method is required");
            return -1;
        }
        if ((k->flags & KF_ADMIN) && (set & sspr_gates_flagged(SSPR_GATE_WEAK))) {
            sspr_set_err(why, whylen, "security questions are never allowed for administrators");
            return -1;
        }
        *(unsigned *)(void *)field = set;
        return 0;
    }
    case T_ENABLED:
        if (strcmp(v, "all") == 0) {
            cfg->enabled = SSPR_ENABLED_ALL;
            cfg->enabled_group[0] = '\0';
            return 0;
        }
        if (strcmp(v, "none") == 0) {
            cfg->enabled = SSPR_ENABLED_NONE;
            cfg->enabled_group[0] = '\0';
            return 0;
        }
        if (strncmp(v, "group:", 6) == 0 && name_ok(v + 6, strlen(v + 6)) &&
            copy_str(cfg->enabled_group, sizeof(cfg->enabled_group), v + 6) == 0) {
            cfg->enabled = SSPR_ENABLED_GROUP;
            return 0;
        }
        sspr_set_err(why, whylen, "must be all, none or group:NAME");
        return -1;
    case T_TEXT:
        if (has_control(v)) {
            sspr_set_err(why, whylen, "control characters are not allowed");
            return -1;
        }
        if (copy_str(field, k->size, v) != 0) {
            sspr_set_err(why, whylen, "too long (at most %zu bytes)", k->size - 1);
            return -1;
        }
        return 0;
    case T_URL:
        if (*v != '\0' && url_check(v, k->flags, why, whylen) != 0)
            return -1;
        if (copy_str(field, k->size, v) != 0) {
            sspr_set_err(why, whylen, "too long (at most %zu bytes)", k->size - 1);
            return -1;
        }
        return 0;
    case T_ADDR:
        if (*v != '\0' && !sspr_email_valid(v)) {
            sspr_set_err(why, whylen, "not a valid email address");
            return -1;
        }
        if (copy_str(field, k->size, v) != 0) {
            sspr_set_err(why, whylen, "too long (at most %zu bytes)", k->size - 1);
            return -1;
        }
        return 0;
    case T_LDAPURI:
    case T_ADDRS:
    case T_NAMES: {
        char buf[SSPR_CFG_LIST];
        size_t o = 0;
        const char *p = v;

        while (*p != '\0') {
            size_t n;
            int ok;

            if (*p == ' ' || *p == '\t') {
                p++;
                continue;
            }
            n = strcspn(p, " \t");
            if (k->type == T_NAMES) {
                ok = name_ok(p, n);
            } else if (k->type == T_LDAPURI) {
                ok = ldap_uri_ok(p, n);
            } else {
                char one[SSPR_CFG_ADDR];

                ok = n < sizeof(one);
                if (ok) {
                    memcpy(one, p, n);
                    one[n] = '\0';
                    ok = sspr_email_valid(one);
                }
            }
            if (!ok) {
                sspr_set_err(why, whylen, "%s",
                        k->type == T_ADDRS     ? "not a list of email addresses"
                        : k->type == T_LDAPURI ? "not a list of ldaps://, ldap:// or ldapi:// URIs"
                        : strcmp(k->name, "services") == 0 ? "not a list of PAM service names"
                                                           : "not a list of group names");
                return -1;
            }
            if (o + (o > 0) + n >= sizeof(buf) || o + (o > 0) + n >= k->size) {
                sspr_set_err(why, whylen, "too long (at most %zu bytes)", k->size - 1);
                return -1;
            }
            if (o > 0)
                buf[o++] = ' ';
            memcpy(buf + o, p, n);
            o += n;
            p += n;
        }
        buf[o] = '\0';
        memcpy(field, buf, o + 1);
        return 0;
    }
    case T_CHOICE: {
        size_t i;

        for (i = 0; k->choices[i] != NULL; i++) {
            if (strcasecmp(v, k->choices[i]) == 0) {
                *(int *)(void *)field = (int)i;
                return 0;
            }
        }
        sspr_set_err(why, whylen, "must be one of:");
        for (i = 0; k->choices[i] != NULL; i++) {
            size_t used = strlen(why);

            if (used < whylen)
                sspr_set_err(why + used, whylen - used, " %s", k->choices[i]);
        }
        return -1;
    }
    }
    sspr_set_err(why, whylen, "internal: unknown key type");
    return -1;
}

void sspr_config_defaults(struct sspr_config *cfg)
{
    size_t i;

    memset(cfg, 0, sizeof(*cfg));
    for (i = 0; i < NKEYS; i++) {
        char buf[PATH_MAX];
        const char *v = keys[i].def;

        if (v == NULL) {
            buf[0] = '\0';
            keys[i].def_fn(buf, sizeof(buf));
            v = buf;
        }
        /* Every default is valid (a unit test walks the table); if one were
         * not, the field would stay zero, which the range checks downstream
         * treat as unusable rather than permissive. */
        (void)set_value(cfg, &keys[i], v, NULL, 0);
    }
}

/* ---- parsing ------------------------------------------------------------------ */

struct parse_ctx {
    struct sspr_config *cfg;
    const char *text;
    size_t len, pos;
    int line;               /* the line inih is working on */
    int err_line;           /* first error we found, 0 for none */
    char *err;
    size_t errlen;
    unsigned char seen[NKEYS];
    size_t max_line;        /* the longest line the reader takes */
};

static int section_known(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < NKEYS; i++)
        if (strlen(keys[i].section) == n && strncmp(keys[i].section, s, n) == 0)
            return 1;
    return 0;
}

static void ctx_error(struct parse_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void ctx_error(struct parse_ctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (c->err_line != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->err_line = c->line;
    sspr_set_err(c->err, c->errlen, "line %d: %s", c->line, msg);
}

/*
 * Our own line reader for ini_parse_stream rather than ini_parse_string:
 * it knows the line number for each handler call (the system inih is built
 * without INI_HANDLER_LINENO), it refuses NUL bytes and over-long lines
 * instead of letting inih split them into two lines, it strips leading
 * blanks so that an indented line is never taken as the continuation of the
 * previous value, and it sees empty unknown [sections].
 */
static char *reader(char *str, int num, void *stream)
{
    struct parse_ctx *c = stream;
    const char *start, *nl;
    size_t n;

    if (c->err_line != 0 || c->pos >= c->len || num < 3)
        return NULL;
    start = c->text + c->pos;
    nl = memchr(start, '\n', c->len - c->pos);
    n = nl != NULL ? (size_t)(nl - start) : c->len - c->pos;
    c->pos += n + (nl != NULL);
    c->line++;
    if (memchr(start, '\0', n) != NULL) {
        ctx_error(c, "NUL byte");
        return NULL;
    }
    while (n > 0 && (*start == ' ' || *start == '\t')) {
        start++;
        n--;
    }
    c->max_line = (size_t)num - 2;
    if (n + 2 > (size_t)num) {
        ctx_error(c, "line too long (at most %d bytes)", num - 2);
        return NULL;
    }
    if (n > 0 && start[0] == '[') {
        const char *close = memchr(start, ']', n);

        if (close != NULL && !section_known(start + 1, (size_t)(close - start - 1))) {
            ctx_error(c, "unknown section [%.*s]", (int)(close - start - 1), start + 1);
            return NULL;
        }
    }
    memcpy(str, start, n);
    str[n] = '\n';
    str[n + 1] = '\0';
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse_ctx *c = user;
    char why[256];
    size_t i;

    if (c->err_line != 0)
        return 1;
    if (section[0] == '\0') {
        ctx_error(c, "'%s' is outside any [section]", name);
        return 0;
    }
    for (i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
            break;
    if (i == NKEYS) {
        ctx_error(c, "unknown key '%s' in [%s]", name, section);
        return 0;
    }
    if (c->seen[i]) {
        ctx_error(c, "duplicate key '%s' in [%s]", name, section);
        return 0;
    }
    c->seen[i] = 1;
    /* show-config writes "key = value": what would not fit in a line then
     * could not be read back (found by fuzz_config) */
    if (c->max_line > 0 && strlen(name) + 3 + strlen(value) > c->max_line) {
        ctx_error(c, "%s: too long (key = value must fit in %zu bytes)", name, c->max_line);
        return 0;
    }
    /* "key=;x" keeps ";x" but "key = ;x" is a comment: a value starting
     * with ';' would not read back the same from show-config. */
    if (value[0] == ';') {
        ctx_error(c, "%s: a value cannot start with ';' (that starts a comment)", name);
        return 0;
    }
    if (set_value(c->cfg, &keys[i], value, why, sizeof(why)) != 0) {
        ctx_error(c, "%s: %s", name, why);
        return 0;
    }
    return 1;
}

int sspr_config_parse(struct sspr_config *cfg, const char *text, size_t len, char *err,
                      size_t errlen)
{
    struct parse_ctx c;
    struct sspr_config *work;
    int r;

    sspr_set_err(err, errlen, "%s", "");
    if (cfg == NULL || (text == NULL && len > 0)) {
        sspr_set_err(err, errlen, "invalid arguments");
        return -1;
    }
    /* Parse into a copy: a file with an error changes nothing. */
    work = malloc(sizeof(*work));
    if (work == NULL) {
        sspr_set_err(err, errlen, "out of memory");
        return -1;
    }
    memcpy(work, cfg, sizeof(*work));
    memset(&c, 0, sizeof(c));
    c.cfg = work;
    c.text = text;
    c.len = len;
    c.err = err;
    c.errlen = errlen;

    r = ini_parse_stream(reader, &c, handler, &c);
    if (r > 0 && (c.err_line == 0 || r < c.err_line)) {
        /* inih's own complaint: a line that is neither a [section], a
         * comment nor key = value. */
        sspr_set_err(err, errlen, "line %d: syntax error (expected [section], key = value or a comment)",
                r);
        c.err_line = r;
    } else if (r < 0 && c.err_line == 0) {
        sspr_set_err(err, errlen, "cannot parse (inih error %d)", r);
        c.err_line = -1;
    }
    if (c.err_line == 0 && config_check(work, err, errlen) != 0)
        c.err_line = -1;
    if (c.err_line == 0)
        memcpy(cfg, work, sizeof(*cfg));
    free(work);
    return c.err_line == 0 ? 0 : -1;
}

int sspr_config_load(struct sspr_config *cfg, const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc;

    sspr_set_err(err, errlen, "%s", "");
    if (cfg == NULL || path == NULL) {
        sspr_set_err(err, errlen, "invalid arguments");
        return -1;
    }
    sspr_config_defaults(cfg);
    if (sspr_read_file_safely(path, 0, SSPR_CFG_MAX_BYTES, &text, &len, err, errlen) != 0) {
        if (errno == ENOENT) {
            sspr_set_err(err, errlen, "%s", "");
            return 0; /* no file: the documented defaults */
        }
        return -1;
    }
    {
        char perr[512];

        rc = sspr_config_parse(cfg, text, len, perr, sizeof(perr));
        if (rc != 0)
            sspr_set_err(err, errlen, "%s: %s", path, perr);
    }
    free(text);
    return rc;
}

/* ---- show-config ---------------------------------------------------------------- */

int sspr_config_print(const struct sspr_config *cfg, FILE *out)
{
    const char *section = NULL;
    size_t i;

    for (i = 0; i < NKEYS; i++) {
        const struct key *k = &keys[i];
        const char *field = (const char *)cfg + k->off;
        char buf[PATH_MAX + SSPR_CFG_LIST];

        switch (k->type) {
        case T_INT:
            snprintf(buf, sizeof(buf), "%d", *(const int *)(const void *)field);
            break;
        case T_LONG:
            snprintf(buf, sizeof(buf), "%ld", *(const long *)(const void *)field);
            break;
        case T_BOOL:
            snprintf(buf, sizeof(buf), "%s", *(const int *)(const void *)field ? "yes" : "no");
            break;
        case T_STR:
        case T_PATH:
        case T_NAME:
        case T_NAMES:
        case T_TEXT:
        case T_URL:
        case T_ADDR:
        case T_ADDRS:
        case T_LDAPURI:
            snprintf(buf, sizeof(buf), "%.*s", (int)k->size, field);
            break;
        case T_CHOICE:
            snprintf(buf, sizeof(buf), "%s", k->choices[*(const int *)(const void *)field]);
            break;
        case T_METHODS:
            if (format_methods(*(const unsigned *)(const void *)field, buf, sizeof(buf)) != 0)
                return -1;
            break;
        case T_ENABLED:
            if (cfg->enabled == SSPR_ENABLED_GROUP)
                snprintf(buf, sizeof(buf), "group:%s", cfg->enabled_group);
            else
                snprintf(buf, sizeof(buf), "%s", cfg->enabled == SSPR_ENABLED_NONE ? "none" : "all");
            break;
        default:
            return -1;
        }
        if (section == NULL || strcmp(section, k->section) != 0) {
            fprintf(out, "%s[%s]\n", section == NULL ? "" : "\n", k->section);
            section = k->section;
        }
        fprintf(out, "%s = %s\n", k->name, buf);
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
