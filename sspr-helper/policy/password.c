/* Minimum length, no control characters, not the user name, not on the
 * banned list (also with trailing digits and symbols taken off, since
 * "password1234" is as weak as "password" and pwquality let it through). */
#include "autoconf.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/password.h"
#include "support/i18n.h"
#include "support/safe_open.h"
#include "wipe.h"

#define BANNED_MAX_BYTES (4 * 1024 * 1024)
#define PW_MAX 512

static void lower_copy(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] != '\0' && i + 1 < cap; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

/* Strip trailing digits and punctuation ("Summer2024!" -> "summer"). */
static void strip_tail(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (isdigit((unsigned char)s[n - 1]) || ispunct((unsigned char)s[n - 1])))
        s[--n] = '\0';
}

/* 1 when a line of the banned file equals a or b (case-insensitively).
 * A missing or unsafe file is treated as "banned" (fail closed) by the
 * caller; -1 here. */
static int banned(const char *path, const char *a, const char *b)
{
    char *text = NULL, *save = NULL;
    size_t len = 0;
    int hit = 0;
    if (sspr_read_file_safely(path, 0, BANNED_MAX_BYTES, &text, &len, NULL, 0) != 0)
        return -1;
    for (char *line = strtok_r(text, "\r\n", &save); line != NULL;
         line = strtok_r(NULL, "\r\n", &save)) {
        if (line[0] == '#')
            continue;
        hit |= strcasecmp(line, a) == 0 || (b[0] != '\0' && strcasecmp(line, b) == 0);
    }
    free(text);
    return hit;
}

const char *sspr_pwcheck(const struct sspr_config *cfg, const char *user, const char *pw)
{
    char low[PW_MAX + 1], stripped[PW_MAX + 1], luser[PW_MAX + 1];
    const char *msg = NULL;
    size_t n = strlen(pw);
    int b;

    if (n > PW_MAX)
        return _("That password is too long.");
    for (size_t i = 0; i < n; i++)
        if (iscntrl((unsigned char)pw[i]))
            return _("The password must not contain control characters.");
    if (n < (size_t)cfg->min_length) {
        static char buf[160];
        snprintf(buf, sizeof(buf),
                 P_("The password must be at least %d character long.",
                    "The password must be at least %d characters long.", cfg->min_length),
                 cfg->min_length);
        return buf;
    }
    lower_copy(low, pw, sizeof(low));
    lower_copy(luser, user, sizeof(luser));
    memcpy(stripped, low, sizeof(stripped));
    strip_tail(stripped);
    if ((strlen(luser) >= 3 && strstr(low, luser) != NULL) || strcmp(stripped, luser) == 0)
        msg = _("The password must not contain your user name.");
    else if ((b = banned(cfg->banned_file, low, stripped)) != 0)
        msg = b < 0 ? _("The password could not be checked. Ask your administrator.")
                    : _("That password is too common. Choose another.");
    SSPR_WIPE_ARRAY(low);
    SSPR_WIPE_ARRAY(stripped);
    return msg;
}
