/*
 * The simulated enclave's MRENCLAVE: what Gramine would measure for the
 * runtime the simulator runs (src/measure/runtime.h) with this deployment's
 * command line and the encrypted code it serves. The user computes the same
 * value from the owner's context through the same mse_runtime_fingerprint;
 * only the source of the code hashes differs (here the operator's .enc
 * files, there the plain code encrypted again with the context's key).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mse/guard.h>

#include "attester/attester.h"
#include "measure/manifest_expand.h"
#include "measure/runtime.h"
#include "util/util.h"

#define MAX_CODE_FILES 100000
#define MAX_DEPTH 64

struct walk {
    const char *mount; /* the runtime's code_dir: where Gramine sees the files */
    struct mse_known_file *v;
    size_t n, cap;
    char *errbuf;
    size_t errlen;
};

/*
 * One measured file: path is where Gramine sees it (taken over, freed on
 * failure), host where it is read here; what names it in an error.
 */
static mse_err add_known_file(struct walk *w, const char *host, char *path, const char *what)
{
    if (w->n == w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 64;
        struct mse_known_file *nv = realloc(w->v, ncap * sizeof *nv);
        if (!nv) {
            free(path);
            return MSE_ERR_NOMEM;
        }
        w->v = nv;
        w->cap = ncap;
    }
    mse_err err = mse_file_sha256_hex(host, w->v[w->n].sha256);
    if (err != MSE_OK) {
        free(path);
        return mse_say(w->errbuf, w->errlen, err, "%s %s: %s", what, host, mse_err_str(err));
    }
    w->v[w->n++].path = path;
    return MSE_OK;
}

static mse_err add_file(struct walk *w, const char *host, const char *rel)
{
    MSE_ENSURE(w->n < MAX_CODE_FILES,
               mse_say(w->errbuf, w->errlen, MSE_ERR_LIMIT, "more than %d code files",
                       MAX_CODE_FILES));
    char *path = NULL;
    MSE_ENSURE(asprintf(&path, "%s/%s", w->mount, rel) >= 0, MSE_ERR_NOMEM);
    return add_known_file(w, host, path, "code file");
}

/* Gramine's directory walk: regular files (through symlinks), sub-directories
 * that are not symlinks; anything else is skipped, as gramine-sgx-sign does. */
static mse_err walk_dir(struct walk *w, const char *host, const char *rel, int depth)
{
    mse_err err = MSE_OK;
    MSE_ENSURE(depth < MAX_DEPTH, mse_say(w->errbuf, w->errlen, MSE_ERR_LIMIT,
                                          "code directories nested too deep: %s", host));
    DIR *d = opendir(host);
    MSE_ENSURE(d != NULL, mse_say(w->errbuf, w->errlen, MSE_ERR_FILE_NOT_FOUND,
                                  "cannot list the code directory %s", host));
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *h = NULL, *r = NULL;
        struct stat st, lst;
        if (asprintf(&h, "%s/%s", host, e->d_name) < 0)
            MSE_GOTO_OUT(MSE_ERR_NOMEM);
        if (asprintf(&r, "%s%s%s", rel, *rel ? "/" : "", e->d_name) < 0) {
            free(h);
            MSE_GOTO_OUT(MSE_ERR_NOMEM);
        }
        if (stat(h, &st) == 0 && lstat(h, &lst) == 0) {
            if (S_ISREG(st.st_mode))
                err = add_file(w, h, r);
            else if (S_ISDIR(st.st_mode) && !S_ISLNK(lst.st_mode))
                err = walk_dir(w, h, r, depth + 1);
        }
        free(h);
        free(r);
        if (err != MSE_OK)
            goto out;
    }
out:
    closedir(d);
    return err;
}

static mse_err add_owner_chain(struct walk *w, const char *runtime_path, const char *host)
{
    char *path = strdup(runtime_path);
    MSE_ENSURE(path != NULL, MSE_ERR_NOMEM);
    return add_known_file(w, host, path, "owner chain");
}

mse_err mse_sim_measure(const struct mse_sim_measure_in *in, uint8_t mrenclave[32],
                        char *errbuf, size_t errlen)
{
    struct mse_runtime_path path;
    struct mse_toml *rt = NULL;
    struct walk w = {.errbuf = errbuf, .errlen = errlen};
    MSE_TRY(mse_runtime_path_init(&path, in->runtime_dir));
    mse_err err = mse_runtime_load(&path, &rt, errbuf, errlen);
    if (err == MSE_OK)
        err = mse_runtime_set_deployment(rt, &in->deployment, errbuf, errlen);
    if (err == MSE_OK) {
        w.mount = mse_runtime_value(rt, "code_dir");
        if (!w.mount)
            err = mse_say(errbuf, errlen, MSE_ERR_RUNTIME, "runtime: [values] has no code_dir");
    }
    if (err == MSE_OK && in->code_dir)
        err = walk_dir(&w, in->code_dir, "", 0);
    if (err == MSE_OK && in->owner_chain) {
        const char *chain = mse_runtime_value(rt, "owner_cert");
        err = chain ? add_owner_chain(&w, chain, in->owner_chain)
                    : mse_say(errbuf, errlen, MSE_ERR_RUNTIME, "runtime: [values] has no owner_cert");
    }
    if (err == MSE_OK)
        err = mse_runtime_fingerprint(rt, &path, w.v, w.n, mrenclave, NULL, NULL, errbuf, errlen);
    for (size_t k = 0; k < w.n; k++)
        free((char *)w.v[k].path);
    free(w.v);
    mse_toml_free(rt);
    mse_runtime_path_free(&path);
    return err;
}
