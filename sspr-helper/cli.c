/* placeholder: being written */
#include "autoconf.h"
typedef int sspr_placeholder_sspr_helper_cli;
