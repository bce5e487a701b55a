/*
 * SMS delivery through an HTTP gateway with libcurl ([sms] in sspr.conf),
 * and the phone number helpers.
 *
 * - url: https:// (verified: ca_file or the system store). http:// only to
 *   127.0.0.1, ::1 or localhost (a local relay, and the tests). No proxy,
 *   no redirects (a 3xx is a failure), CURLOPT_NOSIGNAL.
 * - method = POST: the rendered body_template is the request body with
 *   Content-Type application/json (body = json) or
 *   application/x-www-form-urlencoded (body = form). method = GET (form
 *   only): it is appended to the URL as the query string.
 * - body_template: {{phone}} and {{text}}, escaped for the body type
 *   (JSON string content, or URL-encoded). Empty: the default for body,
 *   {"to":"{{phone}}","text":"{{text}}"} or to={{phone}}&text={{text}}.
 * - auth_file: username/password (HTTP basic) or bearer (Authorization:
 *   Bearer), read from a root-only file (authfile.h).
 * - timeouts: connect_timeout, timeout (total), and a low-speed limit (less
 *   than 16 bytes/s for 10 s ends the transfer); the answer's body is
 *   capped at SSPR_SMS_MAX_RESPONSE in the write callback.
 * - Only a 2xx status is a success; anything else is a failure with a clear
 *   message ("SMS gateway answered HTTP 503").
 */
#ifndef SSPR_DELIVERY_SMS_H
#define SSPR_DELIVERY_SMS_H

#include <stddef.h>

#include "support/config.h"

#define SSPR_SMS_MAX_RESPONSE (64 * 1024)
#define SSPR_SMS_MAX_TEXT 480 /* three concatenated SMS */
#define SSPR_SMS_DEFAULT_JSON "{\"to\":\"{{phone}}\",\"text\":\"{{text}}\"}"
#define SSPR_SMS_DEFAULT_FORM "to={{phone}}&text={{text}}"

/* 1 for an E.164 number: '+', then 8..15 digits, the first not 0. */
int sspr_phone_valid(const char *phone);

/* A hint: "+4915112345678" -> "+49*******678" (the first two and last
 * three digits; always seven stars, so the length is not told). Returns 0,
 * or -1 (invalid number, small buffer: out is ""). */
int sspr_phone_mask(const char *phone, char *out, size_t outlen);

/* Check that [sms] is usable (url set and allowed, GET only with form, the
 * body template renders, auth_file readable and private). 0, or -1. */
int sspr_sms_check_config(const struct sspr_config *cfg, char *err, size_t errlen);

/* Send text (UTF-8, one line is best; <= SSPR_SMS_MAX_TEXT bytes) to an
 * E.164 phone number. Returns 0 when the gateway answered 2xx, or -1 with
 * a clear reason in err (never the text: it holds a code). */
/* sspr_sms_send's answer when the gateway refused this message (HTTP 4xx,
 * e.g. a number it will not text), as opposed to the gateway failing (-1). */
#define SSPR_SMS_REFUSED (-2)

int sspr_sms_send(const struct sspr_config *cfg, const char *phone, const char *text, char *err,
                  size_t errlen);

#endif
