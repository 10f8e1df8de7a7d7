/*
 * NSS through certutil (cli_nss.h). certutil is started with posix_spawn and
 * an argv array, never a shell, in a session of its own with stdin from
 * /dev/null, so it cannot prompt (cli_proc.h); nicknames reaching it are
 * checked by cli_trust_name_ok first and so can never read as options.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "cli_nss.h"
#include "cli_proc.h"
#include "util/util.h"

#define CERTUTIL "certutil"
#define CERTUTIL_TIMEOUT_MS 60000
#define CERTUTIL_OUTPUT_LIMIT (256u << 10)
/* NSS keeps one entry per certificate under a nickname; a name has a handful at most. */
#define MAX_DELETE_ROUNDS 32

mse_err cli_nssdb_resolve(const char *given, struct cli_nssdb *db, char *why, size_t why_cap)
{
    int n;
    if (given) {
        n = snprintf(db->dir, sizeof db->dir, "%s", given);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home) {
            const struct passwd *pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : NULL;
        }
        if (!home || !*home)
            return mse_say(why, why_cap, MSE_ERR_ARG_MISSING,
                           "cannot locate the NSS database: set HOME or --nssdb");
        n = snprintf(db->dir, sizeof db->dir, "%s/.pki/nssdb", home);
    }
    if (n <= 0 || (size_t)n >= sizeof db->dir)
        return mse_say(why, why_cap, MSE_ERR_ARG, "NSS database path too long");
    snprintf(db->arg, sizeof db->arg, "sql:%s", db->dir);
    return MSE_OK;
}

bool cli_nssdb_exists(const struct cli_nssdb *db)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cert9.db", db->dir);
    return access(path, F_OK) == 0;
}

/* mkdir -p with mode 0700 for every directory it creates. */
MSE_MUST_USE static mse_err mkdirs(const char *dir)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s", dir);
    MSE_ENSURE(n > 0 && (size_t)n < sizeof path, MSE_ERR_ARG);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return MSE_ERR_FILE_WRITE;
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return MSE_ERR_FILE_WRITE;
    return MSE_OK;
}

/* Run certutil: *status and *output (malloc'd) as cli_proc_capture; a spawn failure explained. */
MSE_MUST_USE static mse_err certutil(char *const argv[], int *status, char **output, char *why,
                                     size_t why_cap)
{
    size_t len = 0;
    mse_err err = cli_proc_capture(argv, CERTUTIL_OUTPUT_LIMIT, CERTUTIL_TIMEOUT_MS, status,
                                   output, &len);
    if (err == MSE_ERR_FILE_NOT_FOUND)
        return mse_say(why, why_cap, err,
                       "certutil not found in PATH: install NSS's tools (Debian/Ubuntu: apt-get "
                       "install libnss3-tools)");
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "could not run certutil (status %d)", *status);
    return MSE_OK;
}

/* certutil that must exit 0; otherwise MSE_ERR_IO with "<what>:\n<certutil's output>". */
MSE_MUST_USE static mse_err certutil_ok(char *const argv[], char **output, char *why,
                                        size_t why_cap, const char *what)
{
    int status = 0;
    char *out = NULL;
    MSE_TRY(certutil(argv, &status, &out, why, why_cap));
    if (status != 0) {
        mse_err err = mse_say(why, why_cap, MSE_ERR_IO, "%s:\n%s", what, out ? out : "");
        free(out);
        return err;
    }
    if (output)
        *output = out;
    else
        free(out);
    return MSE_OK;
}

mse_err cli_nssdb_create(const struct cli_nssdb *db, char *why, size_t why_cap)
{
    char what[4200];
    if (mkdirs(db->dir) != MSE_OK)
        return mse_say(why, why_cap, MSE_ERR_FILE_WRITE, "cannot create the directory %s",
                       db->dir);
    char *argv[] = {CERTUTIL, "-N", "-d", (char *)db->arg, "--empty-password", NULL};
    snprintf(what, sizeof what, "certutil could not create the NSS database %s", db->dir);
    return certutil_ok(argv, NULL, why, why_cap, what);
}

/* Whether NAME is in the database (certutil -L -n NAME succeeds). */
MSE_MUST_USE static mse_err nssdb_has(const struct cli_nssdb *db, const char *name, bool *has,
                                      char *why, size_t why_cap)
{
    int status = 0;
    char *output = NULL;
    char *argv[] = {CERTUTIL, "-L", "-d", (char *)db->arg, "-n", (char *)name, NULL};
    MSE_TRY(certutil(argv, &status, &output, why, why_cap));
    free(output);
    *has = status == 0;
    return MSE_OK;
}

