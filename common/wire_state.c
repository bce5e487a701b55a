/* The protocol's state table: which frame may come when. Anything not in
 * the table ends the flow as an error (like OpenSSH's monitor table). */
#include "autoconf.h"

#include "wire.h"

struct transition {
    enum sspr_wire_state from;
    enum sspr_wire_dir dir;
    uint8_t type;
    enum sspr_wire_state to;
};

static const struct transition table[] = {
    { SSPR_WS_START, SSPR_DIR_TO_HELPER, SSPR_F_HELLO, SSPR_WS_HELPER_TURN },
    { SSPR_WS_HELPER_TURN, SSPR_DIR_TO_MODULE, SSPR_F_PROMPT_ECHO_OFF, SSPR_WS_MODULE_TURN },
    { SSPR_WS_HELPER_TURN, SSPR_DIR_TO_MODULE, SSPR_F_PROMPT_ECHO_ON, SSPR_WS_MODULE_TURN },
    { SSPR_WS_HELPER_TURN, SSPR_DIR_TO_MODULE, SSPR_F_INFO, SSPR_WS_HELPER_TURN },
    { SSPR_WS_HELPER_TURN, SSPR_DIR_TO_MODULE, SSPR_F_ERROR, SSPR_WS_HELPER_TURN },
    { SSPR_WS_HELPER_TURN, SSPR_DIR_TO_MODULE, SSPR_F_RESULT, SSPR_WS_DONE },
    { SSPR_WS_MODULE_TURN, SSPR_DIR_TO_HELPER, SSPR_F_ANSWER, SSPR_WS_HELPER_TURN },
    { SSPR_WS_MODULE_TURN, SSPR_DIR_TO_HELPER, SSPR_F_CANCEL, SSPR_WS_CANCELLED },
    /* after a CANCEL the helper still says how the flow ended (registration
     * at sign-in needs it to hold `require` against an aborted prompt) */
    { SSPR_WS_CANCELLED, SSPR_DIR_TO_MODULE, SSPR_F_RESULT, SSPR_WS_DONE },
};

int sspr_wire_transition(enum sspr_wire_state *st, enum sspr_wire_dir dir, uint8_t type)
{
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (table[i].from == *st && table[i].dir == dir && table[i].type == type) {
            *st = table[i].to;
            return SSPR_WIRE_OK;
        }
    }
    return SSPR_WIRE_ESTATE;
}
