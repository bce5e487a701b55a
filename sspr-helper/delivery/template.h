/*
 * Plain-text templates with {{name}} placeholders, for the email and SMS
 * messages (conf/templates/) and for the SMS gateway's request body.
 *
 * - A placeholder is "{{" name "}}" with name [a-z0-9_]+ (blanks around the
 *   name are allowed). A name not in the vars array, an unterminated or
 *   malformed "{{" is an error: a typo in a template is found, not sent.
 * - Template text may hold TAB and LF only as control characters (a CR
 *   before an LF is dropped); invalid UTF-8 is an error.
 * - Values are inserted as they are, except that every control character
 *   (C0 including CR, LF and TAB, DEL, and the C1 range U+0080..U+009F) is
 *   removed and invalid UTF-8 bytes become '?': a value can never start a
 *   new line, so it can never add a mail header or an SMS line. Values are
 *   then escaped for the output (JSON string content, or form-urlencoded).
 * - A file is opened with sspr_open_safely: owned by the helper's effective
 *   user (root in production), not group/world writable, no symlink, at
 *   most SSPR_TEMPLATE_MAX_BYTES.
 */
#ifndef SSPR_DELIVERY_TEMPLATE_H
#define SSPR_DELIVERY_TEMPLATE_H

#include <stddef.h>

/* The shipped templates (templates_dir). */
#define SSPR_TEMPLATE_EMAIL_CODE "email-code.txt"
#define SSPR_TEMPLATE_EMAIL_NOTICE "email-reset-notice.txt"
#define SSPR_TEMPLATE_EMAIL_UNLOCK "email-unlock-notice.txt"
#define SSPR_TEMPLATE_SMS_CODE "sms-code.txt"
#define SSPR_TEMPLATE_EMAIL_CONFIRM "email-confirm.txt"
#define SSPR_TEMPLATE_SMS_CONFIRM "sms-confirm.txt"
#define SSPR_TEMPLATE_METHODS_CHANGED "email-methods-changed.txt"

#define SSPR_TEMPLATE_MAX_BYTES (16 * 1024)
#define SSPR_TEMPLATE_MAX_OUT (64 * 1024)

struct sspr_tvar {
    const char *name;  /* without braces: "code" */
    const char *value; /* NULL renders as "" */
};

enum sspr_tesc {
    SSPR_TESC_TEXT, /* as is (after removing control characters) */
    SSPR_TESC_JSON, /* inside a JSON string: \" \\ and \u00XX escaped */
    SSPR_TESC_FORM, /* application/x-www-form-urlencoded: unreserved kept, space '+' */
};

/* Render text (len bytes) into a malloc'd NUL-terminated *out (the caller
 * frees it with sspr_wipe_free_str: it may hold a code). Returns 0, or -1
 * with err set ("unknown placeholder {{nmae}} on line 3"). */
int sspr_template_render_text(const char *text, size_t len, const struct sspr_tvar *vars,
                              size_t nvars, enum sspr_tesc esc, char **out, char *err,
                              size_t errlen);

/* The same for the file dir/name (name is a plain file name, no '/'). */
int sspr_template_render_file(const char *dir, const char *name, const struct sspr_tvar *vars,
                              size_t nvars, char **out, char *err, size_t errlen);

/* Which file a template of language lang is read from: dir/ll_CC/name,
 * else dir/ll/name, else dir/name (English): the first that exists (one
 * that exists but is unsafe is still the one, and is refused when read).
 * lang is a checked locale name (common/lang.h) or NULL/"" for English;
 * only its ll_CC and ll parts become directory names. 0, or -1 for a bad
 * dir or name. */
int sspr_template_path(const char *dir, const char *lang, const char *name, char *path,
                       size_t pathlen);

/* render_file and render_mail for the template of language lang. */
int sspr_template_render_file_lang(const char *dir, const char *lang, const char *name,
                                   const struct sspr_tvar *vars, size_t nvars, char **out,
                                   char *err, size_t errlen);

/* Split a rendered mail template: the first line must be "Subject: ..."
 * (non-empty) and the second line empty; the rest is the body. Both are
 * new malloc'd strings (free with sspr_wipe_free_str). Returns 0 or -1. */
int sspr_template_split_mail(const char *rendered, char **subject, char **body, char *err,
                             size_t errlen);

/* Convenience: render dir/name and split it as above. */
int sspr_template_render_mail(const char *dir, const char *name, const struct sspr_tvar *vars,
                              size_t nvars, char **subject, char **body, char *err,
                              size_t errlen);
int sspr_template_render_mail_lang(const char *dir, const char *lang, const char *name,
                                   const struct sspr_tvar *vars, size_t nvars, char **subject,
                                   char **body, char *err, size_t errlen);

/* Remove control characters from a value as the renderer does, into a
 * malloc'd string (for callers that put a value into a header themselves).
 * Returns NULL on allocation failure. */
char *sspr_template_clean_value(const char *value);

#endif
