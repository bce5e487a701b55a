/*
 * Stable error codes (SSPR-Exxx): one table of every failure cause, with the
 * short text a user may see, the detail for the log, and the cause and fix
 * an administrator needs (the same words as docs/troubleshooting.md; doctor
 * prints the fix).
 *
 *   E1xx  configuration (system-wide; may be shown to anyone)
 *   E2xx  eligibility and registration (per account: NEVER shown on the
 *         unauthenticated reset path, docs/security.md 14; logged with the flow
 *         id instead. Shown by doctor and at sign-in registration.)
 *   E3xx  delivery (shown after the user chose a channel)
 *   E4xx  writeback (shown after the gates passed)
 *
 * Codes are never renumbered or reused: a number that goes away stays in the
 * table as retired.
 */
#ifndef SSPR_ERRORS_H
#define SSPR_ERRORS_H

#include <stddef.h>

enum sspr_error_code {
    /* configuration */
    SSPR_E_CONFIG_INVALID = 101,
    SSPR_E_CONFIG_UNSAFE = 102,
    SSPR_E_STATE_DIR = 103,
    SSPR_E_HELPER_UNSAFE = 104,
    SSPR_E_WRITEBACK_SERVICE = 105,
    SSPR_E_PWQUALITY_ROOT = 106,
    SSPR_E_PAM_STACK = 107,
    SSPR_E_SSHD_KBDINT = 108,
    SSPR_E_BANNED_LIST = 109,
    SSPR_E_PAM_MODULE = 110,
    SSPR_E_PWQUALITY_DICT = 111,
    SSPR_E_DIRECTORY = 112,
    SSPR_E_DIRECTORY_BIND = 113,
    SSPR_E_DIRECTORY_SCHEMA = 114,
    /* eligibility and registration */
    SSPR_E_UNKNOWN_USER = 201,
    SSPR_E_ROOT = 202,
    SSPR_E_SYSTEM_UID = 203,
    SSPR_E_NOT_ENABLED = 204,
    SSPR_E_LOCKED = 205,
    SSPR_E_EXPIRED = 206,
    SSPR_E_NOLOGIN = 207,
    SSPR_E_NO_METHODS = 208,
    SSPR_E_TOO_FEW_METHODS = 209,
    SSPR_E_RECORD_CORRUPT = 210,
    SSPR_E_THROTTLED = 211,
    SSPR_E_NO_SHADOW = 212,
    SSPR_E_LOCAL_ACCOUNT = 213,
    SSPR_E_PROTECTED_ACCOUNT = 214,
    /* delivery */
    SSPR_E_SMTP_UNREACHABLE = 301,
    SSPR_E_SMTP_REFUSED = 302,
    SSPR_E_SMS_GATEWAY = 303,
    SSPR_E_SEND_CAP = 304,
    /* writeback */
    SSPR_E_PWQUALITY_REJECT = 401,
    SSPR_E_CHAUTHTOK = 402,
    SSPR_E_ACCOUNT_CHANGED = 403,
    SSPR_E_DIRECTORY_WRITE = 404,
};

/* Who may be told a code, as the stages a user reaches in order: a code
 * may be shown at its own stage and every later one. */
enum sspr_error_audience {
    SSPR_SHOW_ANYONE = 0,        /* E1xx: says nothing about any account */
    SSPR_SHOW_AFTER_CHANNEL = 1, /* E3xx: after the user picked a channel */
    SSPR_SHOW_AFTER_GATES = 2,   /* E4xx: after every gate passed */
    SSPR_SHOW_AUTHENTICATED = 3, /* E2xx: only doctor (root) and signed-in users
                                    (registration at sign-in) */
};

struct sspr_error {
    int code;                 /* 101 .. 499 */
    const char *name;         /* short slug, for logs: "state-dir" */
    enum sspr_error_audience audience;
    const char *user_text;    /* first sentence the user sees, without the code */
    const char *log_detail;   /* what went wrong, for syslog and doctor */
    const char *cause;        /* why it happens */
    const char *fix;          /* what the administrator does about it */
};

/* The entry for code, or NULL for a code not in the table. */
const struct sspr_error *sspr_error_get(int code);

/* The whole table, sorted by code; *count gets its length. */
const struct sspr_error *sspr_error_table(size_t *count);

/* "SSPR-E103" into buf. Returns the length written, or -1 (unknown code or
 * buf too small; buf then holds "" if len > 0). */
int sspr_error_id(int code, char *buf, size_t len);

/* The user-facing line for code:
 *   "Password reset is not available right now (SSPR-E103). Your
 *    administrator can look this code up."
 * Returns the length, or -1 when the code is unknown or buf too small (buf
 * then holds the generic text without a code when it fits, else ""). The
 * caller decides whether the audience allows showing it at all: see
 * sspr_error_may_show(). */
int sspr_error_user_text(int code, char *buf, size_t len);

/* 1 when code may be shown to a user who reached `stage`: on the reset path
 * before any gate (SSPR_SHOW_ANYONE) E1xx only; after choosing a channel
 * also E3xx; after the gates also E4xx; signed in (registration) or root
 * (doctor, SSPR_SHOW_AUTHENTICATED) everything. E2xx on the reset path:
 * never (docs/security.md 14) -- log it and show sspr_error_generic_text(). */
int sspr_error_may_show(int code, enum sspr_error_audience stage);

/* The generic line shown instead of an E2xx code on the unauthenticated
 * reset path, with the flow reference (16 hex digits) so that an admin can
 * find the log lines: "Password reset is not available right now
 * (reference 1a2b3c4d5e6f7a8b). Your administrator can look this reference
 * up." flow may be NULL or "" (no reference). Returns the length or -1. */
int sspr_error_generic_text(const char *flow, char *buf, size_t len);

#endif
