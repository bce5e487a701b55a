/*
 * The security-questions gate: off by default, never for administrators,
 * never the only gate (SSPR_GATE_WEAK; the policy enforces it). Material
 * is the registered questions (labels) and the argon2id hashes of their
 * answers (values, proofs/questions.c). A registered account is asked
 * questions_asked of its own questions; any other name gets questions from
 * the bank, from the same questions_required of them each time for the
 * same name, and pays for one argon2id check per answer like a real
 * account (docs/security.md 13, 14).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "flow/flow.h"
#include "gates/gate.h"
#include "gates/questions_bank.h"
#include "proofs/questions.h"
#include "support/i18n.h"
#include "wipe.h"

static const char MSG_BAD_ANSWERS[] = N_("Those answers are not right.");

extern const struct sspr_gate sspr_gate_questions;

/* The number of registered questions when m is well formed, else 0. */
static unsigned count(const struct sspr_material *m)
{
    if (m->damaged || m->nvalues == 0 || m->nvalues > SSPR_QUESTIONS_MAX)
        return 0;
    for (size_t i = 0; i < m->nvalues; i++)
        if (!sspr_questions_question_ok(m->labels[i]) || !sspr_questions_hash_ok(m->values[i]))
            return 0;
    return (unsigned)m->nvalues;
}

static int usable(const struct sspr_material *m)
{
    return count(m) > 0;
}

static int available(const struct sspr_config *cfg)
{
    return cfg->questions_enabled;
}

struct questions_check {
    const struct sspr_material *m; /* the account's, or NULL on the dummy path */
    const unsigned *idx;
    char (*answers)[SSPR_ANSWER_MAX + 1];
    unsigned n;
};

/* Every answer costs one argon2id check, right or wrong, real or dummy. */
static int check_questions(struct sspr_flow *f, void *vctx)
{
    struct questions_check *c = vctx;
    int all_right = c->m != NULL;

    (void)f;
    for (unsigned i = 0; i < c->n; i++) {
        if (c->m != NULL)
            all_right &= sspr_questions_verify(c->m->values[c->idx[i]], c->answers[i]) == 0;
        else
            sspr_qbank_dummy_check(c->answers[i]);
    }
    return all_right;
}

static int ask(struct sspr_flow *f, const struct sspr_gate *g, int index)
{
    char prompt[SSPR_QBANK_LINE + 4];
    char answers[SSPR_QUESTIONS_MAX][SSPR_ANSWER_MAX + 1];
    const char *texts[SSPR_QUESTIONS_MAX];
    unsigned idx[SSPR_QUESTIONS_MAX];
    unsigned n = (unsigned)f->cfg->questions_asked;
    const struct sspr_material *m = NULL;
    struct sspr_qbank bank;
    int step;

    if (!sspr_flow_gate_open(f, g, &step))
        return step;
    if (sspr_qbank_load(f->cfg, &bank) != 0) {
        sspr_chan_error(&f->ch, _("Security questions are not available right now."));
        return SSPR_STEP_MENU;
    }
    if (sspr_flow_counts(f, g)) {
        m = sspr_gate_material_c(&f->rec, g);
        if (count(m) < n)
            m = NULL;
    }
    if (m != NULL) {
        sspr_questions_pick(n, count(m), idx);
        for (unsigned i = 0; i < n; i++)
            texts[i] = m->labels[idx[i]];
    } else {
        /* seeded by the host-keyed hash of the typed name, never by a UID
         * (public: known accounts' questions would be predictable) */
        struct sspr_subject seed;
        if (sspr_be_subject(f->be, NULL, f->hello.user, &seed) != SSPR_OK)
            seed = f->subject;
        sspr_qbank_for_name(&bank, seed.key, (unsigned)f->cfg->questions_required, n, texts);
    }
    for (unsigned i = 0; i < n; i++) {
        snprintf(prompt, sizeof(prompt), "%s: ", texts[i]);
        if (sspr_chan_prompt(&f->ch, 0, prompt, answers[i]) != 0) {
            SSPR_WIPE_ARRAY(answers);
            return SSPR_STEP_BROKEN;
        }
        if (answers[i][0] == '\0') {
            SSPR_WIPE_ARRAY(answers);
            return SSPR_STEP_CANCEL; /* never judged, never counted */
        }
    }
    struct questions_check c = { m, idx, answers, n };
    enum sspr_judged j = sspr_flow_judge(f, g->name, check_questions, &c);
    SSPR_WIPE_ARRAY(answers);
    if (j == SSPR_J_PASS) {
        sspr_flow_passed(f, g, index);
        return (int)sspr_gate_bit(g);
    }
    step = sspr_flow_refused(f, j, g, MSG_BAD_ANSWERS);
    return step == 1 ? SSPR_STEP_END : step;
}

