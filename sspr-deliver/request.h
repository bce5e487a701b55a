/*
 * One delivery request, as sspr-helper hands it to sspr-deliver on stdin:
 * NUL-separated key=value entries (common/kv.c), each key once, read to
 * EOF. The helper is root and this program is not, so everything the
 * program needs comes in the request (the credentials and the CA
 * certificates too): it reads no file but the system's CA store.
 *
 *   kind            smtp | http | probe
 *   url             smtp(s):// or http(s):// (the helper checked it)
 *   timeout         seconds for the whole transfer (1..120)
 *   connect_timeout seconds to connect (1..120; default = timeout)
 *   ca_pem          PEM certificates to trust instead of the system store
 *   username, password, bearer   credentials (optional)
 *  smtp:
 *   starttls        required | optional | off (ignored for smtps://)
 *   mail_from, rcpt addresses (without <>)
 *   message         the whole RFC 5322 message, CRLF lines
 *  http:
 *   method          POST | GET
 *   body            the POST body (GET: already in the url)
 *   content_type    for POST
 *   user_agent
 */
#ifndef SSPR_DELIVER_REQUEST_H
#define SSPR_DELIVER_REQUEST_H

#include <stddef.h>

#define SSPR_DELIVER_MAX_REQUEST (1024 * 1024)

enum sspr_deliver_kind { SSPR_DELIVER_SMTP, SSPR_DELIVER_HTTP, SSPR_DELIVER_PROBE };
enum sspr_deliver_tls { SSPR_TLS_REQUIRED, SSPR_TLS_OPTIONAL, SSPR_TLS_OFF };

struct sspr_deliver_req {
    enum sspr_deliver_kind kind;
    const char *url;
    long timeout, connect_timeout;
    const char *ca_pem;          /* NULL: the system's store */
    const char *username, *password, *bearer;
    enum sspr_deliver_tls starttls;
    const char *mail_from, *rcpt, *message;
    int post;                    /* http: POST (else GET) */
    const char *body, *content_type, *user_agent;
};

/* Parse buf (len bytes, not changed; the strings point into it). Unknown
 * or repeated keys, a missing required key, a bad number or word are
 * errors. Returns 0, or -1 with err set. */
int sspr_deliver_parse(const char *buf, size_t len, struct sspr_deliver_req *r, char *err,
                       size_t errlen);

#endif
