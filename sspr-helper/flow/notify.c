#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "delivery/email.h"
#include "delivery/template.h"
#include "flow/notify.h"
#include "gates/delivery.h"
#include "support/i18n.h"
#include "wipe.h"

static void send_one(struct sspr_flow *f, const char *to, const char *subject, const char *body,
                     const char *whom)
{
    char err[256], detail[320];

    if (sspr_email_send(f->cfg, to, subject, body, err, sizeof(err)) == 0) {
        snprintf(detail, sizeof(detail), "to=%s", whom);
        sspr_audit(&f->audit, "notify", detail);
    } else {
        snprintf(detail, sizeof(detail), "to=%s code=SSPR-E302 error=\"%s\"", whom, err);
        sspr_audit(&f->audit, "notify-fail", detail);
    }
}

/* Render a notice template with what every notice says: who, where, when,
 * through which service, from where, whom to tell. 0 or -1 (audited). */
static int render(struct sspr_flow *f, const char *template, const char *change, char **subject,
                  char **body)
{
    char host[256] = "localhost", when[64], err[256];
    time_t now = time(NULL);
    struct tm tm;

    gethostname(host, sizeof(host) - 1);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime_r(&now, &tm));
    const struct sspr_tvar vars[] = {
        { "user", f->acct.name },
        { "host", host },
        { "time", when },
        /* TRANSLATORS: in a notice mail, "Service: unknown" */
        { "service", f->hello.service[0] ? f->hello.service : _("unknown") },
        /* TRANSLATORS: in a notice mail, "From: local" (no remote host, no tty) */
        { "rhost",
          f->hello.rhost[0] ? f->hello.rhost : (f->hello.tty[0] ? f->hello.tty : _("local")) },
        { "admin_contact", sspr_email_admin_contact(f->cfg) },
        { "change", change },
    };
    if (sspr_template_render_mail_lang(f->cfg->templates_dir, sspr_i18n_lang(), template, vars,
                                       sizeof(vars) / sizeof(vars[0]), subject, body, err,
                                       sizeof(err)) != 0) {
        char detail[320];
        snprintf(detail, sizeof(detail), "to=user error=\"%s\"", err);
        sspr_audit(&f->audit, "notify-fail", detail);
        return -1;
    }
    return 0;
}

const char *sspr_notify_address(const struct sspr_flow *f)
{
    const struct sspr_gate *g;
    const char *a;

    SSPR_GATE_FOREACH(i, g)
        if ((g->flags & SSPR_GATE_NOTICES) && (a = sspr_delivery_address(g, &f->rec)) != NULL)
            return a;
    return NULL;
}

static void notify(struct sspr_flow *f, const char *template)
{
    char *subject = NULL, *body = NULL;
    const char *to;

    if (!sspr_config_email_on(f->cfg))
        return;
    to = sspr_notify_address(f);
    if (to == NULL && !(f->is_admin && f->cfg->notify_admins[0] != '\0'))
        return;
    if (render(f, template, "", &subject, &body) == 0) {
        if (to != NULL)
            send_one(f, to, subject, body, "user");
        if (f->is_admin) {
            char list[sizeof(f->cfg->notify_admins)], *save = NULL;
            memcpy(list, f->cfg->notify_admins, sizeof(list));
            for (char *a = strtok_r(list, " \t,", &save); a != NULL;
                 a = strtok_r(NULL, " \t,", &save))
                if (sspr_email_valid(a))
                    send_one(f, a, subject, body, "admins");
        }
    }
    sspr_wipe_free_str(subject);
    sspr_wipe_free_str(body);
}

void sspr_notify_reset(struct sspr_flow *f)
{
    notify(f, SSPR_TEMPLATE_EMAIL_NOTICE);
}

void sspr_notify_unlock(struct sspr_flow *f)
{
    notify(f, SSPR_TEMPLATE_EMAIL_UNLOCK);
}

void sspr_notify_methods_changed(struct sspr_flow *f, const char *to, const char *change)
{
    char *subject = NULL, *body = NULL;

    if (to == NULL || to[0] == '\0' || !sspr_config_email_on(f->cfg) || !sspr_email_valid(to))
        return;
    if (render(f, SSPR_TEMPLATE_METHODS_CHANGED, change, &subject, &body) == 0)
        send_one(f, to, subject, body, "user");
    sspr_wipe_free_str(subject);
    sspr_wipe_free_str(body);
}
