#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gates/gate.h"
#include "mem_backend.h"
#include "proofs/recovery.h"

struct mem_state mem = { .lock = PTHREAD_MUTEX_INITIALIZER };

void mem_reset(void)
{
    pthread_mutex_lock(&mem.lock);
    for (size_t i = 0; i < mem.n; i++)
        sspr_record_clear(&mem.acct[i].rec);
    memset(mem.acct, 0, sizeof(mem.acct));
    memset(mem.subj, 0, sizeof(mem.subj));
    memset(mem.calls, 0, sizeof(mem.calls));
    mem.n = mem.nsubj = 0;
    mem.refuse = NULL;
    mem.fail_op = -1;
    mem.fail_at = 0;
    mem.failed = 0;
    mem.commit_call_seen = 0;
    mem.resolve_wait_fd = -1;
    mem.prepare_fails = 0;
    mem.written_fail_at = 0;
    mem.throttle_ms = 0;
    pthread_mutex_unlock(&mem.lock);
}

struct mem_account *mem_add(const char *name, uid_t uid, const char *groups)
{
    struct mem_account *a = &mem.acct[mem.n++];

    snprintf(a->name, sizeof(a->name), "%s", name);
    a->uid = uid;
    a->why = SSPR_ACCT_OK;
    a->groups = groups != NULL ? groups : "";
    sspr_record_init(&a->rec);
    return a;
}

void mem_enroll_totp(struct mem_account *a, const char *b32)
{
    struct sspr_material *m = sspr_gate_material(&a->rec, sspr_gate_by_name("totp"));

    m->present = 1;
    m->counter = -1;
    (void)sspr_material_set_secret(m, b32);
}

void mem_enroll_recovery(struct mem_account *a, char codes[10][20])
{
    struct sspr_material *m = sspr_gate_material(&a->rec, sspr_gate_by_name("recovery"));
    char key[SSPR_RECOVERY_KEY_HEX + 1], hashes[SSPR_RECOVERY_COUNT][SSPR_RECOVERY_HASH_HEX + 1];

    (void)sspr_recovery_generate(codes, key, hashes);
    m->present = 1;
    (void)sspr_material_set_secret(m, key);
    for (int i = 0; i < SSPR_RECOVERY_COUNT; i++)
        (void)sspr_material_add(m, hashes[i], NULL);
}

void mem_fail(enum mem_op op, int at)
{
    mem.fail_op = (int)op;
    mem.fail_at = at;
}

/* Count a call; 1 when this one is to fail. Called with the lock held. */
static int injected(enum mem_op op)
{
    int n = ++mem.calls[op];

    if ((int)op == mem.fail_op && n == mem.fail_at) {
        mem.failed = 1;
        return 1;
    }
    return 0;
}

static struct mem_account *find(const char *name)
{
    for (size_t i = 0; i < mem.n; i++)
        if (strcmp(mem.acct[i].name, name) == 0)
            return &mem.acct[i];
    return NULL;
}

#define LOCK() pthread_mutex_lock(&mem.lock)
#define UNLOCK() pthread_mutex_unlock(&mem.lock)

static int m_open(struct sspr_backend *be)
{
    be->priv = &mem;
    return SSPR_OK;
}

static void m_close(struct sspr_backend *be)
{
    be->priv = NULL;
}

static int m_prepare(struct sspr_backend *be)
{
    (void)be;
    return mem.prepare_fails ? SSPR_ERR_UNAVAILABLE : SSPR_OK;
}

static int m_resolve(struct sspr_backend *be, const char *typed, struct sspr_account *out)
{
    struct mem_account *a;
    int rc = SSPR_OK;

    (void)be;
    if (mem.resolve_wait_fd >= 0) {
        char c;

        if (read(mem.resolve_wait_fd, &c, 1) != 1)
            rc = SSPR_ERR_IO;
    }
    LOCK();
    memset(out, 0, sizeof(*out));
    if (injected(MEM_RESOLVE)) {
        out->why = SSPR_ACCT_LOOKUP;
        rc = SSPR_ERR_UNAVAILABLE;
    } else if (!sspr_username_ok(typed)) {
        out->why = SSPR_ACCT_BADNAME;
    } else if ((a = find(typed)) == NULL) {
        out->why = SSPR_ACCT_UNKNOWN;
    } else {
        out->known = 1;
        out->uid = a->uid;
        out->gid = a->uid;
        snprintf(out->name, sizeof(out->name), "%s", a->name);
        snprintf(out->id, sizeof(out->id), "mem-%s", a->name);
        out->why = a->why;
        out->lockout = a->why == SSPR_ACCT_OK && a->lockout;
    }
    UNLOCK();
    return rc;
}

