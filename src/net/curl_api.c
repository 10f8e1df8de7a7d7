/* libcurl, loaded on first use (curl_api.h). */
#include "net/curl_api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

/* Written once, by load() under pthread_once; read-only afterwards. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static struct mse_curl curl_fns;
static bool curl_loaded;
static char curl_failure[256];

/* dlsym's object pointer stored into a function pointer member, as POSIX allows. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function and object pointers differ");

static bool take(void *lib, const char *name, void *member)
{
    void *p = dlsym(lib, name);
    if (p == NULL) {
        const char *e = dlerror();
        snprintf(curl_failure, sizeof curl_failure, "%s has no %s (%s)", MSE_CURL_SONAME, name,
                 e ? e : "not found");
        return false;
    }
    memcpy(member, &p, sizeof p);
    return true;
}

static void load(void)
{
    /* RTLD_LOCAL: libcurl's symbols serve this table only, not later lookups. */
    void *lib = dlopen(MSE_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        const char *e = dlerror();
        snprintf(curl_failure, sizeof curl_failure, "%s", e ? e : MSE_CURL_SONAME);
        return;
    }
    struct mse_curl *f = &curl_fns;
#define TAKE(member) take(lib, "curl_" #member, &f->member)
    bool ok = TAKE(easy_init) && TAKE(easy_setopt) && TAKE(easy_perform) && TAKE(easy_getinfo) &&
              TAKE(easy_cleanup) && TAKE(easy_strerror) && TAKE(multi_init) &&
              TAKE(multi_add_handle) && TAKE(multi_remove_handle) && TAKE(multi_perform) &&
              TAKE(multi_poll) && TAKE(multi_info_read) && TAKE(multi_cleanup) &&
              TAKE(slist_append) && TAKE(slist_free_all) && TAKE(getdate);
#undef TAKE
    __typeof__(curl_global_init) *global_init = NULL;
    ok = ok && take(lib, "curl_global_init", &global_init);
    /* Once, here, before any handle: curl_global_init is not thread-safe before 7.84. */
    if (ok && global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(curl_failure, sizeof curl_failure, "curl_global_init failed");
        ok = false;
    }
    if (!ok) {
        memset(f, 0, sizeof *f);
        dlclose(lib);
        return;
    }
    curl_loaded = true;
}

MSE_MUST_USE mse_err mse_curl_api(const struct mse_curl **api, char *why, size_t why_cap)
{
    *api = NULL;
    if (pthread_once(&curl_once, load) != 0 || !curl_loaded)
        return mse_say(why, why_cap, MSE_ERR_INTERNAL,
                       "cannot load libcurl, which mse needs for HTTP (Debian package "
                       "libcurl4): %s",
                       curl_failure[0] ? curl_failure : "pthread_once failed");
    *api = &curl_fns;
    return MSE_OK;
}
