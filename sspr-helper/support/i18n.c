#include "autoconf.h"

#include <langinfo.h>
#include <locale.h>
#include <string.h>

#include "support/i18n.h"

static char current[SSPR_LANG_MAX + 1];

/* Only LC_MESSAGES changes: the character classes stay C's, so no check
 * of a name, a password or an answer depends on the language. The
 * messages of our domain, and of the libraries that speak to the user
 * from this process (pam_pwquality and pam_unix through the writeback,
 * libpwquality's early check), come out in the language's own codeset. */
int sspr_i18n_set(const char *lang)
{
    static const char *const domains[] = { SSPR_TEXTDOMAIN, "libpwquality", "Linux-PAM" };
    locale_t loc;
    const char *codeset;

    current[0] = '\0';
    (void)setlocale(LC_MESSAGES, "C");
    if (lang == NULL || lang[0] == '\0' || sspr_lang_kind(lang) == SSPR_LANG_NONE)
        return 0;
    if (sspr_lang_kind(lang) != SSPR_LANG_OK)
        return -1;
    loc = newlocale(LC_CTYPE_MASK, lang, (locale_t)0);
    if (loc == (locale_t)0)
        return -1; /* not installed here */
    codeset = nl_langinfo_l(CODESET, loc);
    if (setlocale(LC_MESSAGES, lang) == NULL) {
        freelocale(loc);
        return -1;
    }
#ifdef ENABLE_NLS
    (void)bindtextdomain(SSPR_TEXTDOMAIN, SSPR_LOCALE_DIR);
    for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
        (void)bind_textdomain_codeset(domains[i], codeset);
#else
    (void)domains;
    (void)codeset;
#endif
    freelocale(loc); /* codeset was copied by bind_textdomain_codeset */
    memcpy(current, lang, strlen(lang) + 1);
    return 0;
}

const char *sspr_i18n_lang(void)
{
    return current;
}

int sspr_i18n_is_yes(const char *answer)
{
    /* TRANSLATORS: the words that mean "yes" at "Type y", lowercase,
       separated by spaces: the first letter you use in the offer prompt and
       the word ("j ja"). y and yes always work too. */
    return sspr_lang_is_yes(answer, _("y yes"));
}
