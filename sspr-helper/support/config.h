/* /etc/sspr/sspr.conf: one table of keys with defaults (config.c). */
#ifndef SSPR_CONFIG_H
#define SSPR_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

/* [email] starttls: what to do on smtp:// (smtps:// is TLS from the start). */
enum sspr_starttls { SSPR_STARTTLS_REQUIRED, SSPR_STARTTLS_OPTIONAL, SSPR_STARTTLS_OFF };
/* [sms] method and body. */
enum sspr_http_method { SSPR_HTTP_POST, SSPR_HTTP_GET };
enum sspr_sms_body { SSPR_SMS_JSON, SSPR_SMS_FORM };

enum sspr_enabled { SSPR_ENABLED_ALL, SSPR_ENABLED_NONE, SSPR_ENABLED_GROUP };

/* [ldap] starttls on ldap:// URIs, and who writes contact addresses. */
enum sspr_ldap_starttls { SSPR_LDAP_STARTTLS_REQUIRED, SSPR_LDAP_STARTTLS_OFF };
enum sspr_ldap_contacts { SSPR_LDAP_CONTACTS_READONLY, SSPR_LDAP_CONTACTS_WRITABLE };
/* [ldap] dialect: auto detects Active Directory from the root DSE. */
enum sspr_ldap_dialect { SSPR_LDAP_DIALECT_AUTO, SSPR_LDAP_DIALECT_OPENLDAP, SSPR_LDAP_DIALECT_AD };

/* register_at_login: index into its choices in config.c. */
enum sspr_register_mode { SSPR_REG_OFF, SSPR_REG_OFFER, SSPR_REG_REQUIRE };

#define SSPR_CFG_STR 256
#define SSPR_CFG_URL 512    /* URLs and the SMS body template (a line is < 200 bytes) */
#define SSPR_CFG_ADDR 256   /* one email address (<= 254 bytes) */
#define SSPR_CFG_LIST 1024  /* lists of names or addresses */
#define SSPR_CFG_MAX_BYTES (64 * 1024)

