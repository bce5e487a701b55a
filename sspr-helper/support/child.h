/*
 * The helper's unprivileged programs (sspr-deliver, sspr-ldap): started on
 * one end of a socketpair (their stdin and stdout), as _sspr (else nobody)
 * with no groups, no_new_privs, a built environment, default signals and
 * no other descriptors; stopped with a bounded wait, then SIGKILL. They
 * talk to servers on the network, so that no TLS or protocol parsing runs
 * as root.
 */
#ifndef SSPR_CHILD_H
#define SSPR_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* 0 skips the program's ownership check (tests run from a build tree
 * below /tmp). */
extern int sspr_child_check_program;

struct sspr_child {
    pid_t pid;
    int fd; /* the helper's end of the socketpair */
};

/* The user the programs run as: "_sspr" when it exists, else "nobody". */
const char *sspr_child_user(void);

/* Start path (argv[0] = name). When the helper runs as root the child drops
 * to sspr_child_user(); the program and every directory above it must be
 * root's and not writable by others. 0, or -1 with err set. */
int sspr_child_start(const char *path, const char *name, struct sspr_child *c, char *err,
                     size_t errlen);

/* Close the socket and reap the child by deadline_ms (sspr_now_ms based),
 * killing it after. Returns 1 when it had exited by itself with status 0,
 * else 0. c is emptied. */
int sspr_child_stop(struct sspr_child *c, int64_t deadline_ms);

#endif
