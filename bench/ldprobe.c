/* An empty program for bench/mkprobes.sh: linked against a set of shared
 * libraries, it measures what loading and binding them costs (time, and
 * with "rss" its own memory at the top of main). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "rss") == 0) {
        char line[256];
        FILE *f = fopen("/proc/self/status", "r");

        while (f != NULL && fgets(line, sizeof(line), f) != NULL)
            if (strncmp(line, "VmHWM:", 6) == 0 || strncmp(line, "RssAnon:", 8) == 0 ||
                strncmp(line, "RssFile:", 8) == 0)
                fputs(line, stdout);
        if (f != NULL)
            fclose(f);
    }
    return 0;
}
