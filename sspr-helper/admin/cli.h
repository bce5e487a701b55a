/* The admin CLI: enroll, show, unlock. */
#ifndef SSPR_CLI_H
#define SSPR_CLI_H

#include "support/config.h"

int sspr_cli_enroll(const struct sspr_config *cfg, int argc, char **argv);
int sspr_cli_unenroll(const struct sspr_config *cfg, int argc, char **argv);
int sspr_cli_show(const struct sspr_config *cfg, int argc, char **argv);
int sspr_cli_gc(const struct sspr_config *cfg, int argc, char **argv);
int sspr_cli_unlock(const struct sspr_config *cfg, int argc, char **argv);

#endif
