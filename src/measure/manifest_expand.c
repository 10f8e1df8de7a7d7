/*
 * Manifest expansion as gramine-sgx-sign 1.9 does it (see manifest_expand.h).
 *
 * Rules from python/graminelibos/manifest.py at v1.9:
 *  - TrustedFile paths are pathlib.PurePosixPath(uri[5:]): repeated and
 *    trailing slashes and "." parts vanish, ".." stays, "" is ".";
 *  - a URI ending in "/" is a directory: its entries (dot files included)
 *    are taken in sorted byte order, entries that are neither regular files
 *    nor directories (after following symlinks) or not readable are skipped,
 *    symlinked directories are not descended into, sub-directories recurse;
 *    a URI without "/" that names a directory is an error;
 *  - entries keep the first position of their URI; a later duplicate
 *    replaces an earlier one unless the earlier one carries a sha256;
 *    two different sha256 values for one URI are an error;
 *  - with a chroot, URIs must be absolute; symlinks are resolved inside the
 *    chroot (resolve_symlinks) and directory entries get URIs relative to it;
 *  - loader.entrypoint is hashed from the host path, never in the chroot.
 * With known hashes (mse_expand_opts.known), a known file is never read; with
 * known_only, directories are listed from the known files instead of the
 * disk, which gives the same entries Gramine finds on the operator's machine
 * when that machine holds exactly those files.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/manifest.h>
#include <mse/toml.h>

#include "measure/keyindex.h"
#include "measure/manifest_expand.h"
#include "measure/pyfloat.h"

#define MAX_SYMLINK_DEPTH 40
#define MAX_TRUSTED 1000000

struct tf {
    char *uri;
    struct mse_toml *sha; /* NULL: to be hashed */
    char *realpath;
};

struct ctx {
    const char *root; /* normalised chroot or NULL */
    const struct mse_known_file *known;
    size_t nknown;
    bool known_only;
    struct tf *v;
    size_t n, cap;
    struct mse_keyindex uris; /* v[] by URI: duplicates are found without a scan */
    char *errbuf;
    size_t errlen;
};

static mse_err fail(struct ctx *c, mse_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static mse_err fail(struct ctx *c, mse_err err, const char *fmt, ...)
{
    if (c->errbuf && c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->errbuf, c->errlen, fmt, ap);
        va_end(ap);
    }
    return err;
}

static char *xstrdup(const char *s)
{
    return strdup(s);
}

/* pathlib.PurePosixPath(s) as a string. */
static char *pp_norm(const char *s)
{
    size_t len = strlen(s);
    char *out = malloc(len + 3);
    if (!out)
        return NULL;
    size_t n = 0;
    if (s[0] == '/') {
        out[n++] = '/';
        /* POSIX keeps exactly two leading slashes. */
        if (s[1] == '/' && s[2] != '/')
            out[n++] = '/';
    }
    size_t prefix = n;
    size_t i = 0;
    while (i < len) {
        while (i < len && s[i] == '/')
            i++;
        size_t j = i;
        while (j < len && s[j] != '/')
            j++;
        if (j > i && !(j - i == 1 && s[i] == '.')) {
            if (n > prefix)
                out[n++] = '/';
            memcpy(out + n, s + i, j - i);
            n += j - i;
        }
        i = j;
    }
    if (n == 0)
        out[n++] = '.';
    out[n] = '\0';
    return out;
}

/* Path(a) / b for a normalised a and a relative b. */
static char *pjoin(const char *a, const char *b)
{
    char *out = NULL;
    if (strcmp(a, ".") == 0)
        return pp_norm(b);
    size_t la = strlen(a);
    const char *sep = la && a[la - 1] == '/' ? "" : "/";
    if (asprintf(&out, "%s%s%s", a, sep, b) < 0)
        return NULL;
    char *norm = pp_norm(out);
    free(out);
    return norm;
}

/* PurePosixPath.parent of a normalised absolute path. */
static char *pparent(const char *p)
{
    char *out = xstrdup(p);
    if (!out)
        return NULL;
    char *slash = strrchr(out, '/');
    if (!slash)
        return out;
    if (slash == out || (slash == out + 1 && out[0] == '/'))
        slash[1] = '\0';
    else
        *slash = '\0';
    return out;
}

