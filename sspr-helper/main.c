/*
 * sspr-helper: `sspr-helper pam` is started by pam_sspr.so with the channel
 * on stdin/stdout; the other subcommands are the admin CLI.
 */
#include "autoconf.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "admin/cli.h"
#include "support/config.h"
#include "admin/doctor/doctor.h"
#include "admin/import.h"
#include "flow/flow.h"

static const char USAGE[] =
    "usage: sspr-helper [--config=PATH] COMMAND [ARGS]\n"
    "  enroll USER --totp            register an authenticator app (prints the otpauth URI)\n"
    "  enroll USER --recovery-codes  issue ten new single-use recovery codes\n"
    "  enroll USER --email ADDRESS   register an email address for codes\n"
    "  enroll USER --phone +NUMBER   register a phone number (E.164) for text-message codes\n"
    "  enroll USER --questions       register security answers (stdin: N<TAB>answer lines\n"
    "                                when not a terminal); --questions --list shows the bank\n"
    "  unenroll USER METHOD          remove totp, recovery, email, sms, questions or all\n"
    "  show USER                     registered methods and lockout state (no secrets)\n"
    "  unlock USER                   clear failed attempts and a lockout\n"
    "  import FILE                   set email/phone for many users (JSON or CSV; - for stdin)\n"
    "  doctor [USER]                 check the installation (and one user) and say how to fix it\n"
    "  gc                            remove expired throttle records of unknown names\n"
    "  show-config                   the effective configuration, every key\n"
    "  pam                           run a reset flow for pam_sspr.so (not for humans)\n"
    "  --version\n";

/* The helper's own signal set-up: nothing inherited from the host. */
static void setup_signals(void)
{
    sigset_t none;
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        (void)sigaction(s, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    (void)sigaction(SIGPIPE, &sa, NULL);
    (void)sigaction(SIGXFSZ, &sa, NULL); /* a write that hits a limit fails, never kills */
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * Under su, sudo or pkexec the helper starts with root's effective UID but
 * the caller's real UID, limits and session: the caller could signal it,
 * cap its file size so that failure records are never written, or stop it
 * while it holds an account's lock. Take all of that back first.
 */
static int become_own_process(void)
{
    static const struct { int res; rlim_t cur; } limits[] = {
        { RLIMIT_FSIZE, RLIM_INFINITY }, { RLIMIT_CPU, RLIM_INFINITY },
        { RLIMIT_AS, RLIM_INFINITY },    { RLIMIT_DATA, RLIM_INFINITY },
        { RLIMIT_NOFILE, 1024 },         { RLIMIT_CORE, 0 },
        /* the store's lock wait uses a timer signal (backends/local/store.c) */
        { RLIMIT_SIGPENDING, RLIM_INFINITY },
    };

    if (geteuid() == 0) {
        if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)
            return -1;
        for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
            struct rlimit rl = { limits[i].cur, limits[i].cur };
            (void)setrlimit(limits[i].res, &rl);
        }
    }
    (void)setsid(); /* out of the caller's session and process group */
    umask(077);
    return 0;
}

static int run_pam(const char *config_path)
{
    struct sspr_config cfg;
    char err[256];
    int cfg_ok;

    openlog("sspr-helper", LOG_PID, LOG_AUTHPRIV);
    if (isatty(STDIN_FILENO)) {
        syslog(LOG_ERR, "refusing to run the pam flow on a terminal");
        fputs("sspr-helper pam is started by pam_sspr.so, not by hand.\n", stderr);
        return 2;
    }
    setup_signals();
    if (become_own_process() != 0) {
        syslog(LOG_ERR, "could not drop the caller's real uid: refusing to run");
        return 2;
    }
    cfg_ok = sspr_config_load(&cfg, config_path, err, sizeof(err)) == 0;
    if (!cfg_ok)
        syslog(LOG_ERR, "config %s: %s", config_path, err);
    /* A hard backstop beyond the flow's own deadlines. */
    alarm((unsigned)cfg.flow_timeout + 30);
    return sspr_flow_run(STDIN_FILENO, &cfg, cfg_ok);
}

int main(int argc, char **argv)
{
    const char *config_path = SSPR_CONFIG_PATH;
    struct sspr_config cfg;
    char err[256];
    int i = 1;

    if (sodium_init() < 0)
        return 1;
    if (argc > i && strncmp(argv[i], "--config=", 9) == 0)
        config_path = argv[i++] + 9;
    if (argc <= i) {
        fputs(USAGE, stderr);
        return 2;
    }
    const char *cmd = argv[i++];
    if (strcmp(cmd, "pam") == 0) {
        if (argc > i && strncmp(argv[i], "--config=", 9) == 0)
            config_path = argv[i++] + 9;
        if (argc != i) {
            fputs(USAGE, stderr);
            return 2;
        }
        return run_pam(config_path);
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("sspr-helper %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    openlog("sspr-helper", LOG_PID, LOG_AUTHPRIV);
    /* doctor reports a bad config itself (and checks the rest with defaults). */
    if (strcmp(cmd, "doctor") == 0) {
        if (sspr_config_load(&cfg, config_path, err, sizeof(err)) != 0)
            sspr_config_defaults(&cfg);
        return sspr_cli_doctor(&cfg, config_path, argc - i, argv + i);
    }
    if (sspr_config_load(&cfg, config_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "sspr-helper: %s: %s\n", config_path, err);
        return 1;
    }
    if (strcmp(cmd, "enroll") == 0)
        return sspr_cli_enroll(&cfg, argc - i, argv + i);
    if (strcmp(cmd, "unenroll") == 0)
        return sspr_cli_unenroll(&cfg, argc - i, argv + i);
    if (strcmp(cmd, "show") == 0)
        return sspr_cli_show(&cfg, argc - i, argv + i);
    if (strcmp(cmd, "import") == 0)
        return sspr_cli_import(&cfg, argc - i, argv + i);
    if (strcmp(cmd, "show-config") == 0 && argc == i) {
        sspr_config_print(&cfg, stdout);
        return 0;
    }
    if (strcmp(cmd, "gc") == 0)
        return sspr_cli_gc(&cfg, argc - i, argv + i);
    if (strcmp(cmd, "unlock") == 0)
        return sspr_cli_unlock(&cfg, argc - i, argv + i);
    fprintf(stderr, "sspr-helper: unknown command '%s'\n%s", cmd, USAGE);
    return 2;
}
