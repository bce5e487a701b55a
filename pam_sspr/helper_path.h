/* The trust check of the helper's path. */
#ifndef SSPR_HELPER_PATH_H
#define SSPR_HELPER_PATH_H

#include <security/pam_modules.h>

/* 0 when path is absolute, without . or .. components, and it and every
 * parent directory are real (not symlinks), root-owned and not writable by
 * group or others, and path is a regular file executable by its owner.
 * Otherwise logs why and returns -1. */
int sspr_helper_path_ok(pam_handle_t *pamh, const char *path);

#endif
