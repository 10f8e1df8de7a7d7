/*
 * Runtime files on this machine (runtime.h): the search path, the runtime
 * directory's lock and template, and files found by their SHA-256.
 * This is the measurement room's file-reading part; runtime.c stays pure.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/toml.h>

#include "measure/runtime.h"
#include "util/util.h"

#ifndef MSE_RUNTIME_BUILD_DIR
#define MSE_RUNTIME_BUILD_DIR ""
#endif
#ifndef MSE_RUNTIME_INSTALL_DIR
#define MSE_RUNTIME_INSTALL_DIR "/usr/share/mse/runtime"
#endif

#define MAX_DIR_ENTRIES 256

static mse_err add_dir(struct mse_runtime_path *p, const char *dir, size_t len)
{
    if (len == 0)
        return MSE_OK;
    for (size_t k = 0; k < p->n; k++)
        if (strlen(p->dirs[k]) == len && memcmp(p->dirs[k], dir, len) == 0)
            return MSE_OK;
    MSE_ENSURE(p->n < MSE_RUNTIME_PATH_MAX, MSE_ERR_LIMIT);
    p->dirs[p->n] = strndup(dir, len);
    MSE_ENSURE(p->dirs[p->n] != NULL, MSE_ERR_NOMEM);
    p->n++;
    return MSE_OK;
}

void mse_runtime_path_free(struct mse_runtime_path *p)
{
    for (size_t k = 0; k < p->n; k++)
        free(p->dirs[k]);
    p->n = 0;
}

mse_err mse_runtime_path_init(struct mse_runtime_path *p, const char *extra_dir)
{
    mse_err err = MSE_OK;
    memset(p, 0, sizeof *p);
    if (extra_dir)
        MSE_CHECK_OUT(add_dir(p, extra_dir, strlen(extra_dir)));
    const char *env = getenv(MSE_RUNTIME_PATH_ENV);
    for (const char *s = env; s && *s;) {
        size_t n = strcspn(s, ":");
        MSE_CHECK_OUT(add_dir(p, s, n));
        s += n + (s[n] == ':');
    }
    /* An installed tree may be moved (cmake --install --prefix P): look beside the program. */
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash && (size_t)(slash - exe) + sizeof "/../share/mse/runtime" <= sizeof exe) {
            strcpy(slash, "/../share/mse/runtime");
            MSE_CHECK_OUT(add_dir(p, exe, strlen(exe)));
        }
    }
    MSE_CHECK_OUT(add_dir(p, MSE_RUNTIME_BUILD_DIR, strlen(MSE_RUNTIME_BUILD_DIR)));
    MSE_CHECK_OUT(add_dir(p, MSE_RUNTIME_INSTALL_DIR, strlen(MSE_RUNTIME_INSTALL_DIR)));
    return MSE_OK;
out:
    mse_runtime_path_free(p);
    return err;
}