mse_err cli_nssdb_delete_all(const struct cli_nssdb *db, const char *name, int *deleted,
                             char *why, size_t why_cap)
{
    char what[4400];
    snprintf(what, sizeof what, "certutil could not remove '%s' from %s", name, db->dir);
    *deleted = 0;
    for (int round = 0; round < MAX_DELETE_ROUNDS; round++) {
        bool has = false;
        MSE_TRY(nssdb_has(db, name, &has, why, why_cap));
        if (!has)
            return MSE_OK;
        char *argv[] = {CERTUTIL, "-D", "-d", (char *)db->arg, "-n", (char *)name, NULL};
        MSE_TRY(certutil_ok(argv, NULL, why, why_cap, what));
        (*deleted)++;
    }
    return mse_say(why, why_cap, MSE_ERR_IO, "'%s' is still in %s after %d removals", name,
                   db->dir, MAX_DELETE_ROUNDS);
}

/* Write DER to a fresh private directory; returns the file path (both malloc'd). */
MSE_MUST_USE static mse_err write_temp_der(const uint8_t *der, size_t len, char **dir, char **file)
{
    const char *base = getenv("TMPDIR");
    *dir = NULL;
    *file = NULL;
    if (asprintf(dir, "%s/mse-trust-XXXXXX", base && *base ? base : "/tmp") < 0) {
        *dir = NULL;
        return MSE_ERR_NOMEM;
    }
    if (!mkdtemp(*dir)) {
        free(*dir);
        *dir = NULL;
        return MSE_ERR_FILE_WRITE;
    }
    if (asprintf(file, "%s/cert.der", *dir) < 0) {
        *file = NULL;
        return MSE_ERR_NOMEM;
    }
    return mse_file_write_atomic(*file, der, len, 0600);
}

static void remove_temp(char *dir, char *file)
{
    if (file)
        unlink(file);
    if (dir)
        rmdir(dir);
    free(file);
    free(dir);
}

mse_err cli_nssdb_name_holds(const struct cli_nssdb *db, const char *name,
                             const uint8_t sha256[32], bool *holds, char *why, size_t why_cap)
{
    int status = 0;
    char *pem = NULL;
    char *argv[] = {CERTUTIL, "-L", "-d", (char *)db->arg, "-n", (char *)name, "-a", NULL};
    *holds = false;
    MSE_TRY(certutil(argv, &status, &pem, why, why_cap));
    BIO *bio = status == 0 && pem ? BIO_new_mem_buf(pem, -1) : NULL;
    char *type = NULL, *header = NULL;
    unsigned char *der = NULL;
    long der_len = 0;
    /* Every CERTIFICATE block certutil printed; a bounded number (its output is bounded). */
    while (bio && !*holds && PEM_read_bio(bio, &type, &header, &der, &der_len) == 1) {
        uint8_t digest[32];
        if (strcmp(type, PEM_STRING_X509) == 0 &&
            EVP_Digest(der, (size_t)der_len, digest, NULL, EVP_sha256(), NULL) == 1)
            *holds = mse_ct_eq(digest, sha256, sizeof digest);
        OPENSSL_free(type);
        OPENSSL_free(header);
        OPENSSL_free(der);
        type = header = NULL;
        der = NULL;
    }
    ERR_clear_error();
    BIO_free(bio);
    free(pem);
    return MSE_OK;
}

mse_err cli_nssdb_list(const struct cli_nssdb *db, char **listing, char *why, size_t why_cap)
{
    char what[4200];
    char *argv[] = {CERTUTIL, "-L", "-d", (char *)db->arg, NULL};
    snprintf(what, sizeof what, "certutil could not list %s", db->dir);
    *listing = NULL;
    return certutil_ok(argv, listing, why, why_cap, what);
}

/*
 * One line of certutil -L's table: the nickname, padded with spaces, then the
 * trust flags, which never contain a space (e.g. "my app    CT,C,C"). So the
 * flags are the last word and the nickname is everything before them, spaces
 * included ("leaf x" is one nickname, never "leaf" with flags "x"). False
 * for lines without both parts.
 */