static int m_member_of(struct sspr_backend *be, const struct sspr_account *acct, const char *group)
{
    struct mem_account *a;
    int rc = 0;

    (void)be;
    LOCK();
    if (injected(MEM_MEMBER_OF)) {
        rc = SSPR_ERR_UNAVAILABLE;
    } else if ((a = find(acct->name)) != NULL) {
        size_t gl = strlen(group);
        for (const char *p = a->groups; *p != '\0';) {
            size_t n = strcspn(p, " ");
            if (n == gl && strncmp(p, group, n) == 0)
                rc = 1;
            p += n;
            p += strspn(p, " ");
        }
    }
    UNLOCK();
    return rc;
}

static int m_load(struct sspr_backend *be, const struct sspr_account *acct, struct sspr_record *out)
{
    struct mem_account *a;
    int rc;

    (void)be;
    LOCK();
    a = find(acct->name);
    if (injected(MEM_LOAD))
        rc = SSPR_ERR_IO;
    else if (a == NULL)
        rc = SSPR_ERR_NOENT;
    else if (a->corrupt)
        rc = SSPR_ERR_CORRUPT;
    else
        rc = sspr_record_copy(out, &a->rec);
    UNLOCK();
    return rc;
}

static int m_update(struct sspr_backend *be, const struct sspr_account *acct, unsigned flags,
                    sspr_record_edit edit, void *ctx)
{
    struct sspr_record work;
    struct mem_account *a;
    int rc;

    (void)be;
    (void)flags;
    sspr_record_init(&work);
    LOCK();
    a = find(acct->name);
    if (injected(MEM_UPDATE))
        rc = SSPR_ERR_IO;
    else if (a == NULL)
        rc = SSPR_ERR_NOENT;
    else if (a->corrupt)
        rc = SSPR_ERR_CORRUPT;
    else if ((rc = sspr_record_copy(&work, &a->rec)) == SSPR_OK &&
             (rc = edit(&work, ctx)) == SSPR_OK)
        rc = sspr_record_copy(&a->rec, &work);
    UNLOCK();
    sspr_record_clear(&work);
    return rc;
}

static int m_subject(struct sspr_backend *be, const struct sspr_account *acct, const char *typed,
                     struct sspr_subject *out)
{
    int rc = SSPR_OK;

    (void)be;
    LOCK();
    if (injected(MEM_SUBJECT))
        rc = SSPR_ERR_IO;
    else if (acct != NULL && acct->known)
        snprintf(out->key, sizeof(out->key), "u:%.200s", acct->name);
    else
        snprintf(out->key, sizeof(out->key), "n:%.200s", typed != NULL ? typed : "");
    UNLOCK();
    return rc;
}

/* The subject's slot (made when create). Lock held. */
static struct sspr_throttle_rec *slot(const char *key, int create)
{
    for (size_t i = 0; i < mem.nsubj; i++)
        if (strcmp(mem.subj[i].key, key) == 0)
            return &mem.subj[i].r;
    if (!create || mem.nsubj >= MEM_SUBJECTS)
        return NULL;
    snprintf(mem.subj[mem.nsubj].key, sizeof(mem.subj[0].key), "%s", key);
    memset(&mem.subj[mem.nsubj].r, 0, sizeof(mem.subj[0].r));
    return &mem.subj[mem.nsubj++].r;
}

static int m_throttle_load(struct sspr_backend *be, const struct sspr_subject *s,
                           struct sspr_throttle_rec *out)
{
    struct sspr_throttle_rec *r;
    int rc = SSPR_OK;

    (void)be;
    LOCK();
    if (injected(MEM_THROTTLE_LOAD))
        rc = SSPR_ERR_IO;
    else if ((r = slot(s->key, 0)) != NULL)
        *out = *r;
    else
        memset(out, 0, sizeof(*out));
    UNLOCK();
    return rc;
}

