/* Admin commands. Secrets go to stdout once (the otpauth URI, the recovery
 * codes); everything else goes to stderr, so `> file` captures only them. */
#include "autoconf.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/backend.h"
#include "base32.h"
#include "cli.h"
#include "gates/recovery.h"
#include "gates/totp.h"
#include "qr.h"
#include "throttle.h"
#include "wipe.h"

#define LOCK_WAIT_MS 5000

struct target {
    char name[SSPR_USER_MAX + 1];
    uid_t uid;
    char key[64];
};

static int find_user(const char *name, struct target *t)
{
    struct passwd *pw;

    if (!sspr_username_ok(name) || (pw = getpwnam(name)) == NULL ||
        strcmp(pw->pw_name, name) != 0) {
        fprintf(stderr, "sspr-helper: no such user: %s\n", sspr_username_ok(name) ? name : "(malformed)");
        return -1;
    }
    snprintf(t->name, sizeof(t->name), "%s", pw->pw_name);
    t->uid = pw->pw_uid;
    sspr_local_user_key(pw->pw_uid, t->key, sizeof(t->key));
    return 0;
}

static int open_store(const struct sspr_config *cfg, struct sspr_store *st)
{
    int rc = sspr_store_open(st, cfg->state_dir, 1);
    if (rc != SSPR_STORE_OK) {
        fprintf(stderr, "sspr-helper: state directory %s: %s\n", cfg->state_dir,
                sspr_store_strerror(rc));
        return -1;
    }
    return 0;
}

/* Read-modify-write of a user's record under its lock. */
typedef int (*record_edit)(json_t *rec, const struct target *t, const struct sspr_config *cfg);

static int edit_record(const struct sspr_config *cfg, const struct target *t, record_edit edit)
{
    struct sspr_store st;
    json_t *rec = NULL;
    int lockfd, rc, ret = 1;

    if (open_store(cfg, &st) != 0)
        return 1;
    lockfd = sspr_store_lock(&st, t->key, LOCK_WAIT_MS);
    if (lockfd < 0) {
        fprintf(stderr, "sspr-helper: %s: %s\n", t->name, sspr_store_strerror(lockfd));
        goto out;
    }
    rc = sspr_store_read(&st, t->key, &rec);
    if (rc == SSPR_STORE_ENOENT) {
        rec = json_object();
    } else if (rc != SSPR_STORE_OK) {
        fprintf(stderr, "sspr-helper: record for %s: %s (fix or remove it first)\n", t->name,
                sspr_store_strerror(rc));
        goto unlock;
    }
    json_object_set_new(rec, "version", json_integer(1));
    json_object_set_new(rec, "uid", json_integer((json_int_t)t->uid));
    json_object_set_new(rec, "user", json_string(t->name));
    if (rec == NULL || edit(rec, t, cfg) != 0)
        goto unlock;
    rc = sspr_store_write(&st, t->key, rec);
    if (rc != SSPR_STORE_OK) {
        fprintf(stderr, "sspr-helper: could not save the record for %s: %s\n", t->name,
                sspr_store_strerror(rc));
        goto unlock;
    }
    ret = 0;
unlock:
    json_decref(rec);
    sspr_store_unlock(lockfd);
out:
    sspr_store_close(&st);
    return ret;
}

