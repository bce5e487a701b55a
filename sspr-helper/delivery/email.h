/*
 * Email delivery with libcurl SMTP ([email] in sspr.conf), and the address
 * helpers the gate and the CLI need.
 *
 * Transport rules (config.c refuses a file that breaks them, and
 * sspr_email_send checks them again):
 *   - smtps://host:port  TLS from the first byte.
 *   - smtp://host:port   starttls = required: STARTTLS or no mail
 *                        (CURLUSESSL_ALL); optional: STARTTLS when offered
 *                        (CURLUSESSL_TRY; a network attacker can strip it,
 *                        so not with auth_file unless the host is loopback);
 *                        off: plain text, only to a loopback host
 *                        (127.0.0.0/8, ::1, localhost), e.g. a local MTA.
 *   - TLS peer and host name are always verified (ca_file or the system
 *     store); no proxy, no redirects, CURLOPT_NOSIGNAL; connect timeout
 *     min(10, timeout), total timeout `timeout`.
 * Messages are RFC 5322: Date, From, To, Subject (RFC 2047 when not
 * ASCII), Message-ID, MIME-Version, Content-Type text/plain; charset=utf-8,
 * Content-Transfer-Encoding 7bit or quoted-printable, Auto-Submitted:
 * auto-generated. CR or LF in to, from or subject is refused, so no header
 * can be added.
 */
#ifndef SSPR_DELIVERY_EMAIL_H
#define SSPR_DELIVERY_EMAIL_H

#include <stddef.h>

#include "support/config.h"

#define SSPR_EMAIL_MAX_ADDR 254
#define SSPR_EMAIL_MAX_SUBJECT 250
#define SSPR_EMAIL_MAX_BODY (64 * 1024)

/* Template file names under [email] templates_dir. */
/* Confirming an address while registering it at sign-in. */
/* Telling the owner that registration changed the reset methods. */

/* 1 when addr is a plain, sane address: local@domain, one '@', ASCII, no
 * spaces, controls or any of ()<>[]\,;:" and quotes, local part 1..64,
 * domain of dot-separated labels [A-Za-z0-9-] (no leading/trailing '-'),
 * at least one dot, total <= 254. Else 0. */
int sspr_email_valid(const char *addr);

/* A hint for the address: "john.doe@example.com" -> "j***@example.com".
 * Returns 0, or -1 (invalid address, buffer too small: out is ""). */
int sspr_email_mask(const char *addr, char *out, size_t outlen);

/* [email] admin_contact, or "your system administrator" when it is empty
 * (for the {{admin_contact}} placeholder). */
const char *sspr_email_admin_contact(const struct sspr_config *cfg);

/* Check that [email] is usable (smtp_url set, the transport rules above,
 * from valid, auth_file readable and private). 0, or -1 with err. */
int sspr_email_check_config(const struct sspr_config *cfg, char *err, size_t errlen);

/* Send one plain-text message to `to`. subject is one line (UTF-8), body
 * is UTF-8 text with LF line ends (lines <= 998 bytes). Returns 0 when the
 * SMTP server accepted it, or -1 with a clear reason in err ("cannot
 * connect to the SMTP server: Connection refused", "the SMTP server does
 * not offer STARTTLS (starttls = required)", ...). err never holds the
 * body. The caller wipes body (it holds a code). */
int sspr_email_send(const struct sspr_config *cfg, const char *to, const char *subject,
                    const char *body, char *err, size_t errlen);

#endif
