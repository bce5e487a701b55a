/* Test-only PAM module (pam_sspr_shim.so): applications may not set
 * PAM_AUTHTOK, modules may. The shim calls back into the test through the
 * conversation's appdata_ptr, so test code runs in module context on a
 * real libpam handle (no libpam symbols are faked). */
#ifndef SSPR_TEST_SHIM_H
#define SSPR_TEST_SHIM_H

#include <security/pam_modules.h>

struct sspr_shim_hook {
    int (*fn)(pam_handle_t *pamh, int flags, void *ctx);
    void *ctx;
};

#endif
