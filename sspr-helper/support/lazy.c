#include "autoconf.h"

#include <dlfcn.h>
#include <string.h>
#include <syslog.h>

#include "support/lazy.h"

_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "function pointers are the size of data pointers (POSIX dlsym)");

int sspr_lazy_ready(struct sspr_lazy *lib)
{
    void *h;

    if (lib->state != 0)
        return lib->state == 1;
    lib->state = -1;
    /* never unloaded: the pointers stay valid for the process's life */
    h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (h == NULL) {
        const char *e = dlerror();
        syslog(LOG_ERR, "cannot load %s: %s", lib->soname, e != NULL ? e : "unknown error");
        return 0;
    }
    for (size_t i = 0; i < lib->n; i++) {
        void *sym;

        (void)dlerror();
        sym = dlsym(h, lib->names[i]);
        if (sym == NULL) {
            syslog(LOG_ERR, "%s has no %s", lib->soname, lib->names[i]);
            return 0;
        }
        /* POSIX: a dlsym result converts to a function pointer (same size
         * and representation); copied as bytes, which ISO C allows */
        memcpy(lib->slots[i], &sym, sizeof(sym));
    }
    lib->state = 1;
    return 1;
}
