/*
 * Running sspr-deliver (sspr-deliver/main.c) for one send or probe: the
 * helper builds the request, starts the program as an unprivileged user
 * with only the request pipe and the reply pipe, waits for its one line
 * within a deadline, and reaps it. The helper itself never links libcurl.
 */
#ifndef SSPR_DELIVERY_DELIVER_H
#define SSPR_DELIVERY_DELIVER_H

#include <stddef.h>

/* The program (set by tests to the build tree's; production: the
 * installed one). */
extern const char *sspr_deliver_program;
/* 0 skips the check that the program and its directories are root's and
 * not writable by others (tests only: a build tree may sit below /tmp). */
extern int sspr_deliver_check_program;

/* A request being built: NUL-separated key=value (common/kv.c), wiped
 * when freed (it carries credentials and codes). */
struct sspr_request {
    char *buf;
    size_t len, cap;
    int failed;
};

void sspr_request_init(struct sspr_request *r);
void sspr_request_add(struct sspr_request *r, const char *key, const char *value);
void sspr_request_addl(struct sspr_request *r, const char *key, long value);
/* Add ca_pem from a file of trusted certificates (path "" adds nothing).
 * 0, or -1 with err set. */
int sspr_request_add_ca(struct sspr_request *r, const char *path, char *err, size_t errlen);
void sspr_request_free(struct sspr_request *r);

/* Run the program with the request; wait at most timeout_s (plus a grace
 * for starting up). Returns SSPR_OK when sent, SSPR_ERR_REFUSED when the
 * server refused this message, SSPR_ERR_UNAVAILABLE when it or the way
 * there failed (err says why). */
int sspr_deliver(const struct sspr_request *r, int timeout_s, char *err, size_t errlen);

/* The user the program runs as ("_sspr", else "nobody"), for doctor. */
const char *sspr_deliver_user(void);

#endif
