/* Starting and reaping the helper (OpenSSH subprocess() style). */
#ifndef SSPR_SPAWN_H
#define SSPR_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <security/pam_modules.h>

struct sspr_child {
    pid_t pid;                /* -1: none */
    int fd;                   /* our end of the socketpair, -1: closed */
    int pidfd;                /* pidfd_open(pid), -1: none (reap via the channel) */
    bool sigchld_changed;     /* we set SIGCHLD to SIG_DFL: restore old */
    struct sigaction old_sigchld;
};

/* Check path, then start `sspr-helper pam [--config=CONFIG]` on a
 * socketpair. Returns 0 and fills c, or -1 (logged; c->pid == -1). */
int sspr_spawn(pam_handle_t *pamh, const char *path, const char *config,
               bool debug, struct sspr_child *c);

/* Close our end (the helper sees EOF) and reap the child: wait up to
 * grace_ms for it to exit, then SIGKILL (grace_ms 0: kill at once unless it
 * has exited already). The wait ends when the child does: poll on its pidfd,
 * or where there is none (ENOSYS), EOF on the channel and then a short
 * back-off; never fixed sleeps. Reaps exactly c->pid, never another child.
 * Restores SIGCHLD. Returns the waitpid status, or -1 when it could not be
 * collected. Idempotent. */
int sspr_child_finish(pam_handle_t *pamh, struct sspr_child *c, int grace_ms,
                      bool debug);

#endif
