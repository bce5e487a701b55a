/* The local backend's doctor check: the state directory. */
#include "autoconf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/doctor/report.h"
#include "backends/local/local.h"
#include "support/errors.h"

void sspr_local_doctor(struct sspr_backend *be, struct sspr_report *r)
{
    const struct sspr_config *cfg = be->cfg;
    struct sspr_store st;
    struct stat sb;
    char m[8], bad[PATH_MAX];
    const char *why;
    int rc;

    if (lstat(cfg->state_dir, &sb) != 0) {
        sspr_fail(r, SSPR_E_STATE_DIR, "state directory: %s: %s", cfg->state_dir, strerror(errno));
        return;
    }
    sspr_doctor_mode_str(sb.st_mode, m, sizeof(m));
    if (S_ISLNK(sb.st_mode)) {
        sspr_fail(r, SSPR_E_STATE_DIR, "state directory: %s is a symbolic link", cfg->state_dir);
        return;
    }
    if (!S_ISDIR(sb.st_mode)) {
        sspr_fail(r, SSPR_E_STATE_DIR, "state directory: %s is not a directory", cfg->state_dir);
        return;
    }
    if (sb.st_uid != 0 || (sb.st_mode & 077) != 0) {
        sspr_fail(r, SSPR_E_STATE_DIR, "state directory: %s is owner uid %lu mode %s (want root, "
                                  "0700)",
             cfg->state_dir, (unsigned long)sb.st_uid, m);
        return;
    }
    if (sspr_doctor_parents_safe(cfg->state_dir, bad, sizeof(bad), &why) != 0) {
        sspr_fail(r, SSPR_E_STATE_DIR, "state directory: %s above it is %s", bad, why);
        return;
    }
    rc = sspr_store_open(&st, cfg->state_dir, 0);
    if (rc != SSPR_OK) {
        sspr_fail(r, SSPR_E_STATE_DIR, "state directory: %s: %s", cfg->state_dir,
             sspr_strerror(rc));
        return;
    }
    sspr_store_close(&st);
    if (access(cfg->state_dir, W_OK) != 0) {
        sspr_fail(r, SSPR_E_STATE_DIR, "state directory: %s is not writable: %s", cfg->state_dir,
             strerror(errno));
        return;
    }
    sspr_pass(r, "state directory: %s root-owned, mode 0700", cfg->state_dir);
}
