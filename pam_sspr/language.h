/* The language of what the module says, for one pam_sm_* call, without
 * touching the host's locale (no setlocale, no textdomain): dgettext in the
 * project's own domain, under a thread-local uselocale() of a locale made
 * with newlocale() for the language picked, and back at once. */
#ifndef SSPR_LANGUAGE_H
#define SSPR_LANGUAGE_H

#include <locale.h>
#include <stddef.h>

#include <security/pam_modules.h>

#include "lang.h"

/* Where the language came from (for the debug log and the tests). */
enum sspr_lang_source {
    SSPR_SRC_NONE = 0, /* nothing named one: English */
    SSPR_SRC_PAM_ENV,  /* pam_getenv LC_ALL / LC_MESSAGES / LANG */
    SSPR_SRC_HOST,     /* the host's own locale (login and greeters set one) */
    SSPR_SRC_SYSTEM,   /* /etc/default/locale, the file pam_env reads */
};

struct sspr_language {
    pam_handle_t *pamh;
    const char *system_file; /* /etc/default/locale */
    int picked;
    int english;  /* untranslated, whatever the host's locale */
    locale_t loc; /* (locale_t)0: the host's own locale */
    enum sspr_lang_source source;
    char name[SSPR_LANG_MAX + 1]; /* for HELLO; "" for English */
};

/* Nothing is read until the first message needs it. system_file NULL: the
 * build's /etc/default/locale. */
void sspr_language_init(struct sspr_language *l, pam_handle_t *pamh, const char *system_file);
void sspr_language_free(struct sspr_language *l);

/* Pick the language now (once): the first of the PAM environment's
 * LC_ALL, LC_MESSAGES, LANG that is set; else the host's own locale when
 * it set one (not C); else the same variables in the system file (root's,
 * regular, not writable by others, at most 4 KiB); else English. A source
 * that names C or POSIX means English; one whose name is malformed or not
 * installed (newlocale fails) is passed over for the next. */
void sspr_language_pick(struct sspr_language *l);

/* "de_DE.UTF-8 from the system file" into buf (for the debug log); buf. */
const char *sspr_language_describe(const struct sspr_language *l, char *buf, size_t len);

/* The locale name for HELLO ("" for English). */
const char *sspr_language_name(struct sspr_language *l);

/* msgid in the picked language (NULL l: msgid itself). The result lives
 * as long as the process (gettext's catalog) or is msgid. */
const char *sspr_tr(struct sspr_language *l, const char *msgid) __attribute__((format_arg(2)));
const char *sspr_trn(struct sspr_language *l, const char *singular, const char *plural,
                     unsigned long n) __attribute__((format_arg(2))) __attribute__((format_arg(3)));

/* 1 when answer means yes at the offer: y or yes in any language, or the
 * picked language's own words (any case, blanks around ignored). */
int sspr_language_is_yes(struct sspr_language *l, const char *answer);

#endif
