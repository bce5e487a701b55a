#include "autoconf.h"

#include <string.h>

#include "gates/gate.h"
#include "policy/policy.h"

int sspr_policy_count(unsigned set)
{
    int n = 0;

    for (; set != 0; set &= set - 1)
        n++;
    return n;
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

int sspr_policy_enabled(const struct sspr_config *cfg, struct sspr_backend *be,
                        const struct sspr_account *acct)
{
    switch (cfg->enabled) {
    case SSPR_ENABLED_ALL:
        return 1;
    case SSPR_ENABLED_NONE:
        return 0;
    case SSPR_ENABLED_GROUP:
        return acct->known && sspr_be_member_of(be, acct, cfg->enabled_group) == 1;
    }
    return 0;
}

int sspr_policy_service_enabled(const struct sspr_config *cfg, const char *service)
{
    return cfg->services[0] == '\0' || (service != NULL && in_list(cfg->services, service));
}

int sspr_policy_other_account_ok(const struct sspr_config *cfg, const char *service,
                                 const char *ruser, const char *user)
{
    if (ruser == NULL || ruser[0] == '\0' || (user != NULL && strcmp(ruser, user) == 0))
        return 1; /* nobody else signed in, or one's own account */
    return cfg->services[0] != '\0' && service != NULL && in_list(cfg->services, service);
}

int sspr_policy_is_admin(const struct sspr_config *cfg, struct sspr_backend *be,
                         const struct sspr_account *acct)
{
    char list[sizeof(cfg->admin_groups)];
    char *save = NULL;
    int admin = 0;

    if (!acct->known)
        return 0;
    memcpy(list, cfg->admin_groups, sizeof(list));
    list[sizeof(list) - 1] = '\0';
    for (char *g = strtok_r(list, " \t,", &save); g != NULL; g = strtok_r(NULL, " \t,", &save))
        admin |= sspr_be_member_of(be, acct, g) != 0;
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

/* Gates this system can run at all, whoever asks. */
static unsigned available(const struct sspr_config *cfg)
{
    const struct sspr_gate *g;
    unsigned set = 0;

    SSPR_GATE_FOREACH(i, g)
        if (g->available(cfg))
            set |= sspr_gate_bit(g);
    return set;
}

unsigned sspr_policy_system_methods(const struct sspr_config *cfg)
{
    unsigned weak = sspr_gates_flagged(SSPR_GATE_WEAK);
    /* weak methods are never an administrator's, so only user_methods lists them */
    unsigned listed =
        ((cfg->user_methods | cfg->admin_methods) & ~weak) | (cfg->user_methods & weak);

    return listed & available(cfg);
}

int sspr_policy_gates_needed(unsigned used, int base, int is_admin)
{
    unsigned weak = sspr_gates_flagged(SSPR_GATE_WEAK);
    unsigned delivery = sspr_gates_flagged(SSPR_GATE_DELIVERY);
    int n = base;

    /* a weak gate, or an administrator's delivery channel, needs one more */
    if ((used & weak) != 0 && n < 2)
        n = 2;
    if (is_admin && (used & delivery) != 0 && n < 2)
        n = 2;
    return n;
}

unsigned sspr_policy_next_offer(unsigned system, unsigned used, int is_admin)
{
    unsigned delivery = sspr_gates_flagged(SSPR_GATE_DELIVERY);
    unsigned offer = system & ~used;

    if (is_admin && (used & delivery))
        offer &= ~delivery;
    return offer;
}

unsigned sspr_policy_usable(const struct sspr_config *cfg, unsigned have, int is_admin)
{
    unsigned set = have & sspr_policy_methods(cfg, is_admin) & available(cfg);

    if (is_admin)
        set &= ~sspr_gates_flagged(SSPR_GATE_WEAK);
    return set;
}

enum sspr_unsatisfied sspr_policy_unsatisfied(unsigned have, int need, int is_admin)
{
    unsigned weak = sspr_gates_flagged(SSPR_GATE_WEAK);
    unsigned delivery = sspr_gates_flagged(SSPR_GATE_DELIVERY);

    if (is_admin) {
        /* An administrator's gates: weak ones never count; at least one
         * strong one, and at most one delivery channel among them. */
        unsigned strong = have & ~(weak | delivery);
        int reachable = sspr_policy_count(strong) + ((have & delivery) != 0);

        if (strong == 0)
            return SSPR_UNSAT_ADMIN_DELIVERY;
        if (reachable < need)
            return SSPR_UNSAT_TOO_FEW;
        return SSPR_SATISFIED;
    }
    if (have != 0 && (have & ~weak) == 0)
        return SSPR_UNSAT_WEAK_ONLY;
    if (sspr_policy_count(have) < need || have == 0)
        return SSPR_UNSAT_TOO_FEW;
    return SSPR_SATISFIED;
}

int sspr_policy_satisfied(unsigned have, int need, int is_admin)
{
    return sspr_policy_unsatisfied(have, need, is_admin) == SSPR_SATISFIED;
}

unsigned sspr_policy_registrable(const struct sspr_config *cfg, int is_admin)
{
    unsigned set = available(cfg);

    if (is_admin)
        set &= ~sspr_gates_flagged(SSPR_GATE_WEAK);
    return set;
}
