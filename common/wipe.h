/* One wiping primitive for secrets (passwords, codes, keys). */
#ifndef SSPR_WIPE_H
#define SSPR_WIPE_H

#include <stddef.h>

/* Overwrite n bytes at p with zeros in a way the compiler cannot elide. */
void sspr_wipe(void *p, size_t n);

/* Wipe and free a NUL-terminated string; NULL is fine. */
void sspr_wipe_free_str(char *s);

/* Wipe a whole array; refuses pointers at compile time (sizeof a pointer
 * would silently wipe 8 bytes). */
#define SSPR_IS_ARRAY(a) \
    (!__builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0])))
#define SSPR_WIPE_ARRAY(a) \
    do { _Static_assert(SSPR_IS_ARRAY(a), "SSPR_WIPE_ARRAY needs an array"); \
         sspr_wipe((a), sizeof(a)); } while (0)

#endif
