#include "autoconf.h"

#include "support/err.h"

const char *sspr_strerror(int err)
{
    switch ((enum sspr_err)err) {
    case SSPR_OK:
        return "ok";
    case SSPR_ERR_NOENT:
        return "no record";
    case SSPR_ERR_CORRUPT:
        return "record corrupt or unsafe";
    case SSPR_ERR_IO:
        return "state I/O error";
    case SSPR_ERR_INVAL:
        return "invalid argument";
    case SSPR_ERR_UNSAFE:
        return "state directory unsafe (owner, mode or symlink)";
    case SSPR_ERR_LOCK:
        return "state lock not acquired in time";
    case SSPR_ERR_NOMEM:
        return "out of memory";
    case SSPR_ERR_CONFLICT:
        return "changed by someone else meanwhile";
    case SSPR_ERR_UNAVAILABLE:
        return "server unavailable";
    case SSPR_ERR_REFUSED:
        return "refused";
    case SSPR_ERR_ABORTED:
        return "nothing to change";
    case SSPR_ERR_UNSUPPORTED:
        return "not supported by this backend";
    }
    return "unknown error";
}
