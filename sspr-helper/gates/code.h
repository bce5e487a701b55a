/* The shared code prompt: every SSPR_GATE_CODE gate (authenticator app,
 * recovery code) is answered at one prompt and told apart by the answer's
 * shape, so the prompt says nothing about what an account has registered. */
#ifndef SSPR_GATE_CODE_H
#define SSPR_GATE_CODE_H

#include "gates/gate.h"

struct sspr_flow;

/* The ask of the first CODE gate; it covers them all. */
int sspr_gate_ask_code(struct sspr_flow *f, const struct sspr_gate *g, int index);

#endif
