/* Run one cmocka case by name: SSPR_TEST_FILTER='test_lockout' ./tests/flow/test_flow
 * (a glob pattern; cmocka 1.1 has no environment switch of its own). */
#ifndef SSPR_TEST_FILTER_H
#define SSPR_TEST_FILTER_H

#include <stdlib.h>

static inline void sspr_test_filter(void)
{
    const char *f = getenv("SSPR_TEST_FILTER");

    if (f != NULL && f[0] != '\0')
        cmocka_set_test_filter(f);
}

#endif
