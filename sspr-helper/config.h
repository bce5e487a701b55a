/* /etc/sspr/sspr.conf: one table of keys with defaults (config.c). */
#ifndef SSPR_CONFIG_H
#define SSPR_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

/* Gate methods, as a bit set. */
enum sspr_method {
    SSPR_M_TOTP = 1u << 0,
    SSPR_M_RECOVERY = 1u << 1,
};

enum sspr_enabled { SSPR_ENABLED_ALL, SSPR_ENABLED_NONE, SSPR_ENABLED_GROUP };

#define SSPR_CFG_STR 256
#define SSPR_CFG_MAX_BYTES (64 * 1024)

struct sspr_config {
    /* [general] */
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
    unsigned user_methods;             /* user_methods = totp recovery */
    unsigned admin_methods;            /* admin_methods = totp recovery */
    int show_hints;                    /* show_hints = no */
    /* [throttle] */
    int max_failures;                  /* max_failures = 5 (per user in window) */
    int failure_window;                /* failure_window = 900 (s) */
    int lockout;                       /* lockout = 900 (s) */
    int failure_delay;                 /* failure_delay = 2 (s, doubles per failure, cap 30) */
    int max_consecutive;               /* max_consecutive = 50 (failures across windows until an
                                          admin unlock; SP 800-63B caps this at 100) */
    /* [password] */
    int min_length;                    /* min_length = 12 */
    char banned_file[PATH_MAX];        /* banned_file = DATADIR/banned-passwords.txt */
    char pam_service[SSPR_CFG_STR];    /* pam_service = sspr-passwd */
    char pam_confdir[PATH_MAX];        /* pam_confdir = (empty: the system's /etc/pam.d) */
    int max_tries;                     /* max_tries = 3 (new-password attempts) */
};

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

/* "totp recovery" <-> bit set. Returns -1 on an unknown word. */
int sspr_methods_parse(const char *words, unsigned *out);
const char *sspr_method_name(unsigned method_bit);

#endif
