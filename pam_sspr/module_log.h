/* Module logging: pam_syslog only (never openlog in a host like sshd).
 * Errors are always logged; SSPR_DEBUG lines only with the `debug` option.
 * Never log answers, passwords or names typed at a prompt. */
#ifndef SSPR_MODULE_LOG_H
#define SSPR_MODULE_LOG_H

#include <syslog.h>
#include <security/pam_ext.h>

#define SSPR_ERR(pamh, ...) pam_syslog((pamh), LOG_ERR, __VA_ARGS__)
#define SSPR_WARN(pamh, ...) pam_syslog((pamh), LOG_WARNING, __VA_ARGS__)
#define SSPR_DEBUG(pamh, on, ...) \
    do { if (on) pam_syslog((pamh), LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
