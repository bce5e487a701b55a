/*
 * libFuzzer target for doctor's reader of PAM service files (sspr-helper/
 * admin/doctor/pam_stack.c) and its check of where pam_sspr.so sits.
 *
 * Input: one flags byte, then the service file. When the rest holds a line
 * "%%", what follows it is the text of a second file instead; flags bit 0
 * makes it exist as "common-auth", bit 1 as "common-password" (so the
 * Debian files' @include lines find it), bit 2 turns "common-auth" into a
 * directory (it opens, reading fails). The files live in a private
 * directory made once.
 *
 * The reader follows includes wherever they point, absolute paths and ".."
 * too, as libpam does. So that the target reads nothing of this machine
 * (and never /dev/zero or a FIFO), fopen() is wrapped while the parser
 * runs: a read opens only a plain name inside the private directory;
 * anything else fails with ENOENT, the way a missing include does.
 *
 * Invariants checked with abort():
 *   - for "auth" and "password": 0 <= n <= PAM_MAX_ENTRIES, the service is
 *     not "missing", every string of every entry and the error are
 *     NUL-terminated inside their arrays, levels lie within 0..PAM_MAX_DEPTH,
 *     line numbers are >= 1, a module is a base name;
 *   - sspr_pam_jump lands in i+1..n; sspr_pam_action's answer is terminated;
 *   - sspr_doctor_auth_stack returns an enum sspr_doctor_stack value, never
 *     MISSING (the file exists), with a terminated message; OK only when
 *     the auth stack has pam_unix.so before a pam_sspr.so line, ABSENT only
 *     when it has no pam_sspr.so line (kiosk lines aside) and no error.
 */
#include "autoconf.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/doctor/pam_stack.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
FILE *fopen(const char *path, const char *mode);

#define SERVICE "svc"
#define SEPARATOR "\n%%\n"

static char dir[512];
static size_t dirlen;
static int guard;                /* 1 while the parser runs */
static struct sspr_pam_stack st; /* about 250 KiB */

/* ---- the fopen guard --------------------------------------------------------- */

FILE *fopen(const char *path, const char *mode)
{
    static FILE *(*real)(const char *, const char *);

    if (real == NULL) {
        real = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
        FAIL_IF(real == NULL);
    }
    /* Only reads: libFuzzer writes a crash or timeout artifact with fopen
     * "wb", possibly from a signal handler while the parser runs. */
    if (guard && mode[0] == 'r') {
        const char *rest = path + dirlen + 1;

        if (strncmp(path, dir, dirlen) != 0 || path[dirlen] != '/' || strchr(rest, '/') != NULL ||
            strcmp(rest, "..") == 0) {
            errno = ENOENT;
            return NULL;
        }
    }
    return real(path, mode);
}

/* ---- the private directory ---------------------------------------------------------- */

static void path_of(const char *name, char *buf, size_t len)
{
    FAIL_IF((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len);
}

static void remove_name(const char *name)
{
    char p[640];

    path_of(name, p, sizeof(p));
    if (unlink(p) != 0)
        (void)rmdir(p); /* common-auth may be a directory */
}

static void write_file(const char *name, const uint8_t *data, size_t size)
{
    char p[640];
    int fd;

    path_of(name, p, sizeof(p));
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    FAIL_IF(fd < 0);
    for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data + off, size - off);

        FAIL_IF(w <= 0);
        off += (size_t)w;
    }
    FAIL_IF(close(fd) != 0);
}

static void cleanup(void)
{
    remove_name(SERVICE);
    remove_name("common-auth");
    remove_name("common-password");
    (void)rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");

    (void)argc;
    (void)argv;
    if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 400)
        tmp = "/tmp";
    FAIL_IF((size_t)snprintf(dir, sizeof(dir), "%s/fuzz_pam_stack.XXXXXX", tmp) >= sizeof(dir));
    FAIL_IF(mkdtemp(dir) == NULL);
    dirlen = strlen(dir);
    atexit(cleanup);
    return 0;
}

