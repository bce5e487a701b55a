/* Start and stop the loopback test servers (smtp_sink.py, sms_gateway.py). */
#ifndef SSPR_TEST_SERVERS_H
#define SSPR_TEST_SERVERS_H

#include <stddef.h>
#include <sys/types.h>

struct test_server {
    pid_t pid;
    int port;
};

/* Run PYTHON3 script args... with stderr appended to logpath; wait up to
 * 15 s for its "PORT <n>" line. Returns 0 or -1 (the child is reaped). */
int test_server_start(struct test_server *s, const char *script, const char *const args[],
                      const char *logpath);

/* SIGTERM, then SIGKILL after 2 s; reaps. Safe to call twice. */
void test_server_stop(struct test_server *s);

/* A TCP port on 127.0.0.1 with nothing listening (bound, then closed). */
int test_free_port(void);

/* Wait up to ms for dir/name to exist. 0 or -1. */
int test_wait_file(const char *dir, const char *name, int ms);

/* Whole file into a malloc'd NUL-terminated string (NULL if unreadable). */
char *test_slurp(const char *path);

/* Milliseconds on CLOCK_MONOTONIC. */
long long test_now_ms(void);

/* Make a self-signed EC certificate for 127.0.0.1/localhost with openssl
 * into dir/<name>.crt and dir/<name>.key. 0 or -1. */
int test_make_cert(const char *dir, const char *name);

#endif