/* chroot / inner.relative_to('/') */
static char *chroot_join(const char *root, const char *inner)
{
    while (*inner == '/')
        inner++;
    return *inner ? pjoin(root, inner) : xstrdup(root);
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_symlink(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0 && S_ISLNK(st.st_mode);
}

/* manifest.py resolve_symlinks(): resolve an absolute path inside the chroot. */
static mse_err resolve_in_root(struct ctx *c, const char *path, int depth, char **out)
{
    mse_err err = MSE_OK;
    char *inner = xstrdup("/"), *norm = pp_norm(path), *outer = NULL, *next = NULL;
    MSE_ENSURE_OUT(inner && norm, MSE_ERR_NOMEM);
    if (norm[0] != '/')
        MSE_GOTO_OUT(fail(c, MSE_ERR_MANIFEST, "only absolute paths can be measured in chroot: %s",
                          path));
    MSE_ENSURE_OUT(depth < MAX_SYMLINK_DEPTH,
                   fail(c, MSE_ERR_MANIFEST, "too many levels of symbolic links: %s", path));
    const char *p = norm;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, "/");
        char part[NAME_MAX + 1];
        MSE_ENSURE_OUT(n <= NAME_MAX, fail(c, MSE_ERR_MANIFEST, "path component too long"));
        memcpy(part, p, n);
        part[n] = '\0';
        p += n;
        free(outer);
        outer = chroot_join(c->root, inner);
        MSE_ENSURE_OUT(outer != NULL, MSE_ERR_NOMEM);
        MSE_ENSURE_OUT(is_dir(outer),
                       fail(c, MSE_ERR_MANIFEST, "not a directory: %s (inside the root)", inner));
        char *ninner;
        if (strcmp(part, "..") == 0) {
            ninner = pparent(inner);
        } else {
            ninner = pjoin(inner, part);
        }
        MSE_ENSURE_OUT(ninner != NULL, MSE_ERR_NOMEM);
        free(inner);
        inner = ninner;
        if (strcmp(part, "..") == 0)
            continue;
        free(outer);
        outer = chroot_join(c->root, inner);
        MSE_ENSURE_OUT(outer != NULL, MSE_ERR_NOMEM);
        if (!is_symlink(outer))
            continue;
        char target[PATH_MAX];
        ssize_t tl = readlink(outer, target, sizeof target - 1);
        MSE_ENSURE_OUT(tl >= 0 && (size_t)tl < sizeof target - 1,
                       fail(c, MSE_ERR_IO, "cannot read symlink %s", outer));
        target[tl] = '\0';
        free(next);
        if (target[0] == '/') {
            next = xstrdup(target);
        } else {
            char *par = pparent(inner);
            next = par ? pjoin(par, target) : NULL;
            free(par);
        }
        MSE_ENSURE_OUT(next != NULL, MSE_ERR_NOMEM);
        char *resolved = NULL;
        MSE_CHECK_OUT(resolve_in_root(c, next, depth + 1, &resolved));
        free(inner);
        inner = resolved;
    }
    *out = inner;
    inner = NULL;
out:
    free(inner);
    free(norm);
    free(outer);
    free(next);
    return err;
}

/* TrustedFile.__init__: the real path of a file: URI. */
static mse_err tf_realpath(struct ctx *c, const char *uri, char **out)
{
    MSE_ENSURE(strncmp(uri, "file:", 5) == 0,
               fail(c, MSE_ERR_MANIFEST, "Unsupported URI type: %s", uri));
    char *path = pp_norm(uri + 5);
    MSE_ENSURE(path != NULL, MSE_ERR_NOMEM);
    if (!c->root) {
        *out = path;
        return MSE_OK;
    }
    char *inner = NULL;
    mse_err err = resolve_in_root(c, path, 0, &inner);
    free(path);
    MSE_TRY(err);
    *out = chroot_join(c->root, inner);
    free(inner);
    MSE_ENSURE(*out != NULL, MSE_ERR_NOMEM);
    return MSE_OK;
}

static bool sha_equal(const struct mse_toml *a, const struct mse_toml *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case MSE_TOML_STRING: return a->slen == b->slen && memcmp(a->s, b->s, a->slen) == 0;
    case MSE_TOML_INT: return a->i == b->i;
    case MSE_TOML_BOOL: return a->b == b->b;
    default: return false;
    }
}

