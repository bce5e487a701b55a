/* Where a PAM service shows our prompts and messages: a terminal (login,
 * sshd, su...) or a graphical greeter, which shows one prompt at a time
 * in an entry and messages in a label. Decided from PAM_SERVICE alone,
 * which only /etc/pam.d (root) names, never from anything a user typed,
 * and the same for every account (docs/greeters.md). */
#ifndef SSPR_SERVICE_H
#define SSPR_SERVICE_H

enum sspr_screen {
    SSPR_SCREEN_TERMINAL = 0,
    SSPR_SCREEN_GREETER,     /* LightDM, SDDM, XDM...: messages in one label */
    SSPR_SCREEN_GNOME_SHELL, /* GDM's gdm-* services: gnome-shell's login dialog,
                                which drops pending info messages when the
                                authentication fails */
};

/* The screen of PAM service `service` (NULL or unknown: a terminal). */
enum sspr_screen sspr_service_screen(const char *service);

/* 1 for any graphical greeter (SSPR_SCREEN_GREETER or _GNOME_SHELL). */
int sspr_service_is_greeter(const char *service);

#endif
