/* The email gate: a one-time code sent by SMTP (delivery/email.c). Its
 * address also gets the reset notices. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "delivery/email.h"
#include "gates/delivery.h"
#include "support/err.h"
#include "support/errors.h"
#include "support/i18n.h"
#include "wipe.h"

extern const struct sspr_gate sspr_gate_email;

static void params(const struct sspr_config *cfg, struct sspr_delivery_params *p)
{
    p->lifetime = cfg->email_code_lifetime;
    p->digits = cfg->email_code_digits;
    p->url = cfg->smtp_url;
    p->ca_file = cfg->email_ca_file;
}

static int send(const struct sspr_config *cfg, const char *to, const struct sspr_tvar *vars,
                size_t nvars, int confirm, char *err, size_t errlen)
{
    char *subject = NULL, *body = NULL;
    int rc = SSPR_ERR_UNAVAILABLE;

    if (sspr_template_render_mail_lang(cfg->templates_dir, sspr_i18n_lang(),
                                       confirm ? SSPR_TEMPLATE_EMAIL_CONFIRM
                                               : SSPR_TEMPLATE_EMAIL_CODE,
                                       vars, nvars, &subject, &body, err, errlen) == 0 &&
        sspr_email_send(cfg, to, subject, body, err, errlen) == 0)
        rc = SSPR_OK;
    sspr_wipe_free_str(subject);
    sspr_wipe_free_str(body);
    return rc;
}

static const struct sspr_delivery EMAIL = {
    .section = "email",
    .down_code = SSPR_E_SMTP_UNREACHABLE,
    .down_text = N_("Email could not be sent right now"),
    .send_fail_code = SSPR_E_SMTP_REFUSED,
    .sent_generic = N_("If this account has an email address, a code was sent to it."),
    .code_prompt = N_("Code from the email: "),
    .address_prompt = N_("Email address: "),
    .address_bad = N_("That does not look like an email address."),
    .registered = N_("Email address registered."),
    .cli_what = "email address",
    .cli_set = "Email address",
    .marks_channel = 0,
    .params = params,
    .valid = sspr_email_valid,
    .mask = sspr_email_mask,
    .send = send,
};

static int available(const struct sspr_config *cfg)
{
    return sspr_delivery_available(cfg, &sspr_gate_email);
}

static int usable(const struct sspr_material *m)
{
    return sspr_delivery_usable(&sspr_gate_email, m);
}

const struct sspr_gate sspr_gate_email = {
    .name = "email",
    .menu_label = N_("A code sent to your email"),
    .choice_label = N_("an email code"),
    .reg_label = N_("email address"),
    .blocked_label = N_("Email codes"),
    .use_label = N_("an email code"),
    .flags = SSPR_GATE_DELIVERY | SSPR_GATE_NOTICES,
    .available = available,
    .usable = usable,
    .ask = sspr_delivery_ask,
    .enroll_at_login = sspr_delivery_enroll_at_login,
    .cli_option = "--email",
    .cli_arg = "ADDRESS",
    .enroll_cli = sspr_delivery_enroll_cli,
    .describe = sspr_delivery_describe,
    .delivery = &EMAIL,
};
