#include "autoconf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "support/audit.h"

void sspr_audit_begin(struct sspr_audit *a)
{
    unsigned char id[8];

    randombytes_buf(id, sizeof(id));
    sodium_bin2hex(a->flow, sizeof(a->flow), id, sizeof(id));
}

void sspr_audit_escape(const char *s, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    if (outlen == 0)
        return;
    for (; s != NULL && *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=') {
            if (o + 1 >= outlen)
                break;
            out[o++] = (char)c;
        } else {
            if (o + 4 >= outlen)
                break;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

void sspr_audit(const struct sspr_audit *a, const char *event, const char *detail)
{
    char user[128], service[96], rhost[160], tty[96];

    sspr_audit_escape(a->user ? a->user : "-", user, sizeof(user));
    sspr_audit_escape(a->service && *a->service ? a->service : "-", service, sizeof(service));
    sspr_audit_escape(a->rhost && *a->rhost ? a->rhost : "-", rhost, sizeof(rhost));
    sspr_audit_escape(a->tty && *a->tty ? a->tty : "-", tty, sizeof(tty));
    syslog(LOG_AUTHPRIV | LOG_NOTICE, "event=%s flow=%s user=%s uid=%ld service=%s rhost=%s tty=%s%s%s",
           event, a->flow, user, a->uid, service, rhost, tty, detail && *detail ? " " : "",
           detail ? detail : "");
}
