/*
 * libFuzzer target for the module <-> helper framing (common/wire.c,
 * common/wire_state.c, common/kv.c). Built with ./configure CC=clang
 * --enable-fuzzing; run by fuzz/run.sh (fuzz/README.md).
 *
 * What it does with one input: the bytes are written into one end of an
 * AF_UNIX socketpair, the writer end is closed, and frames are read with
 * sspr_wire_recv() until it reports an error. Every frame goes through the
 * state table (alternating the direction by the first input byte's bits)
 * and HELLO payloads through sspr_kv_validate()/sspr_kv_get(). A second
 * pass feeds the raw bytes straight into sspr_wire_check_header() and
 * sspr_kv_validate() without a socket, so inputs larger than the socket
 * buffer are covered too. Invariants checked with abort():
 *   - a received frame has a known type, len <= MAX_PAYLOAD, and
 *     payload[len] == '\0';
 *   - the reader ends with ECLOSED, ETRUNC or EPROTO (never ETIMEDOUT:
 *     all bytes are already there, and never OK forever);
 *   - a payload accepted by kv_validate answers kv_get("user") with a
 *     pointer inside the payload.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kv.h"
#include "username.h"
#include "wire.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_kv(const char *p, size_t len)
{
    if (sspr_kv_validate(p, len) == 0) {
        const char *u = sspr_kv_get(p, len, "user");
        if (u != NULL) {
            FAIL_IF(u < p || u >= p + len);
            (void)sspr_username_ok(u);
        }
    }
}

static void via_socket(const uint8_t *data, size_t size)
{
    static struct sspr_frame f;
    enum sspr_wire_state st = SSPR_WS_START;
    int sv[2];
    int rc;
    int sndbuf = 1 << 20;

    FAIL_IF(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0);
    (void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    /* keep it non-blocking-safe: at most what fits in the buffer */
    if (size > 64 * 1024)
        size = 64 * 1024;
    for (size_t off = 0; off < size;) {
        ssize_t w = write(sv[1], data + off, size - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(sv[1]);

    for (unsigned n = 0;; n++) {
        rc = sspr_wire_recv(sv[0], &f, sspr_now_ms() + 1000);
        if (rc != SSPR_WIRE_OK)
            break;
        FAIL_IF(f.type < SSPR_F_HELLO || f.type > SSPR_F_RESULT || f.len > SSPR_WIRE_MAX_PAYLOAD ||
                f.payload[f.len] != '\0');
        enum sspr_wire_dir dir =
            (f.type == SSPR_F_HELLO || f.type == SSPR_F_ANSWER || f.type == SSPR_F_CANCEL)
                ? SSPR_DIR_TO_HELPER
                : SSPR_DIR_TO_MODULE;
        if (size > 0 && (data[0] >> (n % 8)) & 1)
            dir = dir == SSPR_DIR_TO_HELPER ? SSPR_DIR_TO_MODULE : SSPR_DIR_TO_HELPER;
        (void)sspr_wire_transition(&st, dir, f.type);
        if (f.type == SSPR_F_HELLO)
            check_kv(f.payload, f.len);
        sspr_frame_wipe(&f);
    }
    FAIL_IF(rc != SSPR_WIRE_ECLOSED && rc != SSPR_WIRE_ETRUNC && rc != SSPR_WIRE_EPROTO);
    close(sv[0]);
}

static void direct(const uint8_t *data, size_t size)
{
    uint32_t plen = 0;

    if (size >= 5 && sspr_wire_check_header(data, &plen) == SSPR_WIRE_OK) {
        FAIL_IF(plen > SSPR_WIRE_MAX_PAYLOAD);
        size_t avail = size - 5 < plen ? size - 5 : plen;
        /* copy so that reads past the frame are caught by ASan */
        char *p = malloc(avail ? avail : 1);
        if (p == NULL)
            return;
        memcpy(p, data + 5, avail);
        check_kv(p, avail);
        free(p);
    } else {
        char *p = malloc(size ? size : 1);
        if (p == NULL)
            return;
        memcpy(p, data, size);
        check_kv(p, size);
        free(p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    via_socket(data, size);
    direct(data, size);
    return 0;
}
