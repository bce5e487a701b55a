/*
 * `sspr-helper import FILE`: pre-populate email addresses and phone numbers
 * for many users at once. FILE (or "-" for stdin) is JSON, an array of
 * {"user":"alice","email":"a@example.com","phone":"+4915..."}, or CSV with
 * the header line "user,email,phone" (JSON when the first non-blank byte is
 * '['). One report line per row on stdout; a bad row changes nothing and
 * never stops the others. Idempotent. Exit 0 when every row was fine, 1 when
 * any failed, 2 on usage errors or an unreadable/unparsable file.
 */
#ifndef SSPR_IMPORT_H
#define SSPR_IMPORT_H

#include "support/config.h"

/* argv[0] is FILE (the argument after "import"). */
int sspr_cli_import(const struct sspr_config *cfg, int argc, char **argv);

#endif