/* One more question and the hash of its answer. 0, or -1 (answer too short,
 * too many, no memory). */
static int add(struct sspr_material *m, const char *question, const char *answer)
{
    char h[crypto_pwhash_STRBYTES];
    int rc;

    if (!sspr_questions_question_ok(question) || m->nvalues >= SSPR_QUESTIONS_MAX ||
        sspr_questions_hash(answer, h) != 0)
        return -1;
    rc = sspr_material_add(m, h, question) == SSPR_OK ? 0 : -1;
    SSPR_WIPE_ARRAY(h);
    return rc;
}

static void new_material(struct sspr_material *m, const char *source)
{
    sspr_material_init(m);
    m->present = 1;
    m->since = (long long)time(NULL);
    (void)sspr_material_set_source(m, source);
}

static int enroll_at_login(struct sspr_flow *f, const struct sspr_gate *g)
{
    struct sspr_qbank bank;
    struct sspr_material m;
    char text[SSPR_QBANK_MAX * 8 + 64], a[SSPR_ANSWER_MAX + 1];
    unsigned used[SSPR_QBANK_MAX] = { 0 };
    int have = 0, ok = 0, need = f->cfg->questions_required;

    if (sspr_qbank_load(f->cfg, &bank) != 0)
        return 0;
    snprintf(text, sizeof(text),
             P_("Choose %d question and answer it:", "Choose %d questions and answer each:", need),
             need);
    sspr_chan_info(&f->ch, text);
    for (size_t i = 0; i < bank.n; i++) {
        char q[SSPR_QBANK_LINE + 8];
        snprintf(q, sizeof(q), "  %zu) %s", i + 1, bank.q[i]);
        sspr_flow_show(f, q);
    }
    new_material(&m, "user");
    for (int t = 0; have < need && t < 3 * need; t++) {
        char *end;
        if (sspr_chan_prompt(&f->ch, 1, _("Question number: "), a) != 0) {
            ok = -1;
            break;
        }
        unsigned long n = strtoul(a, &end, 10);
        if (*end != '\0' || n < 1 || n > bank.n || used[n - 1]) {
            sspr_chan_error(&f->ch, _("Choose a number from the list, each question once."));
            continue;
        }
        if (sspr_chan_prompt(&f->ch, 0, _("Answer (not shown): "), a) != 0) {
            ok = -1;
            break;
        }
        if (add(&m, bank.q[n - 1], a) != 0) {
            sspr_chan_error(&f->ch, _("Answers need at least 3 characters. Choose again."));
            continue;
        }
        used[n - 1] = 1;
        have++;
    }
    SSPR_WIPE_ARRAY(a);
    if (ok == 0 && have == need)
        ok = sspr_flow_save_material(f, g, &m) == 0;
    sspr_material_clear(&m);
    if (ok == 1)
        sspr_chan_info(&f->ch, _("Security questions registered."));
    return ok;
}

/* `enroll USER --questions`: on a terminal, asked interactively; otherwise
 * stdin carries one "N<TAB>answer" line per question (N from
 * `--questions --list`, which prints the bank). */