/* otpauth URI label and issuer: percent-encode everything but unreserved. */
static void uri_escape(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *in != '\0' && o + 4 < cap; in++) {
        unsigned char c = (unsigned char)*in;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

static int edit_totp(json_t *rec, const struct target *t, const struct sspr_config *cfg)
{
    uint8_t secret[SSPR_TOTP_SECRET_BYTES];
    char b32[64], issuer[3 * SSPR_CFG_STR], user[3 * (SSPR_USER_MAX + 1)], uri[2 * sizeof(issuer) + sizeof(user) + 128];
    json_t *totp;

    sspr_totp_new_secret(secret);
    if (sspr_base32_encode(secret, sizeof(secret), b32, sizeof(b32)) != 0)
        return -1;
    SSPR_WIPE_ARRAY(secret);
    totp = json_pack("{s:s, s:I, s:I}", "secret", b32, "last_step", (json_int_t)-1,
                     "enrolled", (json_int_t)time(NULL));
    if (totp == NULL || json_object_set_new(rec, "totp", totp) != 0)
        return -1;
    uri_escape(cfg->issuer, issuer, sizeof(issuer));
    uri_escape(t->name, user, sizeof(user));
    snprintf(uri, sizeof(uri),
             "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=6&period=30",
             issuer, user, b32, issuer);
    printf("%s\n", uri);
    if (isatty(STDOUT_FILENO))
        (void)sspr_qr_print(stdout, uri);
    fflush(stdout);
    fprintf(stderr, "Authenticator app enrolled for %s: scan the QR code or add the URI above.\n"
                    "Anyone who sees it can make codes: clear the screen afterwards.\n", t->name);
    SSPR_WIPE_ARRAY(uri);
    SSPR_WIPE_ARRAY(b32);
    return 0;
}

static int edit_recovery(json_t *rec, const struct target *t, const struct sspr_config *cfg)
{
    char codes[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_CODE_LEN + 1];
    json_t *stored = NULL;

    (void)cfg;
    if (sspr_recovery_generate(codes, &stored) != 0)
        return -1;
    json_object_set_new(stored, "enrolled", json_integer((json_int_t)time(NULL)));
    if (json_object_set_new(rec, "recovery", stored) != 0)
        return -1;
    for (int i = 0; i < SSPR_RECOVERY_COUNT; i++)
        printf("%s\n", codes[i]);
    fflush(stdout);
    fprintf(stderr, "New recovery codes for %s (any earlier ones no longer work).\n"
                    "Each works once. They are shown only now: keep them somewhere safe.\n",
            t->name);
    SSPR_WIPE_ARRAY(codes);
    return 0;
}

static const char ENROLL_USAGE[] = "usage: sspr-helper enroll USER --totp | --recovery-codes\n";

int sspr_cli_enroll(const struct sspr_config *cfg, int argc, char **argv)
{
    struct target t;

    if (argc != 2 || (strcmp(argv[1], "--totp") != 0 && strcmp(argv[1], "--recovery-codes") != 0)) {
        fputs(ENROLL_USAGE, stderr);
        return 2;
    }
    if (find_user(argv[0], &t) != 0)
        return 1;
    return edit_record(cfg, &t, strcmp(argv[1], "--totp") == 0 ? edit_totp : edit_recovery);
}

static void print_time(const char *label, json_t *when)
{
    char buf[64] = "unknown";
    time_t t = json_is_integer(when) ? (time_t)json_integer_value(when) : 0;
    struct tm tm;

    if (t > 0 && gmtime_r(&t, &tm) != NULL)
        strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
    printf("%s%s\n", label, buf);
}

int sspr_cli_show(const struct sspr_config *cfg, int argc, char **argv)
{
    struct target t;
    struct sspr_store st;
    struct sspr_throttle_state ts;
    char tkey[96];
    json_t *rec = NULL, *part;
    int rc;

    if (argc != 1) {
        fputs("usage: sspr-helper show USER\n", stderr);
        return 2;
    }
    if (find_user(argv[0], &t) != 0 || open_store(cfg, &st) != 0)
        return 1;
    printf("user: %s (uid %lu)\n", t.name, (unsigned long)t.uid);
    rc = sspr_store_read(&st, t.key, &rec);
    if (rc == SSPR_STORE_ENOENT) {
        printf("methods: none registered\n");
    } else if (rc != SSPR_STORE_OK) {
        printf("record: unreadable (%s): resets fail for this user until it is fixed\n",
               sspr_store_strerror(rc));
    } else {
        if (json_is_object(part = json_object_get(rec, "totp")))
            print_time("totp: enrolled ", json_object_get(part, "enrolled"));
        else
            printf("totp: not enrolled\n");
        if (json_is_object(part = json_object_get(rec, "recovery"))) {
            printf("recovery: %zu of %d codes left, ", sspr_recovery_remaining(part),
                   SSPR_RECOVERY_COUNT);
            print_time("issued ", json_object_get(part, "enrolled"));
        } else {
            printf("recovery: not enrolled\n");
        }
        json_decref(rec);
    }
    sspr_throttle_key(&st, (long)t.uid, t.name, tkey, sizeof(tkey));
    if (sspr_throttle_get(&st, tkey, time(NULL), cfg, &ts) != 0) {
        printf("throttle: record unreadable (counts as locked out)\n");
    } else if (ts.locked_until == SSPR_THROTTLE_FOREVER) {
        printf("throttle: locked out until `sspr-helper unlock %s` (too many consecutive failures)\n",
               t.name);
    } else if (sspr_throttle_locked(&ts, time(NULL))) {
        json_t *until = json_integer((json_int_t)ts.locked_until);
        print_time("throttle: locked out until ", until);
        json_decref(until);
    } else {
        printf("throttle: %d recent failed attempt(s), not locked out\n", ts.failures);
    }
    sspr_store_close(&st);
    return 0;
}

int sspr_cli_unlock(const struct sspr_config *cfg, int argc, char **argv)
{
    struct target t;
    struct sspr_store st;
    char tkey[96];
    int rc;

    if (argc != 1) {
        fputs("usage: sspr-helper unlock USER\n", stderr);
        return 2;
    }
    if (find_user(argv[0], &t) != 0 || open_store(cfg, &st) != 0)
        return 1;
    sspr_throttle_key(&st, (long)t.uid, t.name, tkey, sizeof(tkey));
    rc = sspr_throttle_clear(&st, tkey);
    sspr_store_close(&st);
    if (rc != SSPR_STORE_OK) {
        fprintf(stderr, "sspr-helper: unlock %s: %s\n", t.name, sspr_store_strerror(rc));
        return 1;
    }
    fprintf(stderr, "Failed attempts and lockout cleared for %s.\n", t.name);
    return 0;
}
