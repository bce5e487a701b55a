/* Module arguments as one table (pam-krb5 options.c style). */
#include "autoconf.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "args.h"
#include "module_log.h"
#include "username.h"

enum opt_type {
    OPT_FLAG,  /* bare word */
    OPT_PATH,  /* absolute path */
    OPT_NAME,  /* an account name */
    OPT_WORD,  /* non-empty string up to PAM_MAX_RESP_SIZE */
    OPT_UINT,  /* decimal within [min, max] */
};

struct opt {
    const char *name;
    enum opt_type type;
    size_t offset;
    unsigned min, max;
};

#define OFF(f) offsetof(struct sspr_args, f)

/* Sorted by name. */
static const struct opt options[] = {
    { "config", OPT_PATH, OFF(config), 0, 0 },
    { "debug", OPT_FLAG, OFF(debug), 0, 0 },
    { "helper", OPT_PATH, OFF(helper), 0, 0 },
    { "kiosk_user", OPT_NAME, OFF(kiosk_user), 0, 0 },
    { "nohint", OPT_FLAG, OFF(nohint), 0, 0 },
    { "register_services", OPT_WORD, OFF(register_services), 0, 0 },
    { "timeout", OPT_UINT, OFF(timeout), SSPR_TIMEOUT_MIN, SSPR_TIMEOUT_MAX },
    { "trigger", OPT_WORD, OFF(trigger), 0, 0 },
};

static void set_defaults(struct sspr_args *a)
{
    memset(a, 0, sizeof(*a));
    a->helper = SSPR_HELPER_PATH;
    a->timeout = SSPR_TIMEOUT_DEFAULT;
    a->register_services = SSPR_REGISTER_SERVICES_DEFAULT;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end = NULL;
    unsigned long v;

    if (*s < '0' || *s > '9') /* no sign, no space */
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* Store value into the field for o; -1 if the value is not acceptable. */
static int apply(struct sspr_args *a, const struct opt *o, const char *value)
{
    char *field = (char *)a + o->offset;

    if (o->type == OPT_FLAG) {
        if (value != NULL)
            return -1;
        *(bool *)(void *)field = true;
        return 0;
    }
    if (value == NULL)
        return -1;
    switch (o->type) {
    case OPT_PATH:
        if (value[0] != '/' || strlen(value) >= PATH_MAX)
            return -1;
        break;
    case OPT_NAME:
        if (!sspr_username_ok(value))
            return -1;
        break;
    case OPT_WORD:
        if (value[0] == '\0' || strlen(value) > PAM_MAX_RESP_SIZE)
            return -1;
        break;
    case OPT_UINT:
        return parse_uint(value, o->min, o->max, (unsigned *)(void *)field);
    case OPT_FLAG:
        return -1;
    }
    *(const char **)(void *)field = value;
    return 0;
}

int sspr_args_parse(pam_handle_t *pamh, int argc, const char **argv,
                    struct sspr_args *args)
{
    set_defaults(args);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *eq;
        size_t nlen;
        const struct opt *o = NULL;

        if (arg == NULL)
            continue;
        eq = strchr(arg, '=');
        nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        for (size_t k = 0; k < sizeof(options) / sizeof(options[0]); k++) {
            if (strlen(options[k].name) == nlen &&
                strncmp(options[k].name, arg, nlen) == 0) {
                o = &options[k];
                break;
            }
        }
        if (o == NULL) {
            /* the argument may be a typo'd secret (trigger word): name only */
            SSPR_WARN(pamh, "unknown option ignored: %.*s", (int)(nlen > 64 ? 64 : nlen), arg);
            continue;
        }
        if (apply(args, o, eq ? eq + 1 : NULL) != 0) {
            SSPR_ERR(pamh, "bad value for option %s: password reset disabled", o->name);
            args->invalid++;
        }
    }
    return args->invalid;
}
