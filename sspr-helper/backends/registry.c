/* The backends there are, by the name `[general] backend =` uses, and the
 * calls everyone else makes through them. */
#include "autoconf.h"

#include <string.h>

#include "backends/backend.h"

extern const struct sspr_backend_ops sspr_backend_local;
extern const struct sspr_backend_ops sspr_backend_ldap;

static const struct sspr_backend_ops *const REGISTRY[] = {
    &sspr_backend_local,
    &sspr_backend_ldap,
};
#define N_BACKENDS (sizeof(REGISTRY) / sizeof(REGISTRY[0]))

const struct sspr_backend_ops *sspr_backend_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_BACKENDS; i++)
        if (strcmp(REGISTRY[i]->name, name) == 0)
            return REGISTRY[i];
    return NULL;
}

const char *sspr_backend_names(void)
{
    return "local ldap";
}

int sspr_backend_open_with(struct sspr_backend *be, const struct sspr_backend_ops *ops,
                           const struct sspr_config *cfg, unsigned flags)
{
    memset(be, 0, sizeof(*be));
    be->ops = ops;
    be->cfg = cfg;
    be->flags = flags;
    if (ops == NULL || cfg == NULL)
        return SSPR_ERR_INVAL;
    return ops->open(be);
}

int sspr_backend_open(struct sspr_backend *be, const struct sspr_config *cfg, unsigned flags)
{
    return sspr_backend_open_with(be, sspr_backend_find(cfg->backend), cfg, flags);
}

void sspr_backend_close(struct sspr_backend *be)
{
    if (be->ops != NULL && be->priv != NULL)
        be->ops->close(be);
    be->priv = NULL;
}

/* Every call fails closed on a backend that is not open. */
#define OPEN(be) ((be) != NULL && (be)->ops != NULL && (be)->priv != NULL)

int sspr_be_resolve(struct sspr_backend *be, const char *typed, struct sspr_account *out)
{
    memset(out, 0, sizeof(*out));
    out->why = SSPR_ACCT_LOOKUP;
    if (!OPEN(be) || typed == NULL)
        return SSPR_ERR_INVAL;
    return be->ops->resolve(be, typed, out);
}

int sspr_be_member_of(struct sspr_backend *be, const struct sspr_account *acct, const char *group)
{
    if (!OPEN(be) || acct == NULL || group == NULL)
        return SSPR_ERR_INVAL;
    return be->ops->member_of(be, acct, group);
}

int sspr_be_load(struct sspr_backend *be, const struct sspr_account *acct, struct sspr_record *out)
{
    sspr_record_init(out);
    if (!OPEN(be) || acct == NULL || !acct->known)
        return SSPR_ERR_INVAL;
    return be->ops->load(be, acct, out);
}

int sspr_be_update(struct sspr_backend *be, const struct sspr_account *acct, unsigned flags,
                   sspr_record_edit edit, void *ctx)
{
    if (!OPEN(be) || acct == NULL || !acct->known || edit == NULL)
        return SSPR_ERR_INVAL;
    return be->ops->update(be, acct, flags, edit, ctx);
}

int sspr_be_subject(struct sspr_backend *be, const struct sspr_account *acct, const char *typed,
                    struct sspr_subject *out)
{
    out->key[0] = '\0';
    if (!OPEN(be))
        return SSPR_ERR_INVAL;
    int rc = be->ops->subject(be, acct, typed, out);
    if (rc != SSPR_OK)
        out->key[0] = '\0'; /* an empty key fails every later call: closed */
    return rc;
}

int sspr_be_throttle_load(struct sspr_backend *be, const struct sspr_subject *s,
                          struct sspr_throttle_rec *out)
{
    memset(out, 0, sizeof(*out));
    if (!OPEN(be) || s == NULL || s->key[0] == '\0')
        return SSPR_ERR_INVAL;
    return be->ops->throttle_load(be, s, out);
}

int sspr_be_throttle_update(struct sspr_backend *be, const struct sspr_subject *s, unsigned flags,
                            sspr_throttle_edit edit, void *ctx, struct sspr_throttle_rec *after)
{
    if (!OPEN(be) || s == NULL || s->key[0] == '\0' || edit == NULL)
        return SSPR_ERR_INVAL;
    return be->ops->throttle_update(be, s, flags, edit, ctx, after);
}

int sspr_be_grant(struct sspr_backend *be, const struct sspr_account *acct, const char *flow_id)
{
    if (!OPEN(be) || acct == NULL || !acct->known || flow_id == NULL || flow_id[0] == '\0')
        return SSPR_ERR_INVAL;
    return be->ops->grant(be, acct, flow_id);
}

enum sspr_commit sspr_be_commit(struct sspr_backend *be, const struct sspr_account *acct,
                                const char *flow_id, const char *password, char *msg, size_t msglen)
{
    if (msg != NULL && msglen > 0)
        msg[0] = '\0';
    if (!OPEN(be) || acct == NULL || !acct->known || flow_id == NULL || password == NULL ||
        msg == NULL || msglen == 0)
        return SSPR_COMMIT_ERROR;
    return be->ops->commit(be, acct, flow_id, password, msg, msglen);
}

int sspr_be_unlock(struct sspr_backend *be, const struct sspr_account *acct)
{
    if (!OPEN(be) || acct == NULL || !acct->known)
        return SSPR_ERR_INVAL;
    if (be->ops->unlock == NULL)
        return SSPR_ERR_UNSUPPORTED;
    return be->ops->unlock(be, acct);
}

int sspr_be_fact_get(struct sspr_backend *be, const char *name, long long *value)
{
    if (!OPEN(be) || name == NULL || value == NULL)
        return SSPR_ERR_INVAL;
    return be->ops->fact_get(be, name, value);
}

int sspr_be_fact_set(struct sspr_backend *be, const char *name, long long value, int remove)
{
    if (!OPEN(be) || name == NULL)
        return SSPR_ERR_INVAL;
    return be->ops->fact_set(be, name, value, remove);
}

int sspr_be_prepare(struct sspr_backend *be)
{
    if (!OPEN(be))
        return SSPR_ERR_INVAL;
    return be->ops->prepare != NULL ? be->ops->prepare(be) : SSPR_OK;
}

int sspr_be_gc(struct sspr_backend *be, time_t now, unsigned *removed)
{
    if (removed != NULL)
        *removed = 0;
    if (!OPEN(be))
        return SSPR_ERR_INVAL;
    return be->ops->gc != NULL ? be->ops->gc(be, now, removed) : SSPR_OK;
}

void sspr_be_doctor(struct sspr_backend *be, struct sspr_report *r)
{
    /* also on a backend that could not be opened: its doctor says why */
    if (be != NULL && be->ops != NULL && be->ops->doctor != NULL)
        be->ops->doctor(be, r);
}
