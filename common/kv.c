#include "autoconf.h"

#include <string.h>

#include "kv.h"

int sspr_kv_append(char *buf, size_t cap, size_t *len, const char *key, const char *value)
{
    size_t kl = strlen(key), vl = value ? strlen(value) : 0;
    size_t need = kl + 1 + vl + 1;

    if (*len > cap || cap - *len < need)
        return -1;
    memcpy(buf + *len, key, kl);
    buf[*len + kl] = '=';
    if (vl > 0)
        memcpy(buf + *len + kl + 1, value, vl);
    buf[*len + kl + 1 + vl] = '\0';
    *len += need;
    return 0;
}

/* Length of the key of the entry at e (up to '='), or 0 if malformed. */
static size_t key_len(const char *e, size_t avail)
{
    size_t i = 0;

    while (i < avail && e[i] != '=') {
        if (!((e[i] >= 'a' && e[i] <= 'z') || e[i] == '_'))
            return 0;
        i++;
    }
    return (i < avail && i > 0) ? i : 0;
}

int sspr_kv_validate(const char *payload, size_t len)
{
    size_t off = 0;

    if (len == 0 || payload[len - 1] != '\0')
        return -1;
    while (off < len) {
        const char *e = payload + off;
        size_t elen = strlen(e); /* terminated: payload[len-1] is NUL */
        size_t kl = key_len(e, elen);
        if (kl == 0)
            return -1;
        /* unique keys: look for the same key earlier in the payload */
        for (size_t p = 0; p < off;) {
            const char *q = payload + p;
            if (strncmp(q, e, kl + 1) == 0)
                return -1;
            p += strlen(q) + 1;
        }
        off += elen + 1;
    }
    return 0;
}

const char *sspr_kv_get(const char *payload, size_t len, const char *key)
{
    size_t kl = strlen(key);

    for (size_t off = 0; off < len;) {
        const char *e = payload + off;
        if (strncmp(e, key, kl) == 0 && e[kl] == '=')
            return e + kl + 1;
        off += strlen(e) + 1;
    }
    return NULL;
}