static bool tf_has_uri(void *arg, const void *owner, size_t entry)
{
    const struct ctx *c = owner;
    return strcmp(c->v[entry].uri, (const char *)arg) == 0;
}

/* Insert into the ordered uri -> entry map with expand_all_trusted_files()'s duplicate rules. */
static mse_err add_tf(struct ctx *c, char *uri, struct mse_toml *sha, char *realpath)
{
    mse_err err = MSE_OK;
    uint64_t hash = mse_keyindex_hash(c, uri, strlen(uri));
    size_t k;
    if (mse_keyindex_find(&c->uris, c, hash, tf_has_uri, uri, &k)) {
        if (c->v[k].sha) {
            if (sha && !sha_equal(sha, c->v[k].sha))
                MSE_GOTO_OUT(fail(c, MSE_ERR_MANIFEST,
                                  "Two different sha256 values for the same URI '%s'", uri));
            goto out; /* keep the measured one */
        }
        free(c->v[k].uri);
        mse_toml_free(c->v[k].sha);
        free(c->v[k].realpath);
        c->v[k] = (struct tf){uri, sha, realpath};
        return MSE_OK;
    }
    MSE_ENSURE_OUT(c->n < MAX_TRUSTED, MSE_ERR_LIMIT);
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 32;
        struct tf *nv = realloc(c->v, ncap * sizeof *nv);
        MSE_ENSURE_OUT(nv != NULL, MSE_ERR_NOMEM);
        c->v = nv;
        c->cap = ncap;
    }
    MSE_CHECK_OUT(mse_keyindex_reserve(&c->uris));
    mse_keyindex_put(&c->uris, c, hash, c->n);
    c->v[c->n++] = (struct tf){uri, sha, realpath};
    return MSE_OK;
out:
    free(uri);
    mse_toml_free(sha);
    free(realpath);
    return err;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *known_sha(const struct ctx *c, const char *path)
{
    for (size_t k = 0; k < c->nknown; k++)
        if (strcmp(c->known[k].path, path) == 0)
            return c->known[k].sha256;
    return NULL;
}

/* Byte order with '/' below every other byte: the order of a depth-first walk
 * that sorts the names of each directory (a directory's files come where its
 * name sorts, before "name-x" and "name.x"). */
static int cmp_walk(const void *a, const void *b)
{
    const unsigned char *x = (const unsigned char *)(*(const struct mse_known_file *const *)a)->path;
    const unsigned char *y = (const unsigned char *)(*(const struct mse_known_file *const *)b)->path;
    for (; *x && *x == *y; x++, y++)
        ;
    int rx = *x == '/' ? 1 : *x == 0 ? 0 : *x + 1;
    int ry = *y == '/' ? 1 : *y == 0 ? 0 : *y + 1;
    return rx - ry;
}

/* expand_directory() over the known files: those whose path lies under dir. */
static mse_err expand_known_dir(struct ctx *c, const char *dir)
{
    mse_err err = MSE_OK;
    size_t dl = strlen(dir), n = 0;
    const struct mse_known_file **v = calloc(c->nknown ? c->nknown : 1, sizeof *v);
    MSE_ENSURE(v != NULL, MSE_ERR_NOMEM);
    for (size_t k = 0; k < c->nknown; k++) {
        const char *p = c->known[k].path;
        bool under = strcmp(dir, "/") == 0 ? p[0] == '/' && p[1] != '\0'
                                           : strncmp(p, dir, dl) == 0 && p[dl] == '/';
        if (under)
            v[n++] = &c->known[k];
    }
    /* The known files usually come in this order already (the code as listed): then
     * checking it is all the sort costs. */
    bool sorted = true;
    for (size_t k = 1; sorted && k < n; k++)
        sorted = cmp_walk(&v[k - 1], &v[k]) <= 0;
    if (!sorted)
        qsort(v, n, sizeof *v, cmp_walk);
    for (size_t k = 0; k < n; k++) {
        /* "file:" path, copied by hand (asprintf cost more than the rest of this loop). No
         * real path: a known file carries its hash, so it is never read. */
        size_t pl = strlen(v[k]->path);
        char *uri = pl < SIZE_MAX - 6 ? malloc(pl + 6) : NULL;
        struct mse_toml *sha = mse_toml_new_string(v[k]->sha256, 64);
        if (!uri || !sha) {
            free(uri);
            mse_toml_free(sha);
            MSE_GOTO_OUT(MSE_ERR_NOMEM);
        }
        memcpy(uri, "file:", 5);
        memcpy(uri + 5, v[k]->path, pl + 1);
        MSE_CHECK_OUT(add_tf(c, uri, sha, NULL));
    }
out:
    free(v);
    return err;
}

