/*
 * An in-memory backend for testing the flow without root: it implements
 * the same interface as the local backend (backends/backend.h), keeps
 * everything in one process-wide state guarded by a mutex (flows run in
 * threads), and can make any call fail on its Nth use.
 */
#ifndef SSPR_MEM_BACKEND_H
#define SSPR_MEM_BACKEND_H

#include <pthread.h>

#include "backends/backend.h"

#define MEM_ACCOUNTS 8
#define MEM_SUBJECTS 32

enum mem_op {
    MEM_RESOLVE,
    MEM_MEMBER_OF,
    MEM_LOAD,
    MEM_UPDATE,
    MEM_SUBJECT,
    MEM_THROTTLE_LOAD,
    MEM_THROTTLE_UPDATE,
    MEM_GRANT,
    MEM_COMMIT,
    MEM_FACT_GET,
    MEM_FACT_SET,
    MEM_GC,
    MEM_OPS
};

struct mem_account {
    char name[64];
    uid_t uid;
    enum sspr_ineligible why;
    const char *groups; /* space separated */
    struct sspr_record rec;
    int corrupt; /* load/update say SSPR_ERR_CORRUPT */
    char grant[32];
    char password[600]; /* the last password committed */
    int commits;        /* how many times a password was set */
    int lockout;        /* failed sign-ins locked it (what unlock lifts) */
    int unlocks;        /* how many times unlock lifted it */
};

struct mem_state {
    pthread_mutex_t lock;
    struct mem_account acct[MEM_ACCOUNTS];
    size_t n;
    struct {
        char key[sizeof(((struct sspr_subject *)0)->key)];
        struct sspr_throttle_rec r;
    } subj[MEM_SUBJECTS];
    size_t nsubj;
    const char *refuse;   /* commit refuses passwords containing this */
    int calls[MEM_OPS];   /* calls so far, per op */
    int fail_op, fail_at; /* make call number fail_at (1-based) of fail_op fail; -1: none */
    int failed;           /* the injected failure happened */
    int commit_call_seen; /* the commit was reached (successfully or not) */
    int resolve_wait_fd;  /* >= 0: resolve first reads a byte from it (a slow lookup) */
    int throttle_ms;      /* every throttle_update takes this long (a slow disk) */
    int prepare_fails;    /* prepare reports what commit needs as missing */
    int written_fail_at;  /* throttle_update call number that writes, then fails (a
                             record in place whose sync failed); 0: none */
};

extern struct mem_state mem;
extern const struct sspr_backend_ops mem_backend_ops;

/* Forget everything. */
void mem_reset(void);

/* An eligible account (why SSPR_ACCT_OK unless changed afterwards). */
struct mem_account *mem_add(const char *name, uid_t uid, const char *groups);

/* Register a TOTP secret (base32) / ten recovery codes (returned in codes). */
void mem_enroll_totp(struct mem_account *a, const char *b32);
void mem_enroll_recovery(struct mem_account *a, char codes[10][20]);

/* Fail call number `at` (1-based) of op. */
void mem_fail(enum mem_op op, int at);

/* Failures recorded for a subject of an account (by name) or -1. */
long long mem_failures(const char *name);

#endif
