/* sspr-bench: authenticator-app codes for the users inside.sh enrolled
 * (their secrets parsed from `sspr-helper enroll USER --totp`), computed
 * with liboath, independently of the helper's own TOTP code. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <liboath/oath.h>

#include "bench.h"

#define STEP 30
#define WINDOW 1 /* the helper accepts +-1 step */

int totp_load(const char *file, struct totp_user *u, int max)
{
    FILE *f = fopen(file, "r");
    char line[256];
    int n = 0;

    if (f == NULL)
        die("cannot open %s", file);
    if (oath_init() != OATH_OK)
        die("oath_init failed");
    while (n < max && fgets(line, sizeof(line), f) != NULL) {
        u[n].last_step = -1;
        if (sscanf(line, "%63s %63s %lld", u[n].name, u[n].secret, &u[n].last_step) < 2)
            continue;
        n++;
    }
    fclose(f);
    if (n == 0)
        die("%s: no \"NAME SECRET\" lines", file);
    return n;
}

void totp_save(const char *file, const struct totp_user *u, int n)
{
    char tmp[512];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.tmp", file);
    if ((f = fopen(tmp, "w")) == NULL)
        die("cannot write %s", tmp);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s %s %lld\n", u[i].name, u[i].secret, u[i].last_step);
    if (fclose(f) != 0 || rename(tmp, file) != 0)
        die("cannot write %s", file);
}

long long totp_step_now(void)
{
    return (long long)time(NULL) / STEP;
}

int totp_code(const struct totp_user *u, long long step, char out[16])
{
    char *key = NULL;
    size_t keylen = 0;
    int rc;

    if (oath_base32_decode(u->secret, strlen(u->secret), &key, &keylen) != OATH_OK)
        return -1;
    rc = oath_totp_generate(key, keylen, (time_t)(step * STEP), STEP, 0, 6, out);
    free(key);
    return rc == OATH_OK ? 0 : -1;
}

void totp_wrong(const struct totp_user *u, char out[16])
{
    long long s = totp_step_now();
    char right[2 * WINDOW + 3][16];

    for (int k = -WINDOW - 1; k <= WINDOW + 1; k++)
        if (totp_code(u, s + k, right[k + WINDOW + 1]) != 0)
            die("totp code for %s", u->name);
    for (unsigned x = 123456;; x = (x * 7 + 13) % 1000000) {
        int clash = 0;

        snprintf(out, 16, "%06u", x);
        for (int k = 0; k < 2 * WINDOW + 3; k++)
            clash |= strcmp(out, right[k]) == 0;
        if (!clash)
            return;
    }
}

struct totp_user *totp_next_user(struct totp_user *u, int n, int *rot, char code[16])
{
    for (;;) {
        long long now = totp_step_now();

        for (int k = 0; k < n; k++) {
            struct totp_user *x = &u[(*rot + k) % n];
            long long s = x->last_step + 1 > now ? x->last_step + 1 : now;

            if (s <= now + 1) {
                if (totp_code(x, s, code) != 0)
                    die("totp code for %s", x->name);
                x->last_step = s;
                *rot = (*rot + k + 1) % n;
                return x;
            }
        }
        sleep_us(250000);
    }
}

void bench_new_password(char *out, size_t len, int i)
{
    snprintf(out, len, "Bench-%ld-%d-Zq!%x", (long)getpid(), i, (unsigned)now_us());
}
