/* What every fuzz target uses to check an invariant: say which one broke
 * (file, line, the condition) and abort, so that libFuzzer keeps the input
 * as a crash and a rerun of that input shows the reason first. */
#ifndef SSPR_FUZZ_CHECK_H
#define SSPR_FUZZ_CHECK_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* run.sh closes the targets' stderr (-close_fd_mask=3): the message also
 * goes to the file $SSPR_FUZZ_NOTE names, which run.sh shows with the
 * reproducer. */
static inline void sspr_fuzz_note(const char *file, int line, const char *cond)
{
    const char *note = getenv("SSPR_FUZZ_NOTE");
    int fd;

    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, cond);
    if (note != NULL && (fd = open(note, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) >= 0) {
        dprintf(fd, "%s:%d: invariant broken: %s\n", file, line, cond);
        close(fd);
    }
}

#define FAIL_IF(cond)                                                                              \
    do {                                                                                           \
        if (cond) {                                                                                \
            sspr_fuzz_note(__FILE__, __LINE__, #cond);                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