static int m_throttle_update(struct sspr_backend *be, const struct sspr_subject *s, unsigned flags,
                             sspr_throttle_edit edit, void *ctx, struct sspr_throttle_rec *after)
{
    struct sspr_throttle_rec work, *r;
    int rc;

    (void)be;
    (void)flags;
    if (mem.throttle_ms > 0) {
        struct timespec slow = { mem.throttle_ms / 1000, (mem.throttle_ms % 1000) * 1000000L };
        nanosleep(&slow, NULL);
    }
    LOCK();
    if (injected(MEM_THROTTLE_UPDATE)) {
        rc = SSPR_ERR_IO;
    } else if ((r = slot(s->key, 1)) == NULL) {
        rc = SSPR_ERR_NOMEM;
    } else {
        work = *r;
        rc = edit(&work, ctx);
        if (rc == SSPR_OK) {
            *r = work;
            if (after != NULL)
                *after = work;
            if (mem.calls[MEM_THROTTLE_UPDATE] == mem.written_fail_at)
                rc = SSPR_ERR_IO;
        }
    }
    UNLOCK();
    return rc;
}

static int m_grant(struct sspr_backend *be, const struct sspr_account *acct, const char *flow_id)
{
    struct mem_account *a;
    int rc = SSPR_OK;

    (void)be;
    LOCK();
    if (injected(MEM_GRANT))
        rc = SSPR_ERR_IO;
    else if ((a = find(acct->name)) == NULL)
        rc = SSPR_ERR_NOENT;
    else
        snprintf(a->grant, sizeof(a->grant), "%s", flow_id);
    UNLOCK();
    return rc;
}

static enum sspr_commit m_commit(struct sspr_backend *be, const struct sspr_account *acct,
                                 const char *flow_id, const char *password, char *msg,
                                 size_t msglen)
{
    struct mem_account *a;
    enum sspr_commit c;

    (void)be;
    LOCK();
    mem.commit_call_seen = 1;
    a = find(acct->name);
    if (injected(MEM_COMMIT) || a == NULL) {
        c = SSPR_COMMIT_ERROR;
    } else if (strcmp(a->grant, flow_id) != 0) {
        c = SSPR_COMMIT_LOST;
    } else if (a->why != SSPR_ACCT_OK) {
        c = SSPR_COMMIT_CHANGED;
    } else if (mem.refuse != NULL && strstr(password, mem.refuse) != NULL) {
        snprintf(msg, msglen, "The directory refused that password.");
        c = SSPR_COMMIT_REFUSED;
    } else {
        snprintf(a->password, sizeof(a->password), "%s", password);
        a->commits++;
        a->grant[0] = '\0';
        c = SSPR_COMMIT_OK;
    }
    UNLOCK();
    return c;
}

static int m_fact_get(struct sspr_backend *be, const char *name, long long *value)
{
    int rc;

    (void)be;
    (void)name;
    (void)value;
    LOCK();
    rc = injected(MEM_FACT_GET) ? SSPR_ERR_IO : SSPR_ERR_NOENT;
    UNLOCK();
    return rc;
}

static int m_fact_set(struct sspr_backend *be, const char *name, long long value, int remove)
{
    int rc;

    (void)be;
    (void)name;
    (void)value;
    (void)remove;
    LOCK();
    rc = injected(MEM_FACT_SET) ? SSPR_ERR_IO : SSPR_OK;
    UNLOCK();
    return rc;
}

static int m_gc(struct sspr_backend *be, time_t now, unsigned *removed)
{
    int rc;

    (void)be;
    (void)now;
    LOCK();
    rc = injected(MEM_GC) ? SSPR_ERR_IO : SSPR_OK;
    if (removed != NULL)
        *removed = 0;
    UNLOCK();
    return rc;
}

long long mem_failures(const char *name)
{
    char key[256];
    struct sspr_throttle_rec *r;
    long long n;

    snprintf(key, sizeof(key), "u:%s", name);
    LOCK();
    r = slot(key, 0);
    n = r != NULL ? r->failures : -1;
    UNLOCK();
    return n;
}

static int m_unlock(struct sspr_backend *be, const struct sspr_account *acct)
{
    struct mem_account *a;

    (void)be;
    LOCK();
    if ((a = find(acct->name)) != NULL && a->lockout) {
        a->lockout = 0;
        a->unlocks++;
    }
    UNLOCK();
    return SSPR_OK;
}

const struct sspr_backend_ops mem_backend_ops = {
    .name = "mem",
    .open = m_open,
    .close = m_close,
    .resolve = m_resolve,
    .member_of = m_member_of,
    .load = m_load,
    .update = m_update,
    .subject = m_subject,
    .throttle_load = m_throttle_load,
    .throttle_update = m_throttle_update,
    .grant = m_grant,
    .commit = m_commit,
    .unlock = m_unlock,
    .fact_get = m_fact_get,
    .fact_set = m_fact_set,
    .gc = m_gc,
    .prepare = m_prepare,
    .doctor = NULL,
};