static bool listing_entry(const char *line, size_t llen, size_t *nick_len, const char **flags,
                          size_t *flags_len)
{
    while (llen > 0 && (line[llen - 1] == ' ' || line[llen - 1] == '\r'))
        llen--;
    size_t f = llen;
    while (f > 0 && line[f - 1] != ' ')
        f--;
    size_t n = f;
    while (n > 0 && line[n - 1] == ' ')
        n--;
    if (f == llen || n == 0 || n == f)
        return false;
    *nick_len = n;
    *flags = line + f;
    *flags_len = llen - f;
    return true;
}

/* The line at the cursor (without its newline) into line and llen, then advance; false at the end. */
static bool next_line(const char **cursor, const char **line, size_t *llen)
{
    if (!*cursor || !**cursor)
        return false;
    const char *end = strchr(*cursor, '\n');
    *line = *cursor;
    *llen = end ? (size_t)(end - *cursor) : strlen(*cursor);
    *cursor = end ? end + 1 : NULL;
    return true;
}

void cli_nss_listed_flags(const char *listing, const char *name, char *flags, size_t cap)
{
    size_t nlen = strlen(name), llen = 0, nick_len = 0, flags_len = 0;
    const char *cursor = listing, *line = NULL, *f = NULL;
    flags[0] = '\0';
    while (next_line(&cursor, &line, &llen)) {
        if (listing_entry(line, llen, &nick_len, &f, &flags_len) && nick_len == nlen &&
            memcmp(line, name, nlen) == 0) {
            size_t n = flags_len < cap - 1 ? flags_len : cap - 1;
            memcpy(flags, f, n);
            flags[n] = '\0';
            return;
        }
    }
}

/* How many lines of the listing are exactly this one. */
static size_t line_count(const char *listing, const char *line, size_t llen)
{
    size_t count = 0, other_len = 0;
    const char *cursor = listing, *other = NULL;
    while (next_line(&cursor, &other, &other_len))
        count += other_len == llen && memcmp(other, line, llen) == 0;
    return count;
}

/* The nickname as printable ASCII, for a message (a foreign name is anyone's bytes). */
static void printable(const char *s, size_t len, char *out, size_t cap)
{
    size_t i = 0;
    for (; i < len && i + 1 < cap; i++)
        out[i] = s[i] >= 0x20 && s[i] <= 0x7e ? s[i] : '?';
    out[i] = '\0';
}

/*
 * Every entry but NAME's is listed after the import exactly as before. NSS
 * keeps one entry per certificate: importing a certificate that the database
 * already holds under another nickname (the user's own, say "C,C,C") gives
 * that entry the new trust flags and NAME never appears. Such an entry is put
 * back to its old flags (certutil -M) and the import is an error, so mse
 * trust add never changes an entry it did not add, even when it fails. Any
 * other change is reported, never undone: it is not mse's.
 */
MSE_MUST_USE static mse_err others_unchanged(const struct cli_nssdb *db, const char *name,
                                             const char *before, const char *after, char *why,
                                             size_t why_cap)
{
    size_t nlen = strlen(name), llen = 0, nick_len = 0, flags_len = 0;
    const char *cursor = after, *line = NULL, *f = NULL;
    while (next_line(&cursor, &line, &llen)) {
        bool entry = listing_entry(line, llen, &nick_len, &f, &flags_len);
        if (entry && nick_len == nlen && memcmp(line, name, nlen) == 0)
            continue;
        if (line_count(after, line, llen) == line_count(before, line, llen))
            continue;
        char nick[512], shown[512], old_flags[32] = "", new_flags[32] = "";
        if (!entry || nick_len >= sizeof nick)
            return mse_say(why, why_cap, MSE_ERR_IO,
                           "certutil -A changed other entries of %s than '%s':\nbefore:\n%s\n"
                           "after:\n%s",
                           db->dir, name, before, after);
        memcpy(nick, line, nick_len);
        nick[nick_len] = '\0';
        printable(nick, nick_len, shown, sizeof shown);
        printable(f, flags_len < sizeof new_flags ? flags_len : sizeof new_flags - 1, new_flags,
                  sizeof new_flags);
        cli_nss_listed_flags(before, nick, old_flags, sizeof old_flags);
        /* Only what the import itself does is undone: an entry that now
         * reads otherwise than "P,," was changed by someone else meanwhile
         * (the browser, the user), and that change is theirs to keep. */
        if (strcmp(new_flags, "P,,") != 0)
            return mse_say(why, why_cap, MSE_ERR_IO,
                           "'%s' in %s changed from trust %s to %s during the import, not by "
                           "mse trust (another program writing the database?): try again",
                           shown, db->dir, old_flags[0] ? old_flags : "(absent)", new_flags);
        if (!old_flags[0])
            return mse_say(why, why_cap, MSE_ERR_IO,
                           "certutil -A added '%s' (trust %s) to %s, not '%s': the database "
                           "already names this certificate's subject '%s'; remove that entry "
                           "by hand",
                           shown, new_flags, db->dir, name, shown);
        char *modify[] = {CERTUTIL, "-M", "-d", (char *)db->arg, "-n", nick, "-t", old_flags, NULL};
        char what[5400];
        snprintf(what, sizeof what,
                 "this certificate is already in %s as '%s', which mse trust did not add; "
                 "certutil -A changed its trust from %s to %s and could not put it back",
                 db->dir, shown, old_flags, new_flags);
        MSE_TRY(certutil_ok(modify, NULL, why, why_cap, what));
        return mse_say(why, why_cap, MSE_ERR_IO,
                       "this certificate is already in %s as '%s' (trust %s), which mse trust did "
                       "not add: NSS holds a certificate once, so it cannot also be '%s'. Its "
                       "trust is as it was. Remove '%s' first if mse trust should manage it.",
                       db->dir, shown, old_flags, name, shown);
    }
    return MSE_OK;
}

