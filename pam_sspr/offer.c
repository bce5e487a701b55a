/* placeholder: being written */
#include "autoconf.h"
typedef int sspr_placeholder_pam_sspr_offer;
