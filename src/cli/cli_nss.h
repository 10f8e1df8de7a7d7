/*
 * The NSS database Chrome and Chromium read on Linux, driven through NSS's
 * own certutil (Debian libnss3-tools): locate, create, import with peer
 * trust, delete, list. Every function returns mse_err with a one-line
 * reason and prints nothing; certutil's own message is appended to the
 * reason when it refused.
 */
#ifndef MSE_CLI_NSS_H
#define MSE_CLI_NSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

struct cli_nssdb {
    char dir[4096]; /* the directory */
    char arg[4101]; /* "sql:" + dir, certutil's -d argument */
};

/* --nssdb DIR, else $HOME/.pki/nssdb (Chrome's rule: $HOME, else the password database). */
MSE_MUST_USE mse_err cli_nssdb_resolve(const char *given, struct cli_nssdb *db, char *why,
                                       size_t why_cap);

/*
 * One `mse trust` at a time on a database: an exclusive flock(2) on
 * <dir>/mse-trust.lock (the directory made 0700 if missing), waited for at
 * most CLI_NSSDB_LOCK_WAIT_MS. *fd holds it; closing it releases it.
 */
#define CLI_NSSDB_LOCK_FILE "mse-trust.lock"
#define CLI_NSSDB_LOCK_WAIT_MS 60000
MSE_MUST_USE mse_err cli_nssdb_lock(const struct cli_nssdb *db, int *fd, char *why,
                                    size_t why_cap);

/* Whether the directory holds an NSS SQL database (cert9.db). */
bool cli_nssdb_exists(const struct cli_nssdb *db);

/* An empty database with an empty password; missing directories are made 0700. */
MSE_MUST_USE mse_err cli_nssdb_create(const struct cli_nssdb *db, char *why, size_t why_cap);

/* Remove every certificate stored under name (NSS deletes one per call); *deleted counts them. */
MSE_MUST_USE mse_err cli_nssdb_delete_all(const struct cli_nssdb *db, const char *name,
                                          int *deleted, char *why, size_t why_cap);

/*
 * Import exactly der under name with peer trust "P,," (through a private
 * temporary file, so the bytes cannot change between the caller's checks
 * and the import), then read the flags back: anything but "P,," is an error,
 * and so is any other entry listed differently than before (the database
 * already held this certificate under another nickname: that entry's trust
 * is put back).
 * A half-added entry (certificate stored, trust refused) is removed.
 */
MSE_MUST_USE mse_err cli_nssdb_add_peer(const struct cli_nssdb *db, const char *name,
                                        const uint8_t *der, size_t der_len, char *why,
                                        size_t why_cap);

/*
 * Whether one of the certificates certutil shows under name (certutil -L -n
 * NAME -a, which may add others with the same subject) has this SHA-256 of
 * its DER. *holds is false when the name is not there.
 */
MSE_MUST_USE mse_err cli_nssdb_name_holds(const struct cli_nssdb *db, const char *name,
                                          const uint8_t sha256[32], bool *holds, char *why,
                                          size_t why_cap);

/* certutil -L: the table of nicknames and trust flags (malloc'd). */
MSE_MUST_USE mse_err cli_nssdb_list(const struct cli_nssdb *db, char **listing, char *why,
                                    size_t why_cap);

/*
 * The trust flags the listing shows for name ("P,," ...), "" if it is not
 * there. The nickname is the whole first column, never a prefix of another.
 */
void cli_nss_listed_flags(const char *listing, const char *name, char *flags, size_t cap);

#endif
