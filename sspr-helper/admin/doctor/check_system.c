/* Doctor: the configuration file, the helper program, the banned-password list. */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/doctor/checks.h"
#include "support/errors.h"
#include "support/safe_open.h"

#ifndef SSPR_HELPER_PATH
#define SSPR_HELPER_PATH "/usr/sbin/sspr-helper"
#endif

#define BANNED_MAX_BYTES (16 * 1024 * 1024)

int sspr_doctor_check_config(struct sspr_report *r, const char *path)
{
    struct sspr_config tmp;
    struct stat sb;
    char err[512], bad[PATH_MAX], m[8];
    const char *why;

    if (lstat(path, &sb) != 0) {
        if (errno == ENOENT) {
            sspr_warn(r, "config: %s does not exist: the built-in defaults are in effect", path);
            return 0;
        }
        sspr_fail(r, SSPR_E_CONFIG_INVALID, "config: %s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISLNK(sb.st_mode)) {
        sspr_fail(r, SSPR_E_CONFIG_UNSAFE, "config: %s is a symbolic link (refused)", path);
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        sspr_fail(r, SSPR_E_CONFIG_INVALID, "config: %s is not a regular file", path);
        return -1;
    }
    if ((why = sspr_doctor_unsafe_stat(&sb)) != NULL) {
        sspr_doctor_mode_str(sb.st_mode, m, sizeof(m));
        sspr_fail(r, SSPR_E_CONFIG_UNSAFE, "config: %s is %s (owner uid %lu, mode %s)", path, why,
                  (unsigned long)sb.st_uid, m);
        return -1;
    }
    if (sspr_doctor_parents_safe(path, bad, sizeof(bad), &why) != 0) {
        sspr_fail(r, SSPR_E_CONFIG_UNSAFE, "config: directory %s is %s", bad, why);
        return -1;
    }
    if (sspr_config_load(&tmp, path, err, sizeof(err)) != 0) {
        sspr_fail(r, SSPR_E_CONFIG_INVALID, "config: %s", err);
        return -1;
    }
    sspr_pass(r, "config: %s valid, root-owned, not writable by others", path);
    return 0;
}

void sspr_doctor_check_helper(struct sspr_report *r)
{
    struct stat sb;
    char bad[PATH_MAX], m[8];
    const char *why;

    if (lstat(SSPR_HELPER_PATH, &sb) != 0) {
        sspr_fail(r, SSPR_E_HELPER_UNSAFE, "helper: %s: %s", SSPR_HELPER_PATH, strerror(errno));
        return;
    }
    sspr_doctor_mode_str(sb.st_mode, m, sizeof(m));
    if (!S_ISREG(sb.st_mode)) {
        sspr_fail(r, SSPR_E_HELPER_UNSAFE, "helper: %s is not a regular file", SSPR_HELPER_PATH);
        return;
    }
    if ((why = sspr_doctor_unsafe_stat(&sb)) != NULL) {
        sspr_fail(r, SSPR_E_HELPER_UNSAFE, "helper: %s is %s (mode %s)", SSPR_HELPER_PATH, why, m);
        return;
    }
    if ((sb.st_mode & S_IXUSR) == 0) {
        sspr_fail(r, SSPR_E_HELPER_UNSAFE, "helper: %s is not executable (mode %s)",
                  SSPR_HELPER_PATH, m);
        return;
    }
    if (sb.st_mode & (S_ISUID | S_ISGID))
        sspr_warn(r, "helper: %s is set-id (mode %s); it needs no set-id bit", SSPR_HELPER_PATH, m);
    if (sspr_doctor_parents_safe(SSPR_HELPER_PATH, bad, sizeof(bad), &why) != 0) {
        sspr_fail(r, SSPR_E_HELPER_UNSAFE, "helper: directory %s is %s", bad, why);
        return;
    }
    sspr_pass(r, "helper: %s root-owned, mode %s, directories above safe", SSPR_HELPER_PATH, m);
}

void sspr_doctor_check_banned(struct sspr_report *r, const struct sspr_config *cfg)
{
    int fd = sspr_open_safely(AT_FDCWD, cfg->banned_file, 0, BANNED_MAX_BYTES);

    if (fd < 0) {
        const char *why = errno == EPERM    ? "not root-owned, or writable by group/others"
                          : errno == ELOOP  ? "a symbolic link"
                          : errno == EFBIG  ? "too large"
                          : errno == EINVAL ? "not a regular file"
                                            : strerror(errno);

        sspr_fail(r, SSPR_E_BANNED_LIST, "banned passwords: %s: %s", cfg->banned_file, why);
        return;
    }
    close(fd);
    sspr_pass(r, "banned passwords: %s readable", cfg->banned_file);
}