static mse_err expand(struct ctx *c, char *uri, struct mse_toml *sha, char *realpath, int depth);

/* One directory entry: TrustedFile.from_realpath(), then expand_directory() on it. */
static mse_err expand_child(struct ctx *c, const char *child, int depth)
{
    char *uri = NULL, *rp = NULL;
    bool dir = is_dir(child);
    if (!is_file(child) && !dir)
        return MSE_OK;
    if (access(child, R_OK) != 0)
        return MSE_OK;
    if (is_symlink(child) && dir)
        return MSE_OK; /* symlinked directories are not descended into */
    const char *path = child;
    char *abs = NULL;
    if (c->root) {
        size_t rl = strlen(c->root);
        if (strcmp(c->root, ".") == 0) {
            path = child;
        } else {
            /* child lies under the root: strip it (PurePath.relative_to). */
            if (strncmp(child, c->root, rl) != 0 || (child[rl] != '/' && c->root[rl - 1] != '/'))
                return fail(c, MSE_ERR_MANIFEST, "%s is not inside the root", child);
            path = child + rl;
        }
        while (*path == '/')
            path++;
        if (asprintf(&abs, "/%s", path) < 0)
            return MSE_ERR_NOMEM;
        path = abs;
    }
    int r = asprintf(&uri, "file:%s%s", path, dir ? "/" : "");
    free(abs);
    MSE_ENSURE(r >= 0, MSE_ERR_NOMEM);
    mse_err err = tf_realpath(c, uri, &rp);
    if (err != MSE_OK) {
        free(uri);
        return err;
    }
    return expand(c, uri, NULL, rp, depth + 1);
}

/* TrustedFile.expand_directory(recursive=True, skip_inaccessible=True); takes ownership. */
static mse_err expand(struct ctx *c, char *uri, struct mse_toml *sha, char *realpath, int depth)
{
    mse_err err = MSE_OK;
    DIR *d = NULL;
    char **names = NULL;
    size_t nn = 0, capn = 0;
    size_t ul = strlen(uri);
    if (c->known_only) {
        if (ul == 0 || uri[ul - 1] != '/')
            return add_tf(c, uri, sha, realpath);
        if (sha)
            MSE_GOTO_OUT(fail(c, MSE_ERR_MANIFEST, "Directory URI ('%s') has sha256 specified",
                              uri));
        err = expand_known_dir(c, realpath);
        goto out;
    }
    if (ul == 0 || uri[ul - 1] != '/') {
        if (is_dir(realpath))
            MSE_GOTO_OUT(fail(c, MSE_ERR_MANIFEST, "Directory URI ('%s') does not end with \"/\"",
                              uri));
        return add_tf(c, uri, sha, realpath);
    }
    if (!is_dir(realpath))
        MSE_GOTO_OUT(fail(c, MSE_ERR_MANIFEST, "URI '%s' ends with \"/\" but is not a directory",
                          uri));
    if (sha)
        MSE_GOTO_OUT(fail(c, MSE_ERR_MANIFEST, "Directory URI ('%s') has sha256 specified", uri));
    MSE_ENSURE_OUT(depth < 256, fail(c, MSE_ERR_LIMIT, "directories nested too deep: %s", uri));
    d = opendir(realpath);
    MSE_ENSURE_OUT(d != NULL, fail(c, MSE_ERR_IO, "cannot list %s: %s", realpath, strerror(errno)));
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        /* tomli-w cannot write names that are not UTF-8; Gramine fails on them too. */
        MSE_ENSURE_OUT(mse_toml_utf8_valid(e->d_name, strlen(e->d_name)),
                       fail(c, MSE_ERR_UNSUPPORTED, "file name is not UTF-8 in %s", realpath));
        if (nn == capn) {
            size_t ncap = capn ? capn * 2 : 32;
            char **nv = realloc(names, ncap * sizeof *nv);
            MSE_ENSURE_OUT(nv != NULL, MSE_ERR_NOMEM);
            names = nv;
            capn = ncap;
        }
        names[nn] = xstrdup(e->d_name);
        MSE_ENSURE_OUT(names[nn] != NULL, MSE_ERR_NOMEM);
        nn++;
    }
    /* sorted(Path.glob('*')): same parent, so byte order of the names (UTF-8 keeps code point order). */
    if (nn)
        qsort(names, nn, sizeof *names, cmp_names);
    for (size_t k = 0; k < nn; k++) {
        char *child = pjoin(realpath, names[k]);
        MSE_ENSURE_OUT(child != NULL, MSE_ERR_NOMEM);
        err = expand_child(c, child, depth);
        free(child);
        if (err != MSE_OK)
            goto out;
    }