/* The directories, ':'-separated, for messages. */
static void path_text(const struct mse_runtime_path *p, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < p->n && used < len; k++) {
        int n = snprintf(buf + used, len - used, "%s%s", k ? ":" : "", p->dirs[k]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static mse_err join(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    MSE_ENSURE(n > 0 && (size_t)n < len, MSE_ERR_LIMIT);
    return MSE_OK;
}

static bool is_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

mse_err mse_runtime_load(const struct mse_runtime_path *p, struct mse_toml **rt, char *errbuf,
                         size_t errlen)
{
    char lock[4096], tpl[4096], dirs[1024];
    uint8_t *data = NULL;
    size_t len = 0, line = 0;
    for (size_t k = 0; k < p->n; k++) {
        MSE_TRY(join(lock, sizeof lock, p->dirs[k], MSE_RUNTIME_LOCK_FILE));
        if (!is_regular(lock))
            continue;
        MSE_TRY(join(tpl, sizeof tpl, p->dirs[k], MSE_RUNTIME_TEMPLATE_FILE));
        mse_err err = mse_file_read(lock, MSE_RUNTIME_TEMPLATE_LIMIT, &data, &len);
        if (err != MSE_OK)
            return mse_say(errbuf, errlen, err, "%s: %s", lock, mse_err_str(err));
        err = mse_toml_parse(data, len, rt, &line);
        free(data);
        if (err != MSE_OK)
            return mse_say(errbuf, errlen, err, "%s is not valid TOML (line %zu)", lock, line);
        err = mse_runtime_check(*rt, true, errbuf, errlen);
        if (err == MSE_OK) {
            err = mse_file_read(tpl, MSE_RUNTIME_TEMPLATE_LIMIT, &data, &len);
            if (err != MSE_OK)
                err = mse_say(errbuf, errlen, err, "%s: %s", tpl, mse_err_str(err));
        }
        if (err == MSE_OK) {
            err = mse_toml_set(*rt, "template", mse_toml_new_string((char *)data, len));
            free(data);
        }
        if (err != MSE_OK) {
            mse_toml_free(*rt);
            *rt = NULL;
        }
        return err;
    }
    path_text(p, dirs, sizeof dirs);
    return mse_say(errbuf, errlen, MSE_ERR_RUNTIME_FILE,
                   "no %s in the runtime path %s (build the project, install it, or set %s)",
                   MSE_RUNTIME_LOCK_FILE, dirs, MSE_RUNTIME_PATH_ENV);
}

/* Whether the file at path has this SHA-256; if so its bytes go to *data. */
static bool file_matches(const char *path, const char *sha256_hex, uint8_t **data, size_t *len)
{
    uint8_t md[32];
    char hex[65];
    if (!is_regular(path) || mse_file_read(path, MSE_RUNTIME_FILE_LIMIT, data, len) != MSE_OK)
        return false;
    if (EVP_Digest(*data, *len, md, NULL, EVP_sha256(), NULL) == 1) {
        mse_hex_encode(md, 32, hex);
        if (strcmp(hex, sha256_hex) == 0)
            return true;
    }
    free(*data);
    *data = NULL;
    return false;
}

static bool find_in_dir(const char *dir, const char *name, const char *sha256_hex, uint8_t **data,
                        size_t *len)
{
    char path[4096];
    if (join(path, sizeof path, dir, name) == MSE_OK && file_matches(path, sha256_hex, data, len))
        return true;
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    size_t seen = 0;
    for (struct dirent *e; !found && seen < MAX_DIR_ENTRIES && (e = readdir(d)) != NULL; seen++) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, name) == 0)
            continue;
        found = join(path, sizeof path, dir, e->d_name) == MSE_OK &&
                file_matches(path, sha256_hex, data, len);
    }
    closedir(d);
    return found;
}

mse_err mse_runtime_find_file(const struct mse_runtime_path *p, const char *name,
                              const char *sha256_hex, uint8_t **data, size_t *len, char *errbuf,
                              size_t errlen)
{
    char dirs[1024];
    for (size_t k = 0; k < p->n; k++)
        if (find_in_dir(p->dirs[k], name, sha256_hex, data, len))
            return MSE_OK;
    path_text(p, dirs, sizeof dirs);
    return mse_say(errbuf, errlen, MSE_ERR_RUNTIME_FILE,
                   "runtime file %s with sha256 %s not found in %s (get the runtime this "
                   "context names, then add its directory to %s)",
                   name, sha256_hex, dirs, MSE_RUNTIME_PATH_ENV);
}

mse_err mse_runtime_fingerprint(const struct mse_toml *rt, const struct mse_runtime_path *p,
                                const struct mse_known_file *extra, size_t nextra,
                                uint8_t mrenclave[32], char **manifest_sgx,
                                size_t *manifest_sgx_len, char *errbuf, size_t errlen)
{
    uint8_t *libpal = NULL;
    size_t libpal_len = 0;
    MSE_TRY(mse_runtime_check(rt, false, errbuf, errlen));
    MSE_TRY(mse_runtime_find_file(p, MSE_RUNTIME_LIBPAL_FILE,
                                  mse_toml_get(rt, "libpal_sha256")->s, &libpal, &libpal_len,
                                  errbuf, errlen));
    mse_err err = mse_runtime_measure(rt, extra, nextra, libpal, libpal_len, mrenclave,
                                      manifest_sgx, manifest_sgx_len, errbuf, errlen);
    free(libpal);
    return err;
}