/* ---- checks ---------------------------------------------------------------------- */

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static void check_stack(const char *type)
{
    char act[64];

    memset(&st, 0, sizeof(st));
    guard = 1;
    sspr_pam_stack_parse(dir, SERVICE, type, &st);
    guard = 0;
    FAIL_IF(st.n < 0 || st.n > PAM_MAX_ENTRIES || st.missing || !TERMINATED(st.err));
    for (int i = 0; i < st.n; i++) {
        const struct sspr_pam_entry *e = &st.e[i];

        FAIL_IF(!TERMINATED(e->control) || !TERMINATED(e->module) || !TERMINATED(e->args) ||
                !TERMINATED(e->file));
        FAIL_IF(e->level < 0 || e->level > PAM_MAX_DEPTH || e->line < 1 || e->control[0] == '\0' ||
                e->file[0] == '\0' || strchr(e->module, '/') != NULL);
        for (int k = 0; k < 4; k++) {
            int t = sspr_pam_jump(&st, i, k == 3 ? PAM_MAX_ENTRIES + 1 : k);

            FAIL_IF(t < i + 1 || t > st.n);
        }
        sspr_pam_action(e, "success", act, sizeof(act));
        FAIL_IF(!TERMINATED(act));
        sspr_pam_action(e, "default", act, sizeof(act));
        FAIL_IF(!TERMINATED(act));
        (void)sspr_pam_is_kiosk_line(e);
    }
}

/* What the auth stack holds, for the doctor's verdict. */
static void auth_facts(int *has_sspr, int *unix_before_sspr, int *err)
{
    int u = -1;

    memset(&st, 0, sizeof(st));
    guard = 1;
    sspr_pam_stack_parse(dir, SERVICE, "auth", &st);
    guard = 0;
    *has_sspr = *unix_before_sspr = 0;
    *err = st.err[0] != '\0';
    for (int i = 0; i < st.n; i++) {
        if (u < 0 && strcmp(st.e[i].module, "pam_unix.so") == 0)
            u = i;
        if (strcmp(st.e[i].module, "pam_sspr.so") == 0 && !sspr_pam_is_kiosk_line(&st.e[i])) {
            *has_sspr = 1;
            if (u >= 0)
                *unix_before_sspr = 1;
        }
    }
}

static void check_doctor(void)
{
    char why[256];
    int rc, has_sspr, unix_first, err;

    memset(why, 'x', sizeof(why));
    guard = 1;
    rc = sspr_doctor_auth_stack(dir, SERVICE, why, sizeof(why));
    guard = 0;
    FAIL_IF(rc < SSPR_DOCTOR_STACK_OK || rc > SSPR_DOCTOR_STACK_MISSING ||
            rc == SSPR_DOCTOR_STACK_MISSING || !TERMINATED(why));
    auth_facts(&has_sspr, &unix_first, &err);
    if ((rc == SSPR_DOCTOR_STACK_OK && (!has_sspr || !unix_first || err)) ||
        (rc == SSPR_DOCTOR_STACK_ABSENT && (has_sspr || err))) {
        /* the two readings disagree: say what each saw (seen once in CI,
         * never again with the same input) */
        char what[600];

        snprintf(what, sizeof(what), "verdict %d why \"%.200s\"; second reading: %d entries, "
                 "sspr %d, unix first %d, error \"%.200s\"", rc, why, st.n, has_sspr, unix_first,
                 st.err);
        sspr_fuzz_note(__FILE__, __LINE__, what);
    }
    FAIL_IF(rc == SSPR_DOCTOR_STACK_OK && (!has_sspr || !unix_first || err));
    FAIL_IF(rc == SSPR_DOCTOR_STACK_ABSENT && (has_sspr || err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *second = NULL;
    size_t first = size, second_len = 0;
    unsigned flags;

    if (size < 1 || size > 64 * 1024)
        return 0;
    flags = data[0];
    data++;
    size--;
    first = size;
    for (size_t i = 0; i + sizeof(SEPARATOR) - 1 <= size; i++) {
        if (memcmp(data + i, SEPARATOR, sizeof(SEPARATOR) - 1) == 0) {
            first = i + 1; /* the service file keeps its last line end */
            second = data + i + sizeof(SEPARATOR) - 1;
            second_len = size - (i + sizeof(SEPARATOR) - 1);
            break;
        }
    }
    remove_name("common-auth");
    remove_name("common-password");
    write_file(SERVICE, data, first);
    if (flags & 4) {
        char p[640];

        path_of("common-auth", p, sizeof(p));
        FAIL_IF(mkdir(p, 0700) != 0);
    } else if (flags & 1) {
        write_file("common-auth", second != NULL ? second : (const uint8_t *)"", second_len);
    }
    if (flags & 2)
        write_file("common-password", second != NULL ? second : (const uint8_t *)"", second_len);

    check_stack("auth");
    check_stack("password");
    check_doctor();
    return 0;
}
