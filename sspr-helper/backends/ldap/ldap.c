/*
 * The LDAP backend (backend = ldap): accounts, methods, throttle records
 * and the password in a directory that every machine of a fleet shares
 * (docs/ldap.md). The directory is reached through sspr-ldap, started the
 * first time a flow needs it; host facts and the throttle records of
 * names that are no account stay in the local state directory.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "backends/ldap/ldap.h"

static int ldap_open(struct sspr_backend *be)
{
    struct sspr_ldap *l = calloc(1, sizeof(*l));
    int rc;

    if (l == NULL)
        return SSPR_ERR_NOMEM;
    l->child.pid = -1;
    l->child.fd = -1;
    rc = sspr_backend_open_with(&l->local, sspr_backend_find("local"), be->cfg, be->flags);
    if (rc != SSPR_OK) {
        free(l);
        return rc;
    }
    be->priv = l;
    return SSPR_OK;
}

static void ldap_close(struct sspr_backend *be)
{
    struct sspr_ldap *l = be->priv;

    if (l != NULL) {
        sspr_ldap_drop_cached(be);
        sspr_ldap_disconnect(l);
        sspr_backend_close(&l->local);
        free(l);
    }
    be->priv = NULL;
}

/* Host facts and housekeeping: the local store's. */
static int ldap_fact_get(struct sspr_backend *be, const char *name, long long *value)
{
    return sspr_be_fact_get(&sspr_ldap_of(be)->local, name, value);
}

static int ldap_fact_set(struct sspr_backend *be, const char *name, long long value, int remove)
{
    return sspr_be_fact_set(&sspr_ldap_of(be)->local, name, value, remove);
}

static int ldap_gc(struct sspr_backend *be, time_t now, unsigned *removed)
{
    return sspr_be_gc(&sspr_ldap_of(be)->local, now, removed);
}

const struct sspr_backend_ops sspr_backend_ldap = {
    .name = "ldap",
    .caps = SSPR_BE_REMOTE,
    .open = ldap_open,
    .close = ldap_close,
    .resolve = sspr_ldap_resolve,
    .member_of = sspr_ldap_member_of,
    .load = sspr_ldap_load,
    .update = sspr_ldap_update,
    .subject = sspr_ldap_subject,
    .throttle_load = sspr_ldap_throttle_load,
    .throttle_update = sspr_ldap_throttle_update,
    .grant = sspr_ldap_grant,
    .commit = sspr_ldap_commit,
    .unlock = sspr_ldap_unlock,
    .fact_get = ldap_fact_get,
    .fact_set = ldap_fact_set,
    .gc = ldap_gc,
    .doctor = sspr_ldap_doctor,
};
