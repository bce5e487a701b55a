/* sspr-bench mail: the memory of whatever talks to the mail server. A
 * minimal SMTP server on loopback answers the reachability probe and the
 * code mail; before each of its replies (the client is then waiting, so it
 * is alive) it samples every process named sspr-deliver (the delivery
 * program, $(libexecdir)/sspr-deliver, once it exists) and sspr-helper
 * (today the helper probes and, in a forked child, sends itself). */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

struct seen {
    long hwm_kb, rss_kb;
    int libs, samples;
    long uid, gid;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct seen deliver, helper_side;
static int conns, mails, active;

static void sample_name(const char *name, struct seen *s)
{
    pid_t p[64];
    int n = proc_all_named(name, p, 64);

    for (int i = 0; i < n; i++) {
        struct proc_mem m;

        if (proc_mem(p[i], &m) != 0)
            continue;
        if (m.hwm_kb > s->hwm_kb) {
            s->hwm_kb = m.hwm_kb;
            s->rss_kb = m.rss_kb;
        }
        if (m.libs > s->libs)
            s->libs = m.libs;
        s->uid = m.uid;
        s->gid = m.gid;
        s->samples++;
    }
}

static void sample(void)
{
    pthread_mutex_lock(&mu);
    sample_name("sspr-deliver", &deliver);
    sample_name("sspr-helper", &helper_side);
    pthread_mutex_unlock(&mu);
}

static int say(int fd, const char *s)
{
    size_t n = strlen(s);

    return send(fd, s, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* one line (CRLF or LF), at most cap-1 bytes; -1 on EOF */
static int get_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;

    while (n + 1 < cap) {
        char c;
        ssize_t r = recv(fd, &c, 1, 0);

        if (r <= 0)
            return -1;
        if (c == '\n')
            break;
        if (c != '\r')
            buf[n++] = c;
    }
    buf[n] = '\0';
    return (int)n;
}

static void *session(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char line[1024];

    sample();
    if (say(fd, "220 sspr-bench ESMTP\r\n") != 0)
        goto out;
    while (get_line(fd, line, sizeof(line)) >= 0) {
        sample();
        if (strncasecmp(line, "EHLO", 4) == 0) {
            if (say(fd, "250-sspr-bench\r\n250 8BITMIME\r\n") != 0)
                break;
        } else if (strncasecmp(line, "HELO", 4) == 0 || strncasecmp(line, "MAIL", 4) == 0 ||
                   strncasecmp(line, "RCPT", 4) == 0 || strncasecmp(line, "RSET", 4) == 0 ||
                   strncasecmp(line, "NOOP", 4) == 0) {
            if (say(fd, "250 OK\r\n") != 0)
                break;
        } else if (strncasecmp(line, "DATA", 4) == 0) {
            if (say(fd, "354 go on\r\n") != 0)
                break;
            while (get_line(fd, line, sizeof(line)) >= 0 && strcmp(line, ".") != 0)
                ;
            sample();
            pthread_mutex_lock(&mu);
            mails++;
            pthread_mutex_unlock(&mu);
            if (say(fd, "250 queued\r\n") != 0)
                break;
        } else if (strncasecmp(line, "QUIT", 4) == 0) {
            (void)say(fd, "221 bye\r\n");
            break;
        } else if (say(fd, "502 no\r\n") != 0) {
            break;
        }
    }
out:
    close(fd);
    pthread_mutex_lock(&mu);
    active--;
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void *server(void *arg)
{
    int lfd = (int)(intptr_t)arg;

    for (;;) {
        pthread_t t;
        int fd = accept(lfd, NULL, NULL);

        if (fd < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        pthread_mutex_lock(&mu);
        conns++;
        active++;
        pthread_mutex_unlock(&mu);
        if (pthread_create(&t, NULL, session, (void *)(intptr_t)fd) != 0) {
            close(fd);
            continue;
        }
        pthread_detach(t);
    }
}

static void print_seen(const char *what, const struct seen *s)
{
    printf("  %-34s VmHWM %.2f MiB (VmRSS %.2f), %d shared objects, uid %ld gid %ld "
           "(%d samples)\n",
           what, (double)s->hwm_kb / 1024, (double)s->rss_kb / 1024, s->libs, s->uid, s->gid,
           s->samples);
}

/* mail SVC USER PORT ROUNDS DELIVER_PATH
 * Flows that choose email at the menu and cancel at the code prompt; the
 * code mail (USER has an address) goes out in the background. */
int cmd_mail(int ac, char **av)
{
    struct sockaddr_in a;
    pthread_t t;
    int lfd, one = 1, rounds, sent_before;

    if (ac != 5)
        die("usage: mail SVC USER PORT ROUNDS DELIVER_PATH");
    rounds = atoi(av[3]);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(av[2]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 16) != 0)
        die("cannot listen on 127.0.0.1:%s: %s", av[2], strerror(errno));
    if (pthread_create(&t, NULL, server, (void *)(intptr_t)lfd) != 0)
        die("pthread_create");
    for (int r = 0; r < rounds; r++) {
        struct flow fl = { .choice_word = "email", .code_action = CODE_CANCEL };

        pthread_mutex_lock(&mu);
        sent_before = mails;
        pthread_mutex_unlock(&mu);
        (void)flow_run(av[0], av[1], &fl, NULL);
        if (fl.t_code == 0)
            die("no email code prompt (menu \"%s\", last message \"%s\")", fl.menu, fl.last_msg);
        /* the send is in the background: wait for it (10 s at most) */
        for (int k = 0; k < 1000; k++) {
            int done;
            pthread_mutex_lock(&mu);
            done = mails > sent_before && active == 0;
            pthread_mutex_unlock(&mu);
            if (done)
                break;
            sleep_us(10000);
        }
    }
    printf(" %d flows choosing email: %d SMTP connections, %d mails received\n", rounds, conns,
           mails);
    if (deliver.samples > 0) {
        print_seen("sspr-deliver (delivery process)", &deliver);
        note_summary("delivery process (sspr-deliver) peak RSS %.2f MiB, %d shared objects, "
                     "uid %ld",
                     (double)deliver.hwm_kb / 1024, deliver.libs, deliver.uid);
    } else {
        printf("  %-34s not present (%s %s)\n", "sspr-deliver (delivery process)",
               access(av[4], X_OK) == 0 ? "installed at" : "no", av[4]);
        note_summary("delivery process: not present; the helper itself talks SMTP");
    }
    print_seen("sspr-helper processes meanwhile", &helper_side);
    if (mails == 0)
        die("no mail arrived: the measurement is incomplete");
    return 0;
}
