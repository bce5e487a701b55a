/* `sspr-helper doctor [USER]`. */
#ifndef SSPR_DOCTOR_H
#define SSPR_DOCTOR_H

#include "support/config.h"

/* Print the checks; returns 0 when none failed, 1 when one did, 2 on a
 * usage error. cfg: the configuration (defaults when the file is bad). */
int sspr_cli_doctor(const struct sspr_config *cfg, const char *config_path, int argc, char **argv);

#endif
