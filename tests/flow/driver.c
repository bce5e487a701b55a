#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <liboath/oath.h>

#include "driver.h"
#include "flow/flow.h"
#include "kv.h"
#include "mem_backend.h"
#include "support/base32.h"

#define STEP_MS 10000

static void *run(void *arg)
{
    struct drive *d = arg;

    d->status = sspr_flow_run_with(d->flow_fd, d->cfg,
                                   drive_ops != NULL ? drive_ops : &mem_backend_ops);
    close(d->flow_fd);
    return NULL;
}

const char *drive_hello_lang;
const struct sspr_backend_ops *drive_ops;

void drive_start(struct drive *d, const struct sspr_config *cfg, const char *user, const char *mode,
                 const char *service)
{
    drive_start_as(d, cfg, user, "", mode, service);
}

void drive_start_as(struct drive *d, const struct sspr_config *cfg, const char *user,
                    const char *ruser, const char *mode, const char *service)
{
    int sv[2];
    char hello[2048];
    size_t len = 0;

    memset(d, 0, sizeof(*d));
    d->cfg = cfg;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    d->fd = sv[0];
    d->flow_fd = sv[1];
    assert_int_equal(pthread_create(&d->thread, NULL, run, d), 0);
    assert_int_equal(sspr_kv_append(hello, sizeof(hello), &len, "version", "1"), 0);
    assert_int_equal(sspr_kv_append(hello, sizeof(hello), &len, "user", user), 0);
    assert_int_equal(sspr_kv_append(hello, sizeof(hello), &len, "service", service), 0);
    assert_int_equal(sspr_kv_append(hello, sizeof(hello), &len, "rhost", "192.0.2.1"), 0);
    assert_int_equal(sspr_kv_append(hello, sizeof(hello), &len, "tty", "ssh"), 0);
    assert_int_equal(sspr_kv_append(hello, sizeof(hello), &len, "ruser", ruser), 0);
    assert_int_equal(sspr_kv_append(hello, sizeof(hello), &len, "mode", mode), 0);
    if (drive_hello_lang != NULL)
        assert_int_equal(sspr_kv_append(hello, sizeof(hello), &len, "lang", drive_hello_lang), 0);
    assert_int_equal(sspr_wire_send(d->fd, SSPR_F_HELLO, hello, len, sspr_now_ms() + STEP_MS), 0);
}

static void record(struct drive *d, int type, const char *text)
{
    if (d->n >= DRIVE_LINES)
        fail_msg("more than %d frames", DRIVE_LINES);
    d->type[d->n] = type;
    snprintf(d->text[d->n], sizeof(d->text[0]), "%s", text);
    d->n++;
}

int drive_next(struct drive *d)
{
    struct sspr_frame f;

    for (;;) {
        int rc = sspr_wire_recv(d->fd, &f, sspr_now_ms() + STEP_MS);

        if (rc == SSPR_WIRE_ECLOSED || rc == SSPR_WIRE_EIO) {
            d->closed = 1;
            return 0;
        }
        if (rc != SSPR_WIRE_OK)
            fail_msg("reading from the flow: %s", sspr_wire_strerror(rc));
        record(d, f.type, f.payload);
        switch (f.type) {
        case SSPR_F_INFO:
        case SSPR_F_ERROR:
            continue;
        case SSPR_F_RESULT:
            snprintf(d->result, sizeof(d->result), "%s", f.payload);
            return SSPR_F_RESULT;
        case SSPR_F_PROMPT_ECHO_OFF:
        case SSPR_F_PROMPT_ECHO_ON:
            return f.type;
        default:
            fail_msg("unexpected frame type %d", f.type);
        }
    }
}

const char *drive_last(const struct drive *d)
{
    return d->n > 0 ? d->text[d->n - 1] : "";
}

void drive_answer(struct drive *d, const char *answer)
{
    assert_int_equal(
        sspr_wire_send(d->fd, SSPR_F_ANSWER, answer, strlen(answer), sspr_now_ms() + STEP_MS), 0);
}

void drive_cancel(struct drive *d)
{
    assert_int_equal(sspr_wire_send(d->fd, SSPR_F_CANCEL, "", 0, sspr_now_ms() + STEP_MS), 0);
}

void drive_expect_prompt(struct drive *d, const char *text)
{
    int t = drive_next(d);

    if ((t != SSPR_F_PROMPT_ECHO_OFF && t != SSPR_F_PROMPT_ECHO_ON) ||
        strcmp(drive_last(d), text) != 0) {
        char all[8192];
        drive_transcript(d, all, sizeof(all));
        fail_msg("expected prompt \"%s\", got type %d \"%s\"\n%s", text, t, drive_last(d), all);
    }
}

int drive_saw(const struct drive *d, const char *needle)
{
    for (int i = 0; i < d->n; i++)
        if ((d->type[i] == SSPR_F_INFO || d->type[i] == SSPR_F_ERROR) &&
            strstr(d->text[i], needle) != NULL)
            return 1;
    return 0;
}

int drive_end(struct drive *d)
{
    assert_int_equal(pthread_join(d->thread, NULL), 0);
    close(d->fd);
    return d->status;
}

void drive_transcript(const struct drive *d, char *out, size_t len)
{
    size_t o = 0;

    out[0] = '\0';
    for (int i = 0; i < d->n && o < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%d %s\n", d->type[i], d->text[i]);
}

void drive_totp(const char *b32, int offset_steps, char out[8])
{
    uint8_t secret[64];
    long n = sspr_base32_decode(b32, secret, sizeof(secret));

    assert_true(n > 0);
    assert_int_equal(oath_init(), OATH_OK);
    assert_int_equal(oath_totp_generate((const char *)secret, (size_t)n,
                                        time(NULL) + (time_t)offset_steps * 30, 30, 0, 6, out),
                     OATH_OK);
}

void drive_config(struct sspr_config *cfg)
{
    sspr_config_defaults(cfg);
    cfg->failure_delay = 0;
    /* any root-owned regular file whose lines are no test password */
    snprintf(cfg->banned_file, sizeof(cfg->banned_file), "%s", "/etc/passwd");
    snprintf(cfg->questions_file, sizeof(cfg->questions_file), "%s",
             SSPR_TOP_SRCDIR "/conf/questions.txt");
    snprintf(cfg->backend, sizeof(cfg->backend), "%s", "local"); /* unused: ops given */
}