out:
    if (d)
        closedir(d);
    for (size_t k = 0; k < nn; k++)
        free(names[k]);
    free(names);
    free(uri);
    mse_toml_free(sha);
    free(realpath);
    return err;
}

mse_err mse_file_sha256_hex(const char *path, char hex[65])
{
    mse_err err = MSE_OK;
    uint8_t buf[65536], md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? MSE_ERR_FILE_NOT_FOUND : MSE_ERR_IO;
    ctx = EVP_MD_CTX_new();
    MSE_ENSURE_OUT(ctx != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1, MSE_ERR_CRYPTO);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        MSE_ENSURE_OUT(n >= 0, MSE_ERR_IO);
        if (n == 0)
            break;
        MSE_ENSURE_OUT(EVP_DigestUpdate(ctx, buf, (size_t)n) == 1, MSE_ERR_CRYPTO);
    }
    MSE_ENSURE_OUT(EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32, MSE_ERR_CRYPTO);
    mse_hex_encode(md, 32, hex);
out:
    EVP_MD_CTX_free(ctx);
    close(fd);
    return err;
}

static mse_err hash_into(struct ctx *c, const char *path, struct mse_toml **out)
{
    char hex[65];
    const char *known = known_sha(c, path);
    if (known) {
        *out = mse_toml_new_string(known, 64);
        MSE_ENSURE(*out != NULL, MSE_ERR_NOMEM);
        return MSE_OK;
    }
    if (c->known_only)
        return fail(c, MSE_ERR_RUNTIME,
                    "trusted file '%s' is neither a runtime file of the lock nor app code", path);
    mse_err err = mse_file_sha256_hex(path, hex);
    if (err == MSE_ERR_FILE_NOT_FOUND)
        return fail(c, err, "Missing trusted file: '%s'", path);
    if (err != MSE_OK)
        return fail(c, err, "cannot read %s", path);
    *out = mse_toml_new_string(hex, 64);
    MSE_ENSURE(*out != NULL, MSE_ERR_NOMEM);
    return MSE_OK;
}

static mse_err expand_trusted(struct ctx *c, struct mse_toml *sgx)
{
    struct mse_toml *list = mse_toml_get(sgx, "trusted_files");
    for (size_t k = 0; k < list->n; k++) {
        struct mse_toml *e = list->items[k];
        struct mse_toml *uri = mse_toml_get(e, "uri"), *sha = mse_toml_get(e, "sha256");
        /* TrustedFile.from_manifest(): only uri and sha256 keys. */
        MSE_ENSURE(e->n == 1u + (sha != NULL),
                   fail(c, MSE_ERR_MANIFEST, "Leftover trusted file items in entry %zu", k));
        MSE_ENSURE(uri->type == MSE_TOML_STRING && strlen(uri->s) == uri->slen,
                   fail(c, MSE_ERR_MANIFEST, "trusted file URI is not a string"));
        char *u = xstrdup(uri->s), *rp = NULL;
        struct mse_toml *sc = sha ? mse_toml_clone(sha) : NULL;
        mse_err err = (u && (!sha || sc)) ? tf_realpath(c, u, &rp) : MSE_ERR_NOMEM;
        if (err != MSE_OK) {
            free(u);
            mse_toml_free(sc);
            return err;
        }
        MSE_TRY(expand(c, u, sc, rp, 0));
    }
    for (size_t k = 0; k < c->n; k++)
        if (!c->v[k].sha)
            MSE_TRY(hash_into(c, c->v[k].realpath, &c->v[k].sha));
    struct mse_toml *out = mse_toml_new(MSE_TOML_ARRAY);
    MSE_ENSURE(out != NULL, MSE_ERR_NOMEM);
    MSE_TRY(mse_toml_set(sgx, "trusted_files", out));
    for (size_t k = 0; k < c->n; k++) {
        struct mse_toml *t = mse_toml_new(MSE_TOML_TABLE);
        MSE_ENSURE(t != NULL, MSE_ERR_NOMEM);
        MSE_TRY(mse_toml_push(out, t));
        MSE_TRY(mse_toml_set(t, "uri", mse_toml_new_string(c->v[k].uri, strlen(c->v[k].uri))));
        struct mse_toml *sha = c->v[k].sha;
        c->v[k].sha = NULL;
        MSE_TRY(mse_toml_set(t, "sha256", sha));
    }
    return MSE_OK;
}

