#include "autoconf.h"

#include <string.h>

#include "username.h"

int sspr_username_ok(const char *name)
{
    size_t n;

    if (name == NULL || name[0] == '\0' || name[0] == '-' || name[0] == '.')
        return 0;
    n = strnlen(name, SSPR_USER_MAX + 1);
    if (n > SSPR_USER_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x21 || c == 0x7f || c == ':' || c == '/' || c == '\\')
            return 0;
    }
    return 1;
}
