/* Small text helpers shared by the readers of configuration-like files. */
#ifndef SSPR_SUPPORT_TEXT_H
#define SSPR_SUPPORT_TEXT_H

/* s without leading blanks and trailing blanks or line ends (cut in place). */
char *sspr_trim(char *s);

#endif
