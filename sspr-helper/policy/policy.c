#include "autoconf.h"

#include <grp.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

/* 1 when acct belongs to group `name`, 0 when not, -1 when it could not
 * be told (NSS error, no memory): callers decide which way to fail. */
static int in_group(const struct sspr_account *acct, const char *name)
{
    struct group gr, *res = NULL;
    char buf[16384];
    gid_t *groups;
    int n = 64, found = 0, rc;

    rc = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
    if (rc != 0)
        return -1;
    if (res == NULL)
        return 0; /* no such group */
    if (gr.gr_gid == acct->gid)
        return 1;
    gid_t want = gr.gr_gid;
    for (int attempt = 0; attempt < 4; attempt++) {
        int count = n;
        groups = calloc((size_t)n, sizeof(*groups));
        if (groups == NULL)
            return -1;
        if (getgrouplist(acct->name, acct->gid, groups, &count) >= 0) {
            for (int i = 0; i < count; i++)
                found |= groups[i] == want;
            free(groups);
            return found;
        }
        free(groups);
        n = count > n ? count : n * 2;
    }
    return -1;
}

int sspr_policy_enabled(const struct sspr_config *cfg, const struct sspr_account *acct)
{
    switch (cfg->enabled) {
    case SSPR_ENABLED_ALL: return 1;
    case SSPR_ENABLED_NONE: return 0;
    case SSPR_ENABLED_GROUP: return acct->known && in_group(acct, cfg->enabled_group) == 1;
    }
    return 0;
}

/* 1 when word is in the space/comma separated list. */
static int in_list(const char *list, const char *word)
{
    size_t wl = strlen(word);

    for (const char *p = list; *p != '\0';) {
        size_t n = strcspn(p, " \t,");
        if (n == wl && n > 0 && strncmp(p, word, n) == 0)
            return 1;
        p += n;
        p += strspn(p, " \t,");
    }
    return 0;
}

int sspr_policy_service_enabled(const struct sspr_config *cfg, const char *service)
{
    return cfg->services[0] == '\0' || (service != NULL && in_list(cfg->services, service));
}

int sspr_policy_is_admin(const struct sspr_config *cfg, const struct sspr_account *acct)
{
    char list[sizeof(cfg->admin_groups)];
    char *save = NULL;
    int admin = 0;

    if (!acct->known)
        return 0;
    memcpy(list, cfg->admin_groups, sizeof(list));
    list[sizeof(list) - 1] = '\0';
    /* a membership that cannot be told counts as admin: the stricter policy */
    for (char *g = strtok_r(list, " \t,", &save); g != NULL; g = strtok_r(NULL, " \t,", &save))
        admin |= in_group(acct, g) != 0;
    return admin;
}

int sspr_policy_gates(const struct sspr_config *cfg, int is_admin)
{
    return is_admin ? cfg->admin_gates : cfg->user_gates;
}

unsigned sspr_policy_methods(const struct sspr_config *cfg, int is_admin)
{
    return is_admin ? cfg->admin_methods : cfg->user_methods;
}