mse_err mse_manifest_expand(const uint8_t *manifest, size_t len, const struct mse_expand_opts *opts,
                            char **out, size_t *out_len, char *errbuf, size_t errlen)
{
    mse_err err = MSE_OK;
    struct ctx c = {.errbuf = errbuf, .errlen = errlen};
    struct mse_toml *root = NULL, *entry = NULL;
    char *rootnorm = NULL, *epath = NULL;
    size_t line = 0;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    err = mse_toml_parse(manifest, len, &root, &line);
    if (err != MSE_OK)
        MSE_GOTO_OUT(fail(&c, err, "manifest is not valid TOML (line %zu)", line));
    if (opts) {
        c.known = opts->known;
        c.nknown = opts->nknown;
        c.known_only = opts->known_only;
    }
    MSE_ENSURE_OUT(!(c.known_only && opts->root),
                   fail(&c, MSE_ERR_ARG, "a chroot and known files only do not go together"));
    if (opts && opts->root) {
        rootnorm = pp_norm(opts->root);
        MSE_ENSURE_OUT(rootnorm != NULL, MSE_ERR_NOMEM);
        MSE_ENSURE_OUT(is_dir(rootnorm),
                       fail(&c, MSE_ERR_FILE_NOT_FOUND, "root %s is not a directory", opts->root));
        c.root = rootnorm;
    }
    const char *def = opts && opts->default_libos ? opts->default_libos
                                                  : "file:" MSE_GRAMINE_DEFAULT_LIBOS;
    err = mse_manifest_defaults(root, def, &entry);
    if (err != MSE_OK)
        MSE_GOTO_OUT(fail(&c, err, "manifest has a value of the wrong type in sgx or loader"));
    if (entry) {
        /* The LibOS is hashed on the host (no chroot), from PurePosixPath(uri[5:]). */
        struct mse_toml *uri = mse_toml_get(entry, "uri"), *sha = NULL;
        epath = pp_norm(uri->s + 5);
        MSE_ENSURE_OUT(epath != NULL, MSE_ERR_NOMEM);
        MSE_CHECK_OUT(hash_into(&c, epath, &sha));
        MSE_CHECK_OUT(mse_toml_set(entry, "sha256", sha));
    }
    MSE_CHECK_OUT(expand_trusted(&c, mse_toml_get(root, "sgx")));
    err = mse_toml_write_ex(root, mse_py_float_repr, out, out_len);
    if (err != MSE_OK)
        MSE_GOTO_OUT(fail(&c, err, "manifest holds a value mse cannot serialize like tomli-w"));
    if (opts && opts->attrs) {
        err = mse_manifest_attrs(root, opts->attrs);
        if (err != MSE_OK) {
            free(*out);
            *out = NULL;
            MSE_GOTO_OUT(fail(&c, err, "manifest has no valid sgx.enclave_size or sgx.max_threads"));
        }
    }
out:
    for (size_t k = 0; k < c.n; k++) {
        free(c.v[k].uri);
        mse_toml_free(c.v[k].sha);
        free(c.v[k].realpath);
    }
    free(c.v);
    mse_keyindex_free(&c.uris);
    mse_toml_free(root);
    free(rootnorm);
    free(epath);
    return err;
}
