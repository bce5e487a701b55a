#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "servers.h"

#ifndef SSPR_PYTHON3
#define SSPR_PYTHON3 "/usr/bin/python3"
#endif

long long test_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int reap(pid_t pid, int ms)
{
    long long end = test_now_ms() + ms;

    for (;;) {
        pid_t r = waitpid(pid, NULL, WNOHANG);

        if (r == pid || (r < 0 && errno != EINTR))
            return 0;
        if (test_now_ms() >= end)
            return -1;
        usleep(20000);
    }
}

void test_server_stop(struct test_server *s)
{
    if (s == NULL || s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    if (reap(s->pid, 2000) != 0) {
        kill(s->pid, SIGKILL);
        reap(s->pid, 5000);
    }
    s->pid = 0;
    s->port = 0;
}

int test_server_start(struct test_server *s, const char *script, const char *const args[],
                      const char *logpath)
{
    const char *argv[32];
    char line[64];
    size_t n = 0, got = 0;
    int pfd[2];
    long long end;
    pid_t pid;

    s->pid = 0;
    s->port = 0;
    argv[n++] = SSPR_PYTHON3;
    argv[n++] = script;
    while (args != NULL && args[n - 2] != NULL && n < 31) {
        argv[n] = args[n - 2];
        n++;
    }
    argv[n] = NULL;
    if (pipe2(pfd, O_CLOEXEC) != 0)
        return -1;
    pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        int lfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

        if (dup2(pfd[1], 1) < 0 || (lfd >= 0 && dup2(lfd, 2) < 0))
            _exit(126);
        execv(argv[0], (char *const *)(void *)argv);
        _exit(127);
    }
    close(pfd[1]);
    s->pid = pid;
    end = test_now_ms() + 15000;
    memset(line, 0, sizeof(line));
    while (got < sizeof(line) - 1 && memchr(line, '\n', got) == NULL) {
        struct pollfd p = { pfd[0], POLLIN, 0 };
        long long left = end - test_now_ms();
        ssize_t r;

        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        r = read(pfd[0], line + got, sizeof(line) - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(pfd[0]);
    if (sscanf(line, "PORT %d", &s->port) != 1 || s->port <= 0) {
        fprintf(stderr, "test server %s did not start (see %s)\n", script, logpath);
        test_server_stop(s);
        return -1;
    }
    return 0;
}

int test_free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

int test_wait_file(const char *dir, const char *name, int ms)
{
    char p[PATH_MAX];
    long long end = test_now_ms() + ms;

    snprintf(p, sizeof(p), "%s/%s", dir, name);
    while (access(p, F_OK) != 0) {
        if (test_now_ms() >= end)
            return -1;
        usleep(20000);
    }
    return 0;
}

char *test_slurp(const char *path)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t len = 0, cap = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        size_t r;

        if (cap - len < 4096) {
            char *nb = realloc(buf, cap + 65536);

            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap += 65536;
        }
        r = fread(buf + len, 1, cap - len - 1, f);
        len += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

int test_make_cert(const char *dir, const char *name)
{
    char crt[PATH_MAX], key[PATH_MAX];
    const char *argv[20];
    size_t n = 0;
    int status;
    pid_t pid;

    snprintf(crt, sizeof(crt), "%s/%s.crt", dir, name);
    snprintf(key, sizeof(key), "%s/%s.key", dir, name);
    argv[n++] = "openssl";
    argv[n++] = "req";
    argv[n++] = "-x509";
    argv[n++] = "-newkey";
    argv[n++] = "ec";
    argv[n++] = "-pkeyopt";
    argv[n++] = "ec_paramgen_curve:prime256v1";
    argv[n++] = "-nodes";
    argv[n++] = "-days";
    argv[n++] = "2";
    argv[n++] = "-subj";
    argv[n++] = "/CN=localhost";
    argv[n++] = "-addext";
    argv[n++] = "subjectAltName=IP:127.0.0.1,DNS:localhost";
    argv[n++] = "-keyout";
    argv[n++] = key;
    argv[n++] = "-out";
    argv[n++] = crt;
    argv[n] = NULL;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int nul = open("/dev/null", O_WRONLY);

        if (nul >= 0) {
            dup2(nul, 1);
            dup2(nul, 2);
        }
        execvp("openssl", (char *const *)(void *)argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
