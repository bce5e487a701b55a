/*
 * The module's language. The host (sshd, login, a greeter) keeps its locale:
 * nothing here calls setlocale() or textdomain(). A translation switches
 * only the calling thread to a locale_t of the picked language (uselocale)
 * around one dgettext() in the domain pam_sspr and switches back before
 * anything else runs, the conversation function included. bindtextdomain()
 * names where the domain's catalogs are; it changes nothing for any other
 * domain.
 *
 * At sign-in pam_env has not run yet (Debian's stacks call it in the session
 * stage, and its authenticate does nothing), so the PAM environment is
 * usually empty: sshd then has no locale of its own either, and the system's
 * /etc/default/locale (the file pam_env would read) gives the language. An
 * SSH client's SendEnv LANG reaches sshd only after authentication, so the
 * reset over SSH speaks the server's language (docs/languages.md).
 */
#include "autoconf.h"

#include <fcntl.h>
#include <langinfo.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef ENABLE_NLS
#include <libintl.h>
#endif

#include <security/pam_ext.h>

#include "language.h"

#define SYSTEM_FILE_MAX 4096

static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

void sspr_language_init(struct sspr_language *l, pam_handle_t *pamh, const char *system_file)
{
    memset(l, 0, sizeof(*l));
    l->pamh = pamh;
    l->system_file = system_file != NULL ? system_file : SSPR_SYSCONF_DIR "/default/locale";
}

void sspr_language_free(struct sspr_language *l)
{
    if (l->loc != (locale_t)0)
        freelocale(l->loc);
    l->loc = (locale_t)0;
}

/* Take name from source if it is usable: 1 taken (or C: English), 0 not. */
static int take(struct sspr_language *l, const char *name, enum sspr_lang_source source)
{
    switch (sspr_lang_kind(name)) {
    case SSPR_LANG_NONE:
        l->english = 1;
        l->source = source;
        return 1;
    case SSPR_LANG_BAD:
        return 0;
    case SSPR_LANG_OK:
        break;
    }
    if (source != SSPR_SRC_HOST) {
        /* installed? newlocale never treats a checked name as a path */
        l->loc = newlocale(LC_MESSAGES_MASK | LC_CTYPE_MASK, name, (locale_t)0);
        if (l->loc == (locale_t)0)
            return 0;
    }
    memcpy(l->name, name, strlen(name) + 1);
    l->source = source;
    return 1;
}

/* The host's own locale for messages, NULL when it set none. A query:
 * nl_langinfo reads the thread's (or the global) locale. */
static const char *host_locale(void)
{
#ifdef _NL_LOCALE_NAME
    const char *n = nl_langinfo(_NL_LOCALE_NAME(LC_MESSAGES));
#else
    const char *n = setlocale(LC_MESSAGES, NULL);
#endif
    return n != NULL && sspr_lang_kind(n) == SSPR_LANG_OK ? n : NULL;
}

/* The value of the first of vars set in the file, copied to out. 0 or -1. */
static int system_locale(const char *path, char *out, size_t outlen)
{
    char buf[SYSTEM_FILE_MAX + 1], *vals[3] = { NULL, NULL, NULL }, *save = NULL;
    struct stat st;
    ssize_t n;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
        (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 || st.st_size > SYSTEM_FILE_MAX) {
        close(fd);
        return -1;
    }
    while (got < SYSTEM_FILE_MAX && (n = read(fd, buf + got, SYSTEM_FILE_MAX - got)) > 0)
        got += (size_t)n;
    close(fd);
    buf[got] = '\0';
    for (char *line = strtok_r(buf, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char *v;
        size_t len;

        line += strspn(line, " \t");
        if (strncmp(line, "export ", 7) == 0)
            line += 7 + strspn(line + 7, " \t");
        for (size_t i = 0; i < 3; i++) {
            len = strlen(vars[i]);
            if (strncmp(line, vars[i], len) != 0 || line[len] != '=')
                continue;
            v = line + len + 1;
            len = strcspn(v, " \t\r#");
            if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
                v++;
                len -= 2;
            }
            v[len] = '\0';
            vals[i] = v;
        }
    }
    for (size_t i = 0; i < 3; i++) {
        if (vals[i] != NULL && vals[i][0] != '\0') {
            if (strlen(vals[i]) >= outlen)
                return -1;
            memcpy(out, vals[i], strlen(vals[i]) + 1);
            return 0;
        }
    }
    return -1;
}