mse_err cli_nssdb_add_peer(const struct cli_nssdb *db, const char *name, const uint8_t *der,
                           size_t der_len, char *why, size_t why_cap)
{
    char *tmp_dir = NULL, *tmp_file = NULL, *before = NULL, *listing = NULL, what[4400];
    /* The table before the import: certutil -A of a certificate the database
     * already holds under another nickname re-flags that entry instead. */
    mse_err err = cli_nssdb_list(db, &before, why, why_cap);
    if (err != MSE_OK)
        goto out;
    err = write_temp_der(der, der_len, &tmp_dir, &tmp_file);
    if (err != MSE_OK) {
        err = mse_say(why, why_cap, err, "cannot write a temporary file: %s", mse_err_str(err));
        goto out;
    }
    char *add_argv[] = {CERTUTIL, "-A", "-d", (char *)db->arg, "-n", (char *)name, "-t", "P,,",
                        "-i",     tmp_file, NULL};
    snprintf(what, sizeof what, "certutil could not add '%s' to %s", name, db->dir);
    err = certutil_ok(add_argv, NULL, why, why_cap, what);
    if (err == MSE_ERR_IO) {
        /* certutil may have stored the certificate before failing to set its
         * trust (a password-protected database): remove that half-added entry,
         * as far as the database lets us. It carries no trust either way. */
        int ignored = 0;
        char cleanup[256];
        if (cli_nssdb_delete_all(db, name, &ignored, cleanup, sizeof cleanup) != MSE_OK) {
            size_t n = strlen(why);
            snprintf(why + n, why_cap - n, "\n('%s' may remain in %s without trust flags)", name,
                     db->dir);
        }
    }
    if (err != MSE_OK)
        goto out;
    /* Read back: the name must now carry exactly peer trust, and nothing else changed. */
    err = cli_nssdb_list(db, &listing, why, why_cap);
    if (err != MSE_OK)
        goto out;
    err = others_unchanged(db, name, before, listing, why, why_cap);
    char flags[32];
    cli_nss_listed_flags(listing, name, flags, sizeof flags);
    if (err == MSE_OK && !flags[0])
        err = mse_say(why, why_cap, MSE_ERR_IO,
                      "'%s' is not in %s after certutil -A: the database already holds this "
                      "certificate under another nickname, with the same trust (NSS holds a "
                      "certificate once); nothing was changed:\n%s",
                      name, db->dir, listing);
    else if (err == MSE_OK && strcmp(flags, "P,,") != 0)
        err = mse_say(why, why_cap, MSE_ERR_IO,
                      "after certutil -A, '%s' is listed with trust '%s', not 'P,,':\n%s", name,
                      flags, listing);
    if (err != MSE_OK && flags[0]) {
        /* Fail closed: no entry of ours with trust beside a failure. */
        int ignored = 0;
        char cleanup[256];
        if (cli_nssdb_delete_all(db, name, &ignored, cleanup, sizeof cleanup) != MSE_OK) {
            size_t n = strlen(why);
            snprintf(why + n, why_cap - n, "\n('%s' may remain in %s)", name, db->dir);
        }
    }
out:
    free(before);
    free(listing);
    remove_temp(tmp_dir, tmp_file);
    return err;
}
