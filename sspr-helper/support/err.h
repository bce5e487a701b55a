/*
 * The helper's one error space (OpenSSH's ssherr.h is the model): every
 * fallible call returns SSPR_OK (0) or one of these negative codes, and
 * every caller checks `rc != SSPR_OK` (or `rc < 0`) the same way.
 * Outcomes that are not errors (a code was wrong, a grant was lost) are
 * named enums of their own, never these.
 *
 * These are internal; the stable codes an administrator looks up
 * (SSPR-Exxx) are in support/errors.h.
 */
#ifndef SSPR_ERR_H
#define SSPR_ERR_H

enum sspr_err {
    SSPR_OK = 0,
    SSPR_ERR_NOENT = -1,   /* no such record, entry or file */
    SSPR_ERR_CORRUPT = -2, /* empty, unparsable, wrong shape, bad owner: fail closed */
    SSPR_ERR_IO = -3,      /* read/write/fsync/rename failed (ENOSPC, EROFS, ...) */
    SSPR_ERR_INVAL = -4,   /* bad argument: a caller's mistake */
    SSPR_ERR_UNSAFE = -5,  /* not ours: wrong owner or mode, a symbolic link */
    SSPR_ERR_LOCK = -6,    /* a lock was not taken in time */
    SSPR_ERR_NOMEM = -7,
    SSPR_ERR_CONFLICT = -8,    /* someone else changed it first (compare-and-swap lost) */
    SSPR_ERR_UNAVAILABLE = -9, /* a server or service is down, slow or refuses us */
    SSPR_ERR_REFUSED = -10,    /* the other side said no to this request (a policy, a number) */
    SSPR_ERR_ABORTED = -11,    /* an edit decided to change nothing */
    SSPR_ERR_UNSUPPORTED = -12,
};

/* A short English phrase for err ("record corrupt"), never NULL. */
const char *sspr_strerror(int err);

#endif
