/* What every fuzz target uses to check an invariant: say which one broke
 * (file, line, the condition) and abort, so that libFuzzer keeps the input
 * as a crash and a rerun of that input shows the reason first. */
#ifndef SSPR_FUZZ_CHECK_H
#define SSPR_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FAIL_IF(cond)                                                                              \
    do {                                                                                           \
        if (cond) {                                                                                \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