static int enroll_cli(struct sspr_admin *ad, const struct sspr_gate *g, const char *arg)
{
    const struct sspr_config *cfg = ad->cfg;
    struct sspr_qbank bank;
    struct sspr_material m;
    char line[SSPR_QBANK_LINE + 600], answer[600];
    int tty = isatty(STDIN_FILENO), rc = 1, have = 0;
    int list_only = arg != NULL && strcmp(arg, "--list") == 0;
    unsigned used[SSPR_QBANK_MAX] = { 0 };

    if (arg != NULL && !list_only)
        return 2;
    if (sspr_qbank_load(cfg, &bank) != 0) {
        fprintf(stderr, "sspr-helper: question bank %s unreadable or has fewer than %d questions\n",
                cfg->questions_file, cfg->questions_required);
        return 1;
    }
    for (size_t i = 0; i < bank.n && (list_only || tty); i++) {
        if (list_only)
            printf("%zu\t%s\n", i + 1, bank.q[i]);
        else
            fprintf(stderr, "%2zu) %s\n", i + 1, bank.q[i]);
    }
    if (list_only)
        return 0;
    if (!cfg->questions_enabled)
        fprintf(stderr,
                "Note: [policy] questions_enabled = no, so questions are not offered yet.\n");
    new_material(&m, "admin");
    while (have < cfg->questions_required) {
        unsigned long n;
        char *end, *ans;
        if (tty) {
            if (sspr_admin_read_line("Question number: ", 0, line, sizeof(line)) != 0)
                break;
            n = strtoul(line, &end, 10);
            if (sspr_admin_read_line("Answer (not shown): ", 1, answer, sizeof(answer)) != 0)
                break;
            ans = answer;
        } else {
            if (sspr_admin_read_line("", 0, line, sizeof(line)) != 0)
                break;
            n = strtoul(line, &end, 10);
            if (*end != '\t') {
                fprintf(stderr, "sspr-helper: expected \"N<TAB>answer\" lines\n");
                break;
            }
            ans = end + 1;
        }
        if (n < 1 || n > bank.n || used[n - 1]) {
            fprintf(stderr, "Choose a question number from the list, each once.\n");
            if (!tty)
                break;
            continue;
        }
        if (add(&m, bank.q[n - 1], ans) != 0) {
            fprintf(stderr, "That answer is too short (at least 3 characters). Try again.\n");
            if (!tty)
                break;
            continue;
        }
        used[n - 1] = 1;
        have++;
    }
    SSPR_WIPE_ARRAY(answer);
    SSPR_WIPE_ARRAY(line);
    if (have == cfg->questions_required) {
        rc = sspr_admin_save(ad, g, &m);
        if (rc == 0)
            fprintf(stderr, "%d security questions registered for %s.\n", have, ad->acct.name);
    } else {
        fprintf(stderr, "sspr-helper: %d of %d questions answered; nothing was changed\n", have,
                cfg->questions_required);
    }
    sspr_material_clear(&m);
    return rc;
}

static void describe(const struct sspr_gate *g, const struct sspr_material *m,
                     const struct sspr_config *cfg, FILE *out)
{
    unsigned n = m->present ? count(m) : 0;

    if (n > 0)
        fprintf(out, "%s: %u registered%s\n", g->name, n,
                cfg->questions_enabled ? "" : " (questions_enabled = no)");
    else
        fprintf(out, "%s: not registered\n", g->name);
}

const struct sspr_gate sspr_gate_questions = {
    .name = "questions",
    .menu_label = N_("Security questions"),
    .choice_label = N_("security questions"),
    .reg_label = N_("security questions"),
    .blocked_label = N_("Security questions"),
    .use_label = N_("security questions"),
    .flags = SSPR_GATE_WEAK,
    .available = available,
    .usable = usable,
    .ask = ask,
    .enroll_at_login = enroll_at_login,
    .cli_option = "--questions",
    .cli_arg = "[--list]",
    .enroll_cli = enroll_cli,
    .describe = describe,
    .delivery = NULL,
};
