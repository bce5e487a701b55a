/* Admin commands. Secrets go to stdout once (the otpauth URI, the recovery
 * codes); everything else goes to stderr, so `> file` captures only them. */
#include "autoconf.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends/backend.h"
#include "admin/cli.h"
#include "admin/cli_util.h"
#include "proofs/questions.h"
#include "gates/enroll_material.h"
#include "proofs/recovery.h"
#include "proofs/totp.h"
#include "support/qr.h"
#include "state/throttle.h"
#include "wipe.h"

int sspr_cli_find_user(const char *name, struct target *t)
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

int sspr_cli_open_store(const struct sspr_config *cfg, struct sspr_store *st)
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
int sspr_cli_edit_record(const struct sspr_config *cfg, const struct target *t,
                       sspr_record_edit edit, void *ctx)
{
    struct sspr_store st;
    int rc;

    if (sspr_cli_open_store(cfg, &st) != 0)
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
    if (sspr_cli_find_user(argv[0], &t) != 0 || sspr_cli_open_store(cfg, &st) != 0)
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
        json_t *v = json_object_get(json_object_get(rec, "email"), "address");
        printf("email: %s%s\n", json_is_string(v) ? json_string_value(v) : "not registered",
               json_is_string(v) && !sspr_config_email_on(cfg) ? " ([email] not configured)" : "");
        v = json_object_get(json_object_get(rec, "phone"), "number");
        printf("sms: %s%s\n", json_is_string(v) ? json_string_value(v) : "not registered",
               json_is_string(v) && !sspr_config_sms_on(cfg) ? " ([sms] not configured)" : "");
        int q = sspr_questions_count(rec);
        if (q > 0)
            printf("questions: %d registered%s\n", q,
                   cfg->questions_enabled ? "" : " (questions_enabled = no)");
        else
            printf("questions: not registered\n");
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
    if (sspr_cli_find_user(argv[0], &t) != 0 || sspr_cli_open_store(cfg, &st) != 0)
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

int sspr_cli_gc(const struct sspr_config *cfg, int argc, char **argv)
{
    struct sspr_store st;
    unsigned removed = 0;
    int rc;

    (void)argv;
    if (argc != 0) {
        fputs("usage: sspr-helper gc\n", stderr);
        return 2;
    }
    if (sspr_cli_open_store(cfg, &st) != 0)
        return 1;
    rc = sspr_throttle_gc(&st, time(NULL), cfg, &removed);
    sspr_store_close(&st);
    if (rc != SSPR_STORE_OK) {
        fprintf(stderr, "sspr-helper: gc: %s\n", sspr_store_strerror(rc));
        return 1;
    }
    fprintf(stderr, "Removed %u expired throttle record(s) of names that match no account.\n",
            removed);
    return 0;
}