void sspr_language_pick(struct sspr_language *l)
{
    char sys[SSPR_LANG_MAX + 2];
    const char *v;

    if (l->picked)
        return;
    l->picked = 1;
    for (size_t i = 0; i < 3; i++) {
        v = l->pamh != NULL ? pam_getenv(l->pamh, vars[i]) : NULL;
        if (v != NULL && v[0] != '\0') {
            if (take(l, v, SSPR_SRC_PAM_ENV))
                return;
            break; /* the first one set decides, as for setlocale */
        }
    }
    if ((v = host_locale()) != NULL && take(l, v, SSPR_SRC_HOST))
        return;
    if (system_locale(l->system_file, sys, sizeof(sys)) == 0 && take(l, sys, SSPR_SRC_SYSTEM))
        return;
    l->english = 1;
    l->source = SSPR_SRC_NONE;
}

const char *sspr_language_describe(const struct sspr_language *l, char *buf, size_t len)
{
    static const char *const from[] = { "nothing", "the PAM environment", "the program",
                                        "the system file" };

    snprintf(buf, len, "%s from %s", l->english ? "English" : l->name, from[l->source]);
    return buf;
}

const char *sspr_language_name(struct sspr_language *l)
{
    if (l == NULL)
        return "";
    sspr_language_pick(l);
    return l->english ? "" : l->name;
}

#ifdef ENABLE_NLS
/* Our domain's directory, bound at the first lookup of the process: once
 * is enough, and every bindtextdomain takes glibc's gettext state lock for
 * writing. */
static void bind_once(void)
{
    static volatile int bound;

    if (!bound) {
        (void)bindtextdomain(SSPR_TEXTDOMAIN, SSPR_LOCALE_DIR);
        bound = 1;
    }
}

/* Run one lookup under the picked locale, on this thread only. */
#define UNDER(l, expr)                                                                             \
    do {                                                                                           \
        locale_t old_ = (locale_t)0;                                                               \
        bind_once();                                                                               \
        if ((l)->loc != (locale_t)0)                                                               \
            old_ = uselocale((l)->loc);                                                            \
        s = (expr);                                                                                \
        if (old_ != (locale_t)0)                                                                   \
            (void)uselocale(old_);                                                                 \
    } while (0)
#endif

const char *sspr_tr(struct sspr_language *l, const char *msgid)
{
    const char *s = msgid;

    if (l == NULL)
        return msgid;
    sspr_language_pick(l);
    if (l->english)
        return msgid;
#ifdef ENABLE_NLS
    UNDER(l, dgettext(SSPR_TEXTDOMAIN, msgid));
#endif
    return s;
}

const char *sspr_trn(struct sspr_language *l, const char *singular, const char *plural,
                     unsigned long n)
{
    const char *s = n == 1 ? singular : plural;

    if (l == NULL)
        return s;
    sspr_language_pick(l);
    if (l->english)
        return s;
#ifdef ENABLE_NLS
    UNDER(l, dngettext(SSPR_TEXTDOMAIN, singular, plural, n));
#endif
    return s;
}

int sspr_language_is_yes(struct sspr_language *l, const char *answer)
{
    /* TRANSLATORS: the words that mean "yes" at "Type y", lowercase,
       separated by spaces: the first letter you use in the offer prompt and
       the word ("j ja"). y and yes always work too. */
    return sspr_lang_is_yes(answer, sspr_tr(l, "y yes"));
}
