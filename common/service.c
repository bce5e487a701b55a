#include "autoconf.h"

#include <string.h>

#include "service.h"

/* Display managers whose PAM service a person signs in at. GDM runs one
 * service per way of signing in (gdm-password, gdm-smartcard,
 * gdm-fingerprint...), all shown by gnome-shell. */
static const char *const greeters[] = { "lightdm", "sddm", "xdm", "kdm", "lxdm", "slim" };

enum sspr_screen sspr_service_screen(const char *service)
{
    if (service == NULL)
        return SSPR_SCREEN_TERMINAL;
    if (strncmp(service, "gdm-", 4) == 0 && service[4] != '\0')
        return SSPR_SCREEN_GNOME_SHELL;
    for (size_t i = 0; i < sizeof(greeters) / sizeof(greeters[0]); i++)
        if (strcmp(service, greeters[i]) == 0)
            return SSPR_SCREEN_GREETER;
    return SSPR_SCREEN_TERMINAL;
}

int sspr_service_is_greeter(const char *service)
{
    return sspr_service_screen(service) != SSPR_SCREEN_TERMINAL;
}
