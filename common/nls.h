/* N_() marks a string for xgettext (po/POTFILES.in) where it is defined;
 * it is translated where it is used (the module: sspr_tr; the helper: _). */
#ifndef SSPR_NLS_H
#define SSPR_NLS_H

#ifndef N_
#define N_(s) s
#endif

#endif
