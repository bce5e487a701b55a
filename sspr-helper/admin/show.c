/* `show USER`, `unlock USER`, `gc`: what is registered and the throttle's
 * state (a lockout, or the methods blocked after too many wrong answers),
 * never a secret; clearing a lockout; sweeping expired state. */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "admin/cli.h"
#include "state/throttle.h"

/* The methods blocked after too many wrong answers, one line each;
 * registered: the methods the user has (for what still works). */
static void show_blocks(struct sspr_admin *ad, const struct sspr_subject *subj, time_t now,
                        unsigned registered)
{
    struct sspr_method_block b[SSPR_GATES_MAX];
    unsigned blocked = 0;
    char line[256];
    int n = sspr_admin_method_blocks(&ad->be, subj, now, b, SSPR_GATES_MAX);

    for (int i = 0; i < n; i++)
        blocked |= sspr_gate_bit(b[i].g);
    for (int i = 0; i < n; i++) {
        sspr_admin_block_text(&b[i], (registered & ~blocked) != 0, line, sizeof(line));
        printf("%s\n", line);
    }
}

static void show_throttle(struct sspr_admin *ad, unsigned registered)
{
    struct sspr_subject subj;
    struct sspr_throttle_state ts;
    char when[64];
    time_t now = time(NULL);

    if (sspr_be_subject(&ad->be, &ad->acct, ad->acct.name, &subj) != SSPR_OK ||
        sspr_throttle_get(&ad->be, &subj, now, &ts) != SSPR_OK) {
        printf("throttle: record unreadable (counts as locked out)\n");
    } else if (ts.locked_until == SSPR_THROTTLE_FOREVER) {
        printf(
            "throttle: locked out until `sspr-helper unlock %s` (too many consecutive failures)\n",
            ad->acct.name);
    } else if (sspr_throttle_locked(&ts, now)) {
        sspr_admin_time((long long)ts.locked_until, when, sizeof(when));
        printf("throttle: locked out until %s\n", when);
    } else {
        printf("throttle: %d recent failed attempt(s), not locked out\n", ts.failures);
        show_blocks(ad, &subj, now, registered);
    }
}

int sspr_cli_show(const struct sspr_config *cfg, int argc, char **argv)
{
    struct sspr_admin ad;
    struct sspr_record rec;
    const struct sspr_gate *g;
    unsigned registered = 0;
    int rc;

    if (argc != 1) {
        fputs("usage: sspr-helper show USER\n", stderr);
        return 2;
    }
    if (sspr_admin_open(&ad, cfg) != 0)
        return 1;
    if (sspr_admin_find_user(&ad, argv[0]) != 0) {
        sspr_admin_close(&ad);
        return 1;
    }
    printf("user: %s (uid %lu)\n", ad.acct.name, (unsigned long)ad.acct.uid);
    rc = sspr_be_load(&ad.be, &ad.acct, &rec);
    if (rc != SSPR_OK) {
        printf("record: unreadable (%s): resets fail for this user until it is fixed\n",
               sspr_strerror(rc));
    } else if (sspr_record_empty(&rec)) {
        printf("methods: none registered\n");
    } else {
        SSPR_GATE_FOREACH(i, g)
            g->describe(g, &rec.m[i], cfg, stdout);
        registered = sspr_gates_usable(&rec);
    }
    sspr_record_clear(&rec);
    show_throttle(&ad, registered);
    sspr_admin_close(&ad);
    return 0;
}

int sspr_cli_unlock(const struct sspr_config *cfg, int argc, char **argv)
{
    struct sspr_admin ad;
    struct sspr_subject subj;
    int rc;

    if (argc != 1) {
        fputs("usage: sspr-helper unlock USER\n", stderr);
        return 2;
    }
    if (sspr_admin_open(&ad, cfg) != 0)
        return 1;
    if (sspr_admin_find_user(&ad, argv[0]) != 0) {
        sspr_admin_close(&ad);
        return 1;
    }
    rc = sspr_be_subject(&ad.be, &ad.acct, ad.acct.name, &subj);
    if (rc == SSPR_OK)
        rc = sspr_throttle_clear(&ad.be, &subj);
    sspr_admin_close(&ad);
    if (rc != SSPR_OK) {
        fprintf(stderr, "sspr-helper: unlock %s: %s\n", argv[0], sspr_strerror(rc));
        return 1;
    }
    fprintf(stderr, "Failed attempts and lockout cleared for %s.\n", argv[0]);
    return 0;
}

int sspr_cli_gc(const struct sspr_config *cfg, int argc, char **argv)
{
    struct sspr_admin ad;
    unsigned removed = 0;
    int rc;

    (void)argv;
    if (argc != 0) {
        fputs("usage: sspr-helper gc\n", stderr);
        return 2;
    }
    if (sspr_admin_open(&ad, cfg) != 0)
        return 1;
    rc = sspr_be_gc(&ad.be, time(NULL), &removed);
    sspr_admin_close(&ad);
    if (rc != SSPR_OK) {
        fprintf(stderr, "sspr-helper: gc: %s\n", sspr_strerror(rc));
        return 1;
    }
    fprintf(stderr, "Removed %u expired throttle record(s) of names that match no account.\n",
            removed);
    return 0;
}
