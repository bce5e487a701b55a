/*
 * Every policy rule in one place (tests/helper/test_policy.c walks them as
 * a table): who may reset, who counts as an administrator, how many gates
 * a reset needs and from which methods, what the next gate may be, and
 * what registration must reach. The rules read the gate table's flags,
 * never method names:
 *   - SSPR_GATE_WEAK (security questions): off unless questions_enabled,
 *     never for administrators, never the only gate;
 *   - SSPR_GATE_DELIVERY (email, SMS): a recovery channel; an
 *     administrator's gates are never all of this kind, and an
 *     administrator's second gate is never a second delivery channel.
 */
#ifndef SSPR_POLICY_H
#define SSPR_POLICY_H

#include "backends/backend.h"
#include "support/config.h"

/* 1 when `enabled` lets this account reset (group membership through the
 * backend; a membership it cannot tell counts as "no"). */
int sspr_policy_enabled(const struct sspr_config *cfg, struct sspr_backend *be,
                        const struct sspr_account *acct);

/* 1 when resets are offered through this PAM service (`services`; an empty
 * list means every service). Not account-specific, so it may be said. */
int sspr_policy_service_enabled(const struct sspr_config *cfg, const char *service);

/* 1 unless someone signed in as ruser (PAM_RUSER: su, sudo) asks to reset
 * another account, user, at a service that `services` does not name: a
 * reset is for one's own account, except where the admin listed the
 * service (su, for example). */
int sspr_policy_other_account_ok(const struct sspr_config *cfg, const char *service,
                                  const char *ruser, const char *user);

/* 1 when the account is in one of admin_groups. A membership that cannot
 * be told counts as admin: the stricter policy. */
int sspr_policy_is_admin(const struct sspr_config *cfg, struct sspr_backend *be,
                         const struct sspr_account *acct);

/* Gates a reset needs at least, and the methods that may be used, for
 * this class of account. */
int sspr_policy_gates(const struct sspr_config *cfg, int is_admin);
unsigned sspr_policy_methods(const struct sspr_config *cfg, int is_admin);

/* The methods this system offers at all (configured, listed in a
 * methods key), whatever the account. */
unsigned sspr_policy_system_methods(const struct sspr_config *cfg);

/* Gates needed once `used` have passed: `base`, raised to two when a weak
 * one was used (never alone), or for an administrator a delivery channel
 * (never through on it alone; the next offer has no second channel). */
int sspr_policy_gates_needed(unsigned used, int base, int is_admin);

/* What the menu may offer for the next gate, given the system's methods
 * and those used: never one used already, and for an administrator never
 * a second delivery channel. */
unsigned sspr_policy_next_offer(unsigned system, unsigned used, int is_admin);

/* The methods an account could count here: registered (have), allowed
 * for its class, offered by this system (weak ones only for users with
 * questions enabled). */
unsigned sspr_policy_usable(const struct sspr_config *cfg, unsigned have, int is_admin);

/* 1 when `have` is enough to reset by the same rules as the reset: `need`
 * different methods, not only weak ones, and for an administrator with
 * need >= 2 at least one that is neither weak nor a delivery channel. */
int sspr_policy_satisfied(unsigned have, int need, int is_admin);

/* Why `have` is not enough, for doctor. */
enum sspr_unsatisfied {
    SSPR_SATISFIED = 0,
    SSPR_UNSAT_TOO_FEW,        /* fewer different methods than gates */
    SSPR_UNSAT_WEAK_ONLY,      /* only security questions */
    SSPR_UNSAT_ADMIN_DELIVERY, /* an administrator with only email/SMS */
};
enum sspr_unsatisfied sspr_policy_unsatisfied(unsigned have, int need, int is_admin);

/* What users may register at sign-in on this system. */
unsigned sspr_policy_registrable(const struct sspr_config *cfg, int is_admin);

/* Number of methods in a set. */
int sspr_policy_count(unsigned set);

#endif
