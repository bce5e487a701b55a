/* Language names as the module passes them to the helper (HELLO "lang")
 * and either side sets them: a locale name, checked by its shape before
 * anything uses it, never a path. */
#ifndef SSPR_LANG_H
#define SSPR_LANG_H

#include <stddef.h>

#define SSPR_LANG_MAX 48

enum sspr_lang_kind {
    SSPR_LANG_BAD = -1, /* not a locale name we accept: ask the next source */
    SSPR_LANG_NONE = 0, /* C, POSIX, C.<codeset>: no language, English */
    SSPR_LANG_OK = 1,   /* ll[_CC][.codeset][@modifier] */
};

/* What name is: ll or lll (lowercase), optionally _CC (uppercase), .codeset
 * ([A-Za-z0-9-], at most 16) and @modifier ([a-z0-9], at most 16), at most
 * SSPR_LANG_MAX bytes in all; C and POSIX (with a codeset) are NONE;
 * NULL, empty, anything else (a '/', "..", a space, too long) is BAD. */
enum sspr_lang_kind sspr_lang_kind(const char *name);

/* The directory names to look in for a template of language name (an OK
 * name): "de_DE.UTF-8@euro" gives "de_DE" and "de"; "de" gives "de" once.
 * Returns how many (0 for a name that is not OK). */
int sspr_lang_dirs(const char *name, char first[SSPR_LANG_MAX + 1], char second[SSPR_LANG_MAX + 1]);

/* 1 when answer, without blanks around it, is "y", "yes" or one of the
 * space-separated words (a translation of "y yes"), ASCII case ignored. */
int sspr_lang_is_yes(const char *answer, const char *words);

#endif
