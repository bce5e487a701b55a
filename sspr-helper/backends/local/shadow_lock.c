/*
 * Holding the shadow lock (/etc/.pwd.lock, lckpwdf(3)) across the last
 * eligibility check and pam_unix's write, so that an admin's `usermod -L`
 * or `passwd -l` either lands before the check (and the reset is refused)
 * or waits until the new hash is written (and then locks it): it can never
 * be overwritten in between.
 *
 * glibc refuses lckpwdf() a second time in one process, and pam_unix takes
 * the lock itself inside pam_chauthtok. So this executable defines
 * lckpwdf() and ulckpwdf() itself (exported to the dynamic symbol table:
 * see Makefile.am), and pam_unix's calls resolve to them: while a commit
 * holds the lock they succeed without doing anything, and otherwise they
 * pass through to glibc's.
 */
#include "autoconf.h"

#include <dlfcn.h>
#include <shadow.h>
#include <stddef.h>

#include "backends/local/local.h"

static int held;

typedef int (*lock_fn)(void);

static lock_fn real(const char *name)
{
    /* the next definition after ours: glibc's */
    return (lock_fn)dlsym(RTLD_NEXT, name);
}

int lckpwdf(void)
{
    lock_fn f;

    if (held)
        return 0;
    f = real("lckpwdf");
    return f != NULL ? f() : -1;
}

int ulckpwdf(void)
{
    lock_fn f;

    if (held)
        return 0;
    f = real("ulckpwdf");
    return f != NULL ? f() : -1;
}

int sspr_local_shadow_lock(void)
{
    lock_fn f = real("lckpwdf");

    if (held || f == NULL || f() != 0)
        return SSPR_ERR_LOCK;
    held = 1;
    return SSPR_OK;
}

void sspr_local_shadow_unlock(void)
{
    lock_fn f = real("ulckpwdf");

    if (!held)
        return;
    held = 0;
    if (f != NULL)
        (void)f();
}
