/*
 * libFuzzer target for the configuration parser (sspr-helper/support/
 * config.c): the input is the text of /etc/sspr/sspr.conf.
 *
 * Invariants checked with abort():
 *   - a file that does not parse changes nothing (the struct is byte for
 *     byte the defaults) and says why ("line N: ..." or a rule between
 *     keys, never an empty message);
 *   - a file that parses obeys the rules config.c promises between keys
 *     (ranges, questions never for administrators nor without
 *     questions_enabled, asked <= required, a sender with smtp_url...);
 *   - what parses prints (show-config), and the printed text parses again,
 *     over fresh defaults, into the same struct (memcmp: the defaults start
 *     with a memset, so padding is zero in both) and prints the same text.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gates/gate.h"
#include "support/config.h"
#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* About 40 KiB each: static rather than on the stack. */
static struct sspr_config defaults, first, second;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Once: the defaults read /etc/login.defs and the host name. */
    sspr_config_defaults(&defaults);
    return 0;
}

/* The show-config text of cfg, malloc'd; its length in *len. */
static char *print(const struct sspr_config *cfg, size_t *len)
{
    char *text = NULL;
    FILE *out = open_memstream(&text, len);

    FAIL_IF(out == NULL);
    FAIL_IF(sspr_config_print(cfg, out) != 0);
    FAIL_IF(fclose(out) != 0 || text == NULL);
    return text;
}

static void check_rules(const struct sspr_config *c)
{
    unsigned weak = sspr_gates_flagged(SSPR_GATE_WEAK), all = sspr_gates_all();

    FAIL_IF(c->user_gates < 1 || c->user_gates > 4 || c->admin_gates < 1 || c->admin_gates > 4);
    FAIL_IF(c->user_methods == 0 || c->admin_methods == 0 || (c->user_methods & ~all) ||
            (c->admin_methods & ~all));
    FAIL_IF(c->admin_methods & weak);
    FAIL_IF((c->user_methods & weak) && !c->questions_enabled);
    FAIL_IF(c->questions_asked > c->questions_required);
    FAIL_IF(c->smtp_url[0] != '\0' && c->email_from[0] == '\0');
    FAIL_IF(c->sms_url[0] != '\0' && c->sms_method == SSPR_HTTP_GET &&
            c->sms_body == SSPR_SMS_JSON);
    FAIL_IF(c->min_uid < 1 || c->flow_timeout < 30 || c->flow_timeout > 600);
    FAIL_IF(c->enabled != SSPR_ENABLED_ALL && c->enabled != SSPR_ENABLED_NONE &&
            c->enabled != SSPR_ENABLED_GROUP);
    FAIL_IF(c->enabled == SSPR_ENABLED_GROUP && c->enabled_group[0] == '\0');
    FAIL_IF(c->state_dir[0] != '/' || c->templates_dir[0] != '/' || c->questions_file[0] != '/');
    /* every string field stays terminated inside its array */
    FAIL_IF(memchr(c->issuer, '\0', sizeof(c->issuer)) == NULL ||
            memchr(c->services, '\0', sizeof(c->services)) == NULL ||
            memchr(c->sms_body_template, '\0', sizeof(c->sms_body_template)) == NULL ||
            memchr(c->admin_contact, '\0', sizeof(c->admin_contact)) == NULL ||
            memchr(c->notify_admins, '\0', sizeof(c->notify_admins)) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512], err2[512];
    char *text, *text2;
    size_t len, len2;

    if (size > SSPR_CFG_MAX_BYTES)
        return 0; /* sspr_config_load refuses larger files before parsing */
    memcpy(&first, &defaults, sizeof(first));
    memset(err, 'x', sizeof(err));
    if (sspr_config_parse(&first, (const char *)data, size, err, sizeof(err)) != 0) {
        /* a file with an error changes nothing */
        FAIL_IF(memcmp(&first, &defaults, sizeof(first)) != 0);
        FAIL_IF(memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0');
        return 0;
    }
    FAIL_IF(memchr(err, '\0', sizeof(err)) == NULL || err[0] != '\0');
    check_rules(&first);

    text = print(&first, &len);
    memcpy(&second, &defaults, sizeof(second));
    if (sspr_config_parse(&second, text, len, err2, sizeof(err2)) != 0) {
        fprintf(stderr, "printed config does not parse again: %s\n--\n%s--\n", err2, text);
        abort();
    }
    if (memcmp(&first, &second, sizeof(first)) != 0) {
        fprintf(stderr, "printed config parses into another struct\n--\n%s--\n", text);
        abort();
    }
    text2 = print(&second, &len2);
    FAIL_IF(len != len2 || memcmp(text, text2, len) != 0);
    free(text);
    free(text2);
    return 0;
}