struct sspr_config {
    /* [general] */
    char backend[32];                  /* backend = local (backends/registry.c) */
    char state_dir[PATH_MAX];          /* state_dir = /var/lib/sspr */
    char issuer[SSPR_CFG_STR];         /* issuer = host name (TOTP label) */
    int flow_timeout;                  /* flow_timeout = 600 (s, whole flow) */
    /* [policy] */
    enum sspr_enabled enabled;         /* enabled = all | none | group:NAME */
    char enabled_group[SSPR_CFG_STR];
    long min_uid;                      /* min_uid = UID_MIN from /etc/login.defs, else 1000 */
    int user_gates;                    /* user_gates = 1 */
    int admin_gates;                   /* admin_gates = 2 */
    char admin_groups[SSPR_CFG_STR];   /* admin_groups = sudo wheel admin (space separated) */
    unsigned user_methods;             /* user_methods = totp recovery email sms */
    unsigned admin_methods;            /* admin_methods = totp recovery email sms (never
                                          questions; an admin's gates are never all email/sms:
                                          the flow enforces that) */
    int show_hints;                    /* show_hints = no */
    char services[SSPR_CFG_LIST];      /* services = (empty: every PAM service; else the PAM
                                          service names where resets are offered) */
    int questions_enabled;             /* questions_enabled = no */
    int questions_asked;               /* questions_asked = 2 (asked in one reset) */
    int questions_required;            /* questions_required = 3 (registered at enrollment) */
    char questions_file[PATH_MAX];     /* questions_file = SYSCONFDIR/sspr/questions.txt */
    char notify_admins[SSPR_CFG_LIST]; /* notify_admins = (addresses told when an admin resets) */
    int register_at_login;             /* register_at_login = offer (off | offer | require; used
                                          by the module's account line) */
    int reconfirm_days;                /* reconfirm_days = 180 (0: never ask again) */
    /* [throttle] */
    int max_failures;                  /* max_failures = 5 (per user in window) */
    int failure_window;                /* failure_window = 900 (s) */
    int lockout;                       /* lockout = 900 (s) */
    int failure_delay;                 /* failure_delay = 2 (s, doubles per failure, cap 30) */
    int max_consecutive;               /* max_consecutive = 50 (failures across windows until an
                                          admin unlock; SP 800-63B caps this at 100) */
    int max_failures_per_method;       /* max_failures_per_method = 3 (in the window; that
                                          method is refused, the others still work) */
    int max_sends_per_hour;            /* max_sends_per_hour = 5 (codes sent per subject, all
                                          channels, sliding hour) */
    /* [password] */
    int min_length;                    /* min_length = 12 */
    char banned_file[PATH_MAX];        /* banned_file = DATADIR/banned-passwords.txt */
    char pam_service[SSPR_CFG_STR];    /* pam_service = sspr-passwd */
    char pam_confdir[PATH_MAX];        /* pam_confdir = (empty: the system's /etc/pam.d) */
    int max_tries;                     /* max_tries = 3 (new-password attempts) */
    /* [email] */
    char smtp_url[SSPR_CFG_URL];       /* smtp_url = (empty: no email; smtp:// or smtps://) */
    enum sspr_starttls starttls;       /* starttls = required | optional | off */
    char email_auth_file[PATH_MAX];    /* auth_file = (empty: no SMTP AUTH) */
    char email_from[SSPR_CFG_ADDR];    /* from = (required when smtp_url is set) */
    char email_ca_file[PATH_MAX];      /* ca_file = (empty: the system's CA store) */
    int email_timeout;                 /* timeout = 20 (s, total; connect <= 10) */
    char admin_contact[SSPR_CFG_STR];  /* admin_contact = (shown in mails: whom to tell) */
    char templates_dir[PATH_MAX];      /* templates_dir = SYSCONFDIR/sspr/templates */
    int email_code_digits;             /* code_digits = 8 */
    int email_code_lifetime;           /* code_lifetime = 600 (s, <= 86400) */
    /* [sms] */
    char sms_url[SSPR_CFG_URL];        /* url = (empty: no SMS; https://, or http:// to
                                          127.0.0.1/::1/localhost only) */
    enum sspr_http_method sms_method;  /* method = POST | GET */
    enum sspr_sms_body sms_body;       /* body = json | form */
    char sms_body_template[SSPR_CFG_URL]; /* body_template = (empty: the default for body) */
    char sms_auth_file[PATH_MAX];      /* auth_file = (empty: no authentication) */
    char sms_ca_file[PATH_MAX];        /* ca_file = (empty: the system's CA store) */
    int sms_timeout;                   /* timeout = 15 (s, total) */
    int sms_connect_timeout;           /* connect_timeout = 5 (s) */
    int sms_code_digits;               /* code_digits = 6 */
    int sms_code_lifetime;             /* code_lifetime = 300 (s, <= 600) */
    /* [ldap] (backend = ldap) */
    char ldap_uri[SSPR_CFG_URL];       /* uri = ldaps://, ldap:// (StartTLS) or ldapi://; several,
                                          space-separated, are tried in order */
    int ldap_starttls;                 /* starttls = required | off (off: loopback/ldapi only) */
    char ldap_base[SSPR_CFG_URL];      /* base = where users are searched */
    int ldap_dialect;                  /* dialect = auto | openldap | ad */
    char ldap_user_filter[SSPR_CFG_URL]; /* user_filter = (empty: the dialect's, backends/ldap/ad.c) */
    char ldap_bind_dn[SSPR_CFG_URL];   /* bind_dn = the service account */
    char ldap_bind_pw_file[PATH_MAX];  /* bind_pw_file = its password (root-only file) */
    char ldap_ca_file[PATH_MAX];       /* ca_file = (empty: the system's CA store) */
    int ldap_timeout;                  /* timeout = 5 (s, connecting and each operation) */
    char ldap_mail_attr[64];           /* mail_attribute = mail */
    char ldap_mobile_attr[64];         /* mobile_attribute = mobile */
    int ldap_contacts;                 /* contacts = readonly | writable */
    int ldap_unlock_on_reset;          /* unlock_on_reset = no (clear ppolicy's lockout) */
};

/* 1 when the email / SMS gate is configured (smtp_url / url set). */
int sspr_config_email_on(const struct sspr_config *cfg);
int sspr_config_sms_on(const struct sspr_config *cfg);

/* 1 when the host part of an http(s)/smtp(s) URL is a loopback name or
 * address (127.0.0.0/8, ::1, localhost), else 0. */
int sspr_url_is_loopback(const char *url);

/* Fill in every default. */
void sspr_config_defaults(struct sspr_config *cfg);

/* Parse INI text into cfg (defaults must already be there). Unknown
 * sections/keys and bad values are errors: err gets "line N: ...".
 * Returns 0 or -1. */
int sspr_config_parse(struct sspr_config *cfg, const char *text, size_t len,
                      char *err, size_t errlen);

/* Defaults, then the file at path opened safely (root-owned regular file,
 * not group/world writable, O_NOFOLLOW, size-capped). A missing file means
 * defaults only. Returns 0 or -1 with err set. */
int sspr_config_load(struct sspr_config *cfg, const char *path, char *err, size_t errlen);

/* Print the effective configuration as INI text (every key, with its
 * current value) for `sspr-helper show-config`. Returns 0 or -1. */
int sspr_config_print(const struct sspr_config *cfg, FILE *out);

/* UID_MIN from a login.defs file (the last valid setting), or 1000 when the
 * file or the value is missing or unusable. */
long sspr_login_defs_uid_min(const char *path);

#endif
