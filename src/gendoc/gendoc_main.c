/*
 * mse-gendoc OUTDIR VERSION DATE: the man pages (OUTDIR/man1, OUTDIR/man8)
 * and the bash and zsh completions (OUTDIR/bash-completion/mse,
 * OUTDIR/zsh/_mse) of the mse programs, from their option tables. Run by
 * the build; nothing here is installed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pages.h"

static int make_dir(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "mse-gendoc: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "mse-gendoc: %s: %s\n", path, strerror(errno));
    return f;
}

static int write_pages(const char *out, const struct mse_opt_page *pages, const char *version,
                       const char *date)
{
    for (const struct mse_opt_page *p = pages; p->name; p++) {
        char dir[4096], name[256];
        snprintf(dir, sizeof dir, "%s/man%u", out, p->section);
        snprintf(name, sizeof name, "%s.%u", p->name, p->section);
        if (make_dir(dir) != 0)
            return -1;
        FILE *f = open_out(dir, name);
        if (!f)
            return -1;
        mse_opt_write_man(f, p, version, date);
        if (fclose(f) != 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: mse-gendoc OUTDIR VERSION DATE\n");
        return 2;
    }
    const char *out = argv[1];
    char dir[4096];
    if (make_dir(out) != 0 || write_pages(out, gendoc_pages, argv[2], argv[3]) != 0)
        return 1;
    snprintf(dir, sizeof dir, "%s/bash-completion", out);
    FILE *f = make_dir(dir) == 0 ? open_out(dir, "mse") : NULL;
    if (!f)
        return 1;
    mse_opt_write_bash(f, "mse", gendoc_mse_cmds);
    if (fclose(f) != 0)
        return 1;
    snprintf(dir, sizeof dir, "%s/zsh", out);
    f = make_dir(dir) == 0 ? open_out(dir, "_mse") : NULL;
    if (!f)
        return 1;
    mse_opt_write_zsh(f, "mse", gendoc_mse_cmds);
    return fclose(f) == 0 ? 0 : 1;
}
