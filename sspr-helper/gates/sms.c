/* The SMS gate: a one-time code sent through an HTTP gateway (delivery/sms.c). */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "delivery/sms.h"
#include "gates/delivery.h"
#include "support/err.h"
#include "support/errors.h"
#include "support/i18n.h"
#include "wipe.h"

extern const struct sspr_gate sspr_gate_sms;

static void params(const struct sspr_config *cfg, struct sspr_delivery_params *p)
{
    p->lifetime = cfg->sms_code_lifetime;
    p->digits = cfg->sms_code_digits;
    p->url = cfg->sms_url;
    p->ca_file = cfg->sms_ca_file;
}

static int send(const struct sspr_config *cfg, const char *to, const struct sspr_tvar *vars,
                size_t nvars, int confirm, char *err, size_t errlen)
{
    char *body = NULL;
    int rc = SSPR_ERR_UNAVAILABLE;

    if (sspr_template_render_file_lang(cfg->templates_dir, sspr_i18n_lang(),
                                       confirm ? SSPR_TEMPLATE_SMS_CONFIRM : SSPR_TEMPLATE_SMS_CODE,
                                       vars, nvars, &body, err, errlen) == 0) {
        size_t n = strlen(body);
        while (n > 0 && (body[n - 1] == '\n' || body[n - 1] == '\r'))
            body[--n] = '\0';
        int s = sspr_sms_send(cfg, to, body, err, errlen);
        rc = s == 0 ? SSPR_OK : s == SSPR_SMS_REFUSED ? SSPR_ERR_REFUSED : SSPR_ERR_UNAVAILABLE;
    }
    sspr_wipe_free_str(body);
    return rc;
}

static const struct sspr_delivery SMS = {
    .section = "sms",
    .down_code = SSPR_E_SMS_GATEWAY,
    .down_text = N_("The text message could not be sent right now"),
    .send_fail_code = SSPR_E_SMS_GATEWAY,
    .sent_generic = N_("If this account has a phone number, a code was sent to it by text."),
    .code_prompt = N_("Code from the text message: "),
    .address_prompt = N_("Mobile number, international format (+15551234567): "),
    .address_bad = N_("Type the number with + and the country code."),
    .registered = N_("Phone number registered."),
    .cli_what = "phone number (E.164, like +4915112345678)",
    .cli_set = "Phone number",
    .marks_channel = 1,
    .params = params,
    .valid = sspr_phone_valid,
    .mask = sspr_phone_mask,
    .send = send,
};

static int available(const struct sspr_config *cfg)
{
    return sspr_delivery_available(cfg, &sspr_gate_sms);
}

static int usable(const struct sspr_material *m)
{
    return sspr_delivery_usable(&sspr_gate_sms, m);
}

const struct sspr_gate sspr_gate_sms = {
    .name = "sms",
    .menu_label = N_("A code sent to your phone by text message"),
    .choice_label = N_("a text message code"),
    .reg_label = N_("mobile phone (text messages)"),
    .blocked_label = N_("Text message codes"),
    .use_label = N_("a text message code"),
    .flags = SSPR_GATE_DELIVERY,
    .available = available,
    .usable = usable,
    .ask = sspr_delivery_ask,
    .enroll_at_login = sspr_delivery_enroll_at_login,
    .cli_option = "--phone",
    .cli_arg = "+NUMBER",
    .enroll_cli = sspr_delivery_enroll_cli,
    .describe = sspr_delivery_describe,
    .delivery = &SMS,
};
