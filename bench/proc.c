/* sspr-bench: other processes' memory and mappings, from /proc. Called
 * only between time stamps, never inside a timed interval. */
#include "autoconf.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static int comm_is(pid_t pid, const char *name)
{
    char path[64], buf[64];
    FILE *f;
    int ok = 0;

    snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    if (fgets(buf, sizeof(buf), f) != NULL) {
        buf[strcspn(buf, "\n")] = '\0';
        ok = strcmp(buf, name) == 0;
    }
    fclose(f);
    return ok;
}

static long status_field(pid_t pid, const char *field)
{
    char path[64], buf[256];
    size_t fl = strlen(field);
    long v = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(buf, sizeof(buf), f) != NULL)
        if (strncmp(buf, field, fl) == 0 && buf[fl] == ':') {
            v = atol(buf + fl + 1);
            break;
        }
    fclose(f);
    return v;
}

pid_t proc_child_named(pid_t parent, const char *name)
{
    char path[64];
    DIR *d;
    struct dirent *e;
    pid_t found = -1;

    /* every thread's children list (the module forks on the caller's thread) */
    snprintf(path, sizeof(path), "/proc/%ld/task", (long)parent);
    if ((d = opendir(path)) != NULL) {
        while (found < 0 && (e = readdir(d)) != NULL) {
            char cp[300];
            FILE *f;
            long c;

            if (e->d_name[0] == '.')
                continue;
            snprintf(cp, sizeof(cp), "/proc/%ld/task/%s/children", (long)parent, e->d_name);
            if ((f = fopen(cp, "r")) == NULL)
                continue;
            while (found < 0 && fscanf(f, "%ld", &c) == 1)
                if (comm_is((pid_t)c, name))
                    found = (pid_t)c;
            fclose(f);
        }
        closedir(d);
    }
    if (found >= 0)
        return found;
    /* no children files (CONFIG_PROC_CHILDREN off): scan for the parent */
    if ((d = opendir("/proc")) == NULL)
        return -1;
    while (found < 0 && (e = readdir(d)) != NULL) {
        pid_t p = (pid_t)atol(e->d_name);

        if (p > 0 && status_field(p, "PPid") == (long)parent && comm_is(p, name))
            found = p;
    }
    closedir(d);
    return found;
}

int proc_all_named(const char *name, pid_t *out, int max)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return 0;
    while (n < max && (e = readdir(d)) != NULL) {
        pid_t p = (pid_t)atol(e->d_name);

        if (p > 0 && comm_is(p, name))
            out[n++] = p;
    }
    closedir(d);
    return n;
}

/* Is this mapped path a shared object? (ld.so, libfoo.so, libfoo.so.1.2) */
static int is_so(const char *p)
{
    const char *b = strrchr(p, '/');

    b = b != NULL ? b + 1 : p;
    return strstr(b, ".so") != NULL && p[0] == '/';
}

struct lib {
    char path[256];
    long rss_kb;
};

/* Distinct shared objects with their summed Rss (from smaps when
 * with_rss, else 0). Returns the count; *out is malloc'ed. */
static int libs_of(pid_t pid, int with_rss, struct lib **out)
{
    char path[64], line[512];
    struct lib *v = NULL, *cur = NULL;
    int n = 0, cap = 0;
    FILE *f;

    *out = NULL;
    snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, with_rss ? "smaps" : "maps");
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *sp;
        long kb;

        if (with_rss && sscanf(line, "Rss: %ld kB", &kb) == 1) {
            if (cur != NULL)
                cur->rss_kb += kb;
            continue;
        }
        /* a mapping line: "start-end perms offset dev inode  path" */
        /* field lines start with a capital ("Rss:", "VmFlags:"); addresses
         * are lower-case hex */
        if (!((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f')))
            continue;
        cur = NULL;
        line[strcspn(line, "\n")] = '\0';
        sp = strchr(line, '/');
        if (sp == NULL || !is_so(sp))
            continue;
        for (int i = 0; i < n; i++)
            if (strcmp(v[i].path, sp) == 0)
                cur = &v[i];
        if (cur == NULL) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                if ((v = realloc(v, (size_t)cap * sizeof(*v))) == NULL)
                    die("out of memory");
            }
            cur = &v[n++];
            snprintf(cur->path, sizeof(cur->path), "%s", sp);
            cur->rss_kb = 0;
        }
    }
    fclose(f);
    *out = v;
    return n;
}

int proc_mem(pid_t pid, struct proc_mem *m)
{
    struct lib *v;
    char path[64], buf[256];
    FILE *f;

    memset(m, 0, sizeof(*m));
    m->hwm_kb = status_field(pid, "VmHWM");
    m->rss_kb = status_field(pid, "VmRSS");
    m->anon_kb = status_field(pid, "RssAnon");
    m->file_kb = status_field(pid, "RssFile");
    m->uid = m->gid = -1;
    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    if ((f = fopen(path, "r")) != NULL) {
        while (fgets(buf, sizeof(buf), f) != NULL) {
            if (strncmp(buf, "Uid:", 4) == 0)
                m->uid = atol(buf + 4);
            else if (strncmp(buf, "Gid:", 4) == 0)
                m->gid = atol(buf + 4);
        }
        fclose(f);
    }
    m->libs = libs_of(pid, 0, &v);
    free(v);
    return m->hwm_kb < 0 || m->libs < 0 ? -1 : 0;
}

static int cmp_lib(const void *a, const void *b)
{
    const struct lib *x = a, *y = b;

    return (y->rss_kb > x->rss_kb) - (y->rss_kb < x->rss_kb);
}

void proc_print_libs(pid_t pid, FILE *out, int limit)
{
    struct lib *v;
    long total = 0;
    int n = libs_of(pid, 1, &v);

    if (n < 0)
        return;
    qsort(v, (size_t)n, sizeof(*v), cmp_lib);
    for (int i = 0; i < n; i++) {
        if (i < limit)
            fprintf(out, "    %6ld kB  %s\n", v[i].rss_kb, v[i].path);
        total += v[i].rss_kb;
    }
    if (n > limit)
        fprintf(out, "    (%d more)\n", n - limit);
    fprintf(out, "    %6ld kB  resident in %d shared objects\n", total, n);
    free(v);
}
