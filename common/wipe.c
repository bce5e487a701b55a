#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "wipe.h"

void sspr_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        explicit_bzero(p, n);
}

void sspr_wipe_free_str(char *s)
{
    if (s == NULL)
        return;
    sspr_wipe(s, strlen(s));
    free(s);
}
