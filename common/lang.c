#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lang.h"

static size_t span(const char *s, int (*ok)(char))
{
    size_t n = 0;

    while (s[n] != '\0' && ok(s[n]))
        n++;
    return n;
}

static int lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static int upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int codeset_char(char c)
{
    return lower(c) || upper(c) || (c >= '0' && c <= '9') || c == '-';
}

static int modifier_char(char c)
{
    return lower(c) || (c >= '0' && c <= '9');
}

/* The optional ".codeset" and "@modifier" at p: 1 when the rest is them. */
static int tail_ok(const char *p)
{
    size_t n;

    if (*p == '.') {
        n = span(p + 1, codeset_char);
        if (n == 0 || n > 16)
            return 0;
        p += 1 + n;
    }
    if (*p == '@') {
        n = span(p + 1, modifier_char);
        if (n == 0 || n > 16)
            return 0;
        p += 1 + n;
    }
    return *p == '\0';
}

enum sspr_lang_kind sspr_lang_kind(const char *name)
{
    size_t n;
    const char *p;

    if (name == NULL || name[0] == '\0' || strnlen(name, SSPR_LANG_MAX + 1) > SSPR_LANG_MAX)
        return SSPR_LANG_BAD;
    if (strcmp(name, "POSIX") == 0 || strcmp(name, "C") == 0)
        return SSPR_LANG_NONE;
    if (name[0] == 'C' && name[1] == '.')
        return tail_ok(name + 1) ? SSPR_LANG_NONE : SSPR_LANG_BAD;
    n = span(name, lower);
    if (n < 2 || n > 3)
        return SSPR_LANG_BAD;
    p = name + n;
    if (*p == '_') {
        if (span(p + 1, upper) != 2)
            return SSPR_LANG_BAD;
        p += 3;
    }
    return tail_ok(p) ? SSPR_LANG_OK : SSPR_LANG_BAD;
}

int sspr_lang_dirs(const char *name, char first[SSPR_LANG_MAX + 1], char second[SSPR_LANG_MAX + 1])
{
    size_t n, l;

    first[0] = second[0] = '\0';
    if (sspr_lang_kind(name) != SSPR_LANG_OK)
        return 0;
    n = strcspn(name, ".@"); /* ll or ll_CC */
    l = span(name, lower);   /* ll */
    memcpy(first, name, n);
    first[n] = '\0';
    if (l == n)
        return 1;
    memcpy(second, name, l);
    second[l] = '\0';
    return 2;
}

int sspr_lang_is_yes(const char *answer, const char *words)
{
    char list[160];
    char *save = NULL;
    size_t n;

    if (answer == NULL)
        return 0;
    answer += strspn(answer, " \t");
    n = strlen(answer);
    while (n > 0 && strchr(" \t\r\n", answer[n - 1]) != NULL)
        n--;
    snprintf(list, sizeof(list), "y yes %s", words != NULL ? words : "");
    for (char *w = strtok_r(list, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
        if (strlen(w) == n && strncasecmp(answer, w, n) == 0)
            return 1;
    return 0;
}
