/* The helper's language: what `sspr-helper pam` tells the user is in the
 * language the module named in HELLO; the admin commands stay English. */
#ifndef SSPR_I18N_H
#define SSPR_I18N_H

#include "lang.h"
#include "nls.h"

#ifdef ENABLE_NLS
#include <libintl.h>
#define _(s) dgettext(SSPR_TEXTDOMAIN, s)
#define P_(s, p, n) dngettext(SSPR_TEXTDOMAIN, s, p, (unsigned long)(n))
#else
#define _(s) (s)
#define P_(s, p, n) ((n) == 1 ? (s) : (p))
#endif

/* Use lang (HELLO's "lang", checked again here) for messages and the
 * templates: 0, or -1 when it is malformed or not installed here (then, as
 * for "" or C, English). Never a path: only a name of the checked shape
 * reaches setlocale. */
int sspr_i18n_set(const char *lang);

/* The language in use: "" for English. */
const char *sspr_i18n_lang(void);

/* 1 when answer means yes: y or yes, or the words of the language in use
 * (any ASCII case, blanks around ignored). */
int sspr_i18n_is_yes(const char *answer);

#endif
