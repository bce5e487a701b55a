/* sspr-bench normal / once: ordinary logins with and without pam_sspr. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static double one(const char *svc, const char *user, const char *pw, int want)
{
    struct flow fl = { .password = pw, .decline = true };
    double t0 = now_us(), t1;
    int rc = flow_run(svc, user, &fl, &t1);

    if (rc != want)
        die("%s: unexpected PAM result %d (check the bench stacks)", svc, rc);
    return t1 - t0;
}

/* normal BASE_SVC SSPR_SVC USER GOOD_PW BAD_PW ROUNDS
 * One sample: pam_start + pam_authenticate (+ pam_end, untimed). Both
 * stacks per round, A B in even rounds and B A in odd ones. */
int cmd_normal(int ac, char **av)
{
    const char *svc[2], *user, *pw[2];
    const int want[2] = { PAM_SUCCESS, PAM_AUTH_ERR };
    const char *pname[2] = { "right password", "wrong password" };
    struct samples t[2][2] = { { { 0 } } };
    int rounds;

    if (ac != 6)
        die("usage: normal BASE_SVC SSPR_SVC USER GOOD_PW BAD_PW ROUNDS");
    svc[0] = av[0];
    svc[1] = av[1];
    user = av[2];
    pw[0] = av[3];
    pw[1] = av[4];
    if ((rounds = atoi(av[5])) < 4)
        die("ROUNDS >= 4");
    for (int k = 0; k < 3; k++) /* warm-up: page cache, NSS */
        for (int s = 0; s < 2; s++)
            for (int p = 0; p < 2; p++)
                (void)one(svc[s], user, pw[p], want[p]);
    for (int i = 0; i < rounds; i++)
        for (int p = 0; p < 2; p++)
            for (int k = 0; k < 2; k++) {
                int s = (i + k) % 2;
                samples_add(&t[s][p], one(svc[s], user, pw[p], want[p]));
            }
    for (int p = 0; p < 2; p++) {
        double m0 = samples_q(&t[0][p], 0.5), m1 = samples_q(&t[1][p], 0.5);
        double ratio = samples_ratio(&t[1][p], &t[0][p]);
        char label[96];

        snprintf(label, sizeof(label), "%s, pam_unix only (baseline)", pname[p]);
        samples_print(label, &t[0][p]);
        snprintf(label, sizeof(label), "%s, pam_unix + pam_sspr", pname[p]);
        samples_print(label, &t[1][p]);
        snprintf(label, sizeof(label), "normal path, %s", pname[p]);
        verdict(ratio <= 1.02, label, "ratio %.3f  (target <= 1.02)  medians %+.0f us", ratio,
                m1 - m0);
    }
    for (int s = 0; s < 2; s++)
        for (int p = 0; p < 2; p++)
            samples_free(&t[s][p]);
    return 0;
}

/* once SVC USER PW: one transaction (for strace) */
int cmd_once(int ac, char **av)
{
    struct flow fl = { .password = ac > 2 ? av[2] : "", .decline = true };

    if (ac != 3)
        die("usage: once SVC USER PW");
    printf("%s\n", flow_run(av[0], av[1], &fl, NULL) == PAM_SUCCESS ? "PAM_SUCCESS" : "failed");
    return 0;
}
