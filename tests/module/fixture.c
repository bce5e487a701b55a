#include "autoconf.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "fixture.h"
#include "helper_path.h"

static int fx_conv(int n, const struct pam_message **msg, struct pam_response **resp,
                   void *appdata)
{
    struct fixture *fx = appdata;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));

    *resp = NULL;
    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        int style = msg[i]->msg_style;
        if (fx->nmsgs < FX_MAX_MSGS) {
            fx->styles[fx->nmsgs] = style;
            fx->texts[fx->nmsgs] = strdup(msg[i]->msg ? msg[i]->msg : "");
            fx->nmsgs++;
        }
        if (style != PAM_PROMPT_ECHO_OFF && style != PAM_PROMPT_ECHO_ON) {
            if (fx->fail_messages) {
                free(r);
                return PAM_CONV_ERR;
            }
            continue;
        }
        if (fx->next_reply >= fx->nreplies) {
            free(r);
            return PAM_CONV_ERR; /* unscripted prompt */
        }
        struct reply *rep = &fx->replies[fx->next_reply++];
        switch (rep->kind) {
        case R_ANSWER:
            r[i].resp = strdup(rep->answer);
            break;
        case R_CONV_ERR:
            free(r);
            return PAM_CONV_ERR;
        case R_NULL_ARRAY:
            free(r);
            return PAM_SUCCESS;
        case R_NULL_RESP:
            break;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX + 64];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        abort();
    }
    fputs(text, f);
    fclose(f);
}

struct fixture *fx_new(const char *service, const char *user)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    int rc;

    if (fx == NULL)
        abort();
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/sspr-modtest-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        abort();
    write_file(fx->dir, "sspr-test", "auth required pam_permit.so\n");
    write_file(fx->dir, "sspr-shim", "auth required " SSPR_TEST_SHIM "\n");
    /* any other service: the shim too (greeter services, for what they show) */
    if (strcmp(service, "sspr-test") != 0 && strcmp(service, "sspr-shim") != 0)
        write_file(fx->dir, service, "auth required " SSPR_TEST_SHIM "\n");
    fx->conv.conv = fx_conv;
    fx->conv.appdata_ptr = fx;
    rc = pam_start_confdir(service, user, &fx->conv, fx->dir, &fx->pamh);
    if (rc != PAM_SUCCESS) {
        fprintf(stderr, "pam_start_confdir: %d\n", rc);
        abort();
    }
    return fx;
}

void fx_free(struct fixture *fx)
{
    char path[PATH_MAX + 64];

    if (fx == NULL)
        return;
    pam_end(fx->pamh, PAM_SUCCESS);
    for (int i = 0; i < fx->nmsgs; i++)
        free(fx->texts[i]);
    snprintf(path, sizeof(path), "%s/sspr-test", fx->dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/sspr-shim", fx->dir);
    unlink(path);
    rmdir(fx->dir);
    free(fx);
}

void fx_reply(struct fixture *fx, enum reply_kind kind, const char *answer)
{
    if (fx->nreplies >= FX_MAX_REPLIES)
        abort();
    fx->replies[fx->nreplies].kind = kind;
    fx->replies[fx->nreplies].answer = answer;
    fx->nreplies++;
}

int fx_count(const struct fixture *fx, int style, const char *text)
{
    int n = 0;

    for (int i = 0; i < fx->nmsgs; i++)
        if (fx->styles[i] == style && (text == NULL || strcmp(fx->texts[i], text) == 0))
            n++;
    return n;
}

int fx_count_sub(const struct fixture *fx, const char *needle)
{
    int n = 0;

    for (int i = 0; i < fx->nmsgs; i++)
        if (strstr(fx->texts[i], needle) != NULL)
            n++;
    return n;
}

const char *fx_script(const char *dir, const char *name, const char *text, unsigned mode)
{
    static char path[PATH_MAX + 64];

    write_file(dir, name, text);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (chmod(path, (mode_t)mode) != 0)
        abort();
    return path;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void fx_rm_tree(const char *dir)
{
    (void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int fx_helper_dir(pam_handle_t *pamh, char *dir, size_t n)
{
    if (geteuid() != 0)
        return -1;
    snprintf(dir, n, "%s/sspr-helperdir-XXXXXX", SSPR_TEST_BUILDDIR);
    if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0)
        return -1;
    if (sspr_helper_path_ok(pamh, fx_script(dir, "probe", "#!/bin/sh\n", 0755)) != 0) {
        fprintf(stderr, "build dir %s is not a safe helper location: skipping\n",
                SSPR_TEST_BUILDDIR);
        fx_rm_tree(dir);
        return -1;
    }
    return 0;
}
