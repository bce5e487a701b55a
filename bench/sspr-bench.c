/*
 * sspr-bench: the measurements behind docs/benchmarks.md. bench/run.sh runs
 * it through bench/inside.sh in the root sandbox (real users, real PAM
 * stacks, the installed module and helper); never make check. Every
 * number is taken against a baseline in the same invocation, interleaved
 * round by round so that drift hits both; times are CLOCK_MONOTONIC.
 *
 *   normal BASE_SVC SSPR_SVC USER GOOD_PW BAD_PW ROUNDS     b_normal.c
 *   once SVC USER PW
 *   startup HELPER PROBEDIR SVC USER ROUNDS                 b_prompt.c
 *   prompt SVC USER ROUNDS
 *   reset SVC PASSWD_SVC BASE_USER TOTP_FILE ROUNDS         b_reset.c
 *   fsyncs SVC PASSWD_SVC BASE_USER TOTP_FILE
 *   parallel SVC HELPER STATEDIR SAME_USER TOTP_FILE ROUNDS b_parallel.c
 *   mail SVC USER PORT ROUNDS DELIVER_PATH                  b_mail.c
 *   gc HELPER STATEDIR N ROUNDS                             b_gc.c
 *   gcflows SVC STATEDIR N FLOWS
 *   gcfill STATEDIR N
 *   disk DIR ROUNDS                                         b_disk.c
 *   ldap LOCAL_SVC LDAP_SVC LOCAL_POOL LDAP_POOL SLAPD_LOG ROUNDS WRONG HELPER LDAP_CONF
 *                                                           b_ldap.c
 *
 * PASS/MISS lines go to stdout and are appended to $BENCH_SUMMARY. Exit
 * status 1: the measurement could not be taken (a target missed is not a
 * failure).
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "bench.h"

static const struct {
    const char *name;
    int (*run)(int ac, char **av);
} cmds[] = {
    { "normal", cmd_normal },     { "once", cmd_once },     { "startup", cmd_startup },
    { "prompt", cmd_prompt },     { "reset", cmd_reset },   { "fsyncs", cmd_fsync_flow },
    { "parallel", cmd_parallel }, { "mail", cmd_mail },     { "gc", cmd_gc },
    { "gcflows", cmd_gcflows },   { "gcfill", cmd_gcfill }, { "disk", cmd_disk },
    { "ldap", cmd_ldap },
};

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2)
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
            if (strcmp(argv[1], cmds[i].name) == 0)
                return cmds[i].run(argc - 2, argv + 2);
    fprintf(stderr, "usage: sspr-bench COMMAND ARGS (see the top of bench/sspr-bench.c)\n");
    return 2;
}
