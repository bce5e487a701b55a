/* Admin commands. Secrets go to stdout once (the otpauth URI, the recovery
 * codes); everything else goes to stderr, so `> file` captures only them. */
#include "autoconf.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/backend.h"
#include "cli.h"
#include "enroll.h"
#include "gates/recovery.h"
#include "gates/totp.h"
#include "qr.h"
#include "throttle.h"
#include "wipe.h"

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
static int edit_record(const struct sspr_config *cfg, const struct target *t,
                       sspr_record_edit edit, void *ctx)
{
    struct sspr_store st;
    int rc;

    if (open_store(cfg, &st) != 0)
        return 1;
    rc = sspr_local_edit(&st, t->uid, t->name, edit, ctx);
    sspr_store_close(&st);
    if (rc != SSPR_STORE_OK) {
        fprintf(stderr, "sspr-helper: record for %s: %s (nothing was changed)\n", t->name,
                rc == SSPR_LOCAL_EDIT_ABORTED ? "could not be updated" : sspr_store_strerror(rc));
        return 1;
    }
    return 0;
}

/* Put a prepared JSON object into the record under `field`. */
struct set_field {
    const char *field;
    json_t *value;
};

static int set_field(json_t *rec, void *vctx)
{
    struct set_field *sf = vctx;
    return json_object_set(rec, sf->field, sf->value);
}

/* The secret is printed only once the record holding it is on disk. */
static int enroll_totp(const struct sspr_config *cfg, const struct target *t)
{
    struct sspr_new_totp nt;
    struct set_field sf = { "totp", NULL };
    int rc = 1;

    if (sspr_new_totp_make(cfg, t->name, &nt) == 0 && (sf.value = sspr_new_totp_json(&nt, -1)) != NULL)
        rc = edit_record(cfg, t, set_field, &sf);
    if (rc == 0) {
        printf("%s\n", nt.uri);
        if (isatty(STDOUT_FILENO))
            (void)sspr_qr_print(stdout, nt.uri);
        fflush(stdout);
        fprintf(stderr, "Authenticator app enrolled for %s: scan the QR code or add the URI above.\n"
                        "Anyone who sees it can make codes: clear the screen afterwards.\n", t->name);
    }
    json_decref(sf.value);
    sspr_new_totp_wipe(&nt);
    return rc;
}

static int enroll_recovery(const struct sspr_config *cfg, const struct target *t)
{
    struct sspr_new_recovery nr;
    struct set_field sf = { "recovery", NULL };
    int rc = 1;

    if (sspr_new_recovery_make(&nr) == 0) {
        sf.value = nr.stored;
        rc = edit_record(cfg, t, set_field, &sf);
    }
    if (rc == 0) {
        for (int i = 0; i < SSPR_RECOVERY_COUNT; i++)
            printf("%s\n", nr.codes[i]);
        fflush(stdout);
        fprintf(stderr, "New recovery codes for %s (any earlier ones no longer work).\n"
                        "Each works once. They are shown only now: keep them somewhere safe.\n",
                t->name);
    }
    sspr_new_recovery_wipe(&nr);
    return rc;
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
    return strcmp(argv[1], "--totp") == 0 ? enroll_totp(cfg, &t) : enroll_recovery(cfg, &t);
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
