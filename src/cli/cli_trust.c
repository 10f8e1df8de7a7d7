/*
 * mse trust add|remove|list: put a verified RA-TLS certificate into the NSS
 * database Chrome and Chromium read on Linux ($HOME/.pki/nssdb), as a
 * trusted peer, through NSS's own certutil (Debian libnss3-tools).
 *
 * Why peer trust (certutil -t "P,,") and never "C,,": P marks this one
 * certificate as trusted for TLS servers and nothing else; Chromium maps it to
 * a trusted leaf (net/cert/internal/trust_store_nss.cc), so the certificate
 * cannot act as an issuer. C would make the certificate a trust anchor: with
 * a CA:TRUE certificate the enclave's key could then sign a certificate for
 * any site and Chromium would accept it (measured here with Chromium 156, see
 * docs/browser.md), and Chromium rejects a CA:FALSE certificate trusted as C
 * (ERR_CERT_INVALID).
 *
 * Why the verification record: trusting a certificate is only as good as
 * the verification behind it, so `add` refuses a certificate that no
 * successful `mse verify` saved (<cert>.verify.json, whose SHA-256 must be
 * that of the certificate's DER) unless --force is given. The record guards
 * against mistakes (the wrong file, a certificate saved by hand, a failed or
 * older verification), not against someone who can write your files: they
 * could write your NSS database too.
 *
 * Why the marks: the NSS database is the browser's, shared with the user and
 * other programs. `list` shows only the entries mse added and `remove`
 * refuses other names unless --force (cli_trust_marks.h).
 *
 * certutil is started with posix_spawn and an argv array, never a shell; the
 * nickname is restricted to [A-Za-z0-9._-]; the certificate certutil imports
 * is the exact DER that was hashed and checked, written to a private
 * temporary file, so the file cannot change between the check and the import
 * (cli_nss.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/time.h>

#include "cli_trust.h"
#include "util/util.h"

enum trust_opt { T_NAME = 1, T_NSSDB, T_FORCE, T_JSON };

static const struct mse_opt nssdb_options[] = {
    {"nssdb", 0, "DIR", "another NSS database directory (default $HOME/.pki/nssdb)", T_NSSDB,
     MSE_OPT_DIR, MSE_OPT_AT(MSE_OPT_STRING, struct cli_trust_args, nssdb)},
    {0},
};
static const struct mse_opt add_options[] = {
    {"name", 0, "NAME", "nickname in the database ([A-Za-z0-9._-], at most 64)", T_NAME, 0,
     MSE_OPT_AT(MSE_OPT_STRING, struct cli_trust_args, name)},
    {"force", 0, NULL,
     "add without a matching record of your own of a successful `mse verify` that checked the "
     "code fingerprint of a non-debug enclave, outside the certificate's validity, or over an "
     "entry mse did not add (warned)",
     T_FORCE, 0, MSE_OPT_AT(MSE_OPT_TRUE, struct cli_trust_args, force)},
    {0},
};
static const struct mse_opt remove_options[] = {
    {"force", 0, NULL, "remove NAME although mse trust did not add it", T_FORCE, 0,
     MSE_OPT_AT(MSE_OPT_TRUE, struct cli_trust_args, force)},
    {0},
};
static const struct mse_opt list_options[] = {
    CLI_OPT_JSON(struct cli_trust_args, T_JSON, "print the entries as one JSON object"),
    {0},
};
static const struct mse_opt *const add_tables[] = {add_options, nssdb_options, NULL};
static const struct mse_opt *const remove_tables[] = {remove_options, nssdb_options, NULL};
static const struct mse_opt *const list_tables[] = {list_options, nssdb_options, NULL};
static const struct mse_opt *const no_tables[] = {NULL};

static const char *const add_synopsis[] = {"CERT --name NAME [--nssdb DIR] [--force]", NULL};
static const char *const remove_synopsis[] = {"NAME [--nssdb DIR] [--force]", NULL};
static const char *const list_synopsis[] = {"[--nssdb DIR] [--json]", NULL};
static const char *const trust_synopsis[] = {"add CERT --name NAME [--nssdb DIR] [--force]",
                                             "remove NAME [--nssdb DIR] [--force]",
                                             "list [--nssdb DIR] [--json]", NULL};

const struct mse_opt_cmd cli_trust_add_cmd = {
    .name = "mse trust add",
    .summary = "add a certificate saved by a successful mse verify to the browser's NSS store",
    .synopsis = add_synopsis,
    .description =
        "Adds CERT to the NSS database Chrome and Chromium read on Linux, trusted as a peer\n"
        "(\"P,,\": this certificate only, never as a CA), if CERT.verify.json records a\n"
        "successful `mse verify` of exactly this certificate. Restart the browser afterwards.",
    .tables = add_tables,
};
const struct mse_opt_cmd cli_trust_remove_cmd = {
    .name = "mse trust remove",
    .summary = "remove a certificate mse trust added",
    .synopsis = remove_synopsis,
    .description = "Removes every certificate stored under NAME, if mse trust added NAME.",
    .tables = remove_tables,
};
const struct mse_opt_cmd cli_trust_list_cmd = {
    .name = "mse trust list",
    .summary = "list the certificates mse trust added",
    .synopsis = list_synopsis,
    .description = "Lists the entries mse trust added, with their trust flags in the database.",
    .tables = list_tables,
};
const struct mse_opt_cmd cli_trust_cmd = {
    .name = "mse trust",
    .summary = "add a verified certificate to the browser's NSS store",
    .synopsis = trust_synopsis,
    .description =
        "Adds a certificate saved by a successful `mse verify` to the NSS database that\n"
        "Chrome and Chromium read on Linux (default $HOME/.pki/nssdb), trusted as a peer\n"
        "(\"P,,\": this certificate only, never as a CA); removes and lists the entries mse\n"
        "added. Run `mse trust ACTION --help` for an action's options.",
    .tables = no_tables,
};

/* The action's command from argv[1]. */
MSE_MUST_USE static mse_err parse_action(int argc, char **argv, struct cli_trust_args *a,
                                         char *why, size_t why_cap)
{
    a->cmd = &cli_trust_cmd;
    if (argc < 2)
        return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "give an action: add, remove or list");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        a->help = true;
        return MSE_OK;
    }
    static const struct {
        const char *word;
        enum cli_trust_action action;
        const struct mse_opt_cmd *cmd;
    } actions[] = {{"add", CLI_TRUST_ADD, &cli_trust_add_cmd},
                   {"remove", CLI_TRUST_REMOVE, &cli_trust_remove_cmd},
                   {"list", CLI_TRUST_LIST, &cli_trust_list_cmd}};
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (strcmp(argv[1], actions[i].word) == 0) {
            a->action = actions[i].action;
            a->cmd = actions[i].cmd;
            return MSE_OK;
        }
    return mse_say(why, why_cap, MSE_ERR_ARG, "unknown action '%s' (add, remove or list)",
                   argv[1]);
}

mse_err cli_trust_parse(int argc, char **argv, struct cli_trust_args *a, char *why,
                        size_t why_cap)
{
    const char *operand = NULL;
    memset(a, 0, sizeof *a);
    cli_out_init(&a->out);
    MSE_TRY(parse_action(argc, argv, a, why, why_cap));
    if (a->help)
        return MSE_OK;
    /* add takes the CERT, remove the NAME, list nothing. */
    MSE_TRY(mse_opt_parse(a->cmd, argc - 1, argv + 1, NULL, a, &operand,
                          a->action == CLI_TRUST_LIST ? 0 : 1, &a->help, why, why_cap));
    if (a->help)
        return MSE_OK;
    if (a->action == CLI_TRUST_ADD) {
        a->cert = operand;
        if (!a->cert)
            return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "give the CERT file to trust");
        if (!a->name)
            return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "--name NAME is required");
    } else if (a->action == CLI_TRUST_REMOVE) {
        a->name = operand;
        if (!a->name)
            return mse_say(why, why_cap, MSE_ERR_ARG_MISSING, "give the NAME to remove");
    }
    if (a->name && !cli_trust_name_ok(a->name))
        return mse_say(why, why_cap, MSE_ERR_ARG,
                       "NAME must be 1 to 64 characters from A-Z a-z 0-9 . _ - and start with a "
                       "letter or digit (got '%s')",
                       a->name);
    return MSE_OK;
}

/*
 * Read the verification record, and in *foreign say why someone else could
 * have written it: it belongs to another user (root excepted), or group or
 * others may write it (mse verify writes it 0644). Judged on the descriptor
 * that is read, so what is judged is what is read. The certificate itself
 * needs no such check: the record pins its SHA-256.
 */
MSE_MUST_USE static mse_err read_record(const char *path, uint8_t **data, size_t *len,
                                        char *foreign, size_t foreign_cap)
{
    struct stat st;
    mse_err err = MSE_OK;
    foreign[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT ? MSE_ERR_FILE_NOT_FOUND : MSE_ERR_IO;
    MSE_ENSURE_OUT(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), MSE_ERR_IO);
    if (st.st_uid != geteuid() && st.st_uid != 0)
        snprintf(foreign, foreign_cap, "it belongs to another user (uid %u)",
                 (unsigned)st.st_uid);
    else if (st.st_mode & (S_IWGRP | S_IWOTH))
        snprintf(foreign, foreign_cap, "other users may write it (mode %04o)",
                 (unsigned)(st.st_mode & 07777));
    err = mse_fd_read_all(fd, &st, CLI_TRUST_FILE_LIMIT, data, len);
out:
    close(fd);
    return err;
}

/* Step 1 of add: the verification record beside the certificate, unless --force. */
MSE_MUST_USE static mse_err check_record(const struct cli_trust_args *a,
                                         const struct cli_trust_cert *cert,
                                         struct cli_trust_outcome *o, char *why, size_t why_cap)
{
    char rec_path[4200];
    uint8_t *rec = NULL;
    size_t rec_len = 0;
    snprintf(rec_path, sizeof rec_path, "%s.verify.json", a->cert);
    char foreign[128];
    mse_err err = read_record(rec_path, &rec, &rec_len, foreign, sizeof foreign);
    if (err == MSE_OK)
        err = cli_record_check((const char *)rec, rec_len, cert->sha256, &o->record);
    free(rec);
    if (err == MSE_OK && foreign[0]) {
        /* Another user could have planted the pair (a shared directory where
         * mse verify then could not replace it): it shows nothing. */
        if (!a->force)
            return mse_say(why, why_cap, MSE_ERR_UNVERIFIED_CERT,
                           "refusing to trust %s: its verification record %s cannot be relied "
                           "on: %s.\nRun `mse verify DOMAIN ... --output` into a directory of "
                           "your own and trust the certificate it saves, or pass --force if you "
                           "have verified this exact certificate (SHA-256 %s) some other way.",
                           a->cert, rec_path, foreign, o->sha256);
        cli_note(&o->notes, "--force: trusting %s although its verification record %s cannot "
                            "be relied on: %s.",
                 a->cert, rec_path, foreign);
        memset(&o->record, 0, sizeof o->record);
        return MSE_OK;
    }
    if (err == MSE_OK && o->record.code_checked && o->record.not_debug) {
        o->record_ok = true;
        return MSE_OK;
    }
    if (err == MSE_OK) {
        /* A genuine enclave is not yet the user's app: without the
         * fingerprint, anyone's code on any SGX machine passes (the signer
         * check alone pins only who signed it, if it was given at all); a
         * debug enclave's key is the host's to read. */
        const char *gap = !o->record.code_checked
                              ? "the code fingerprint (MRENCLAVE) was not checked, so the "
                                "enclave may run any code"
                              : "a debug enclave (accepted by --allow-debug): the host can read "
                                "its memory, TLS key included";
        const char *instead = !o->record.code_checked
                                  ? "Run `mse verify DOMAIN --fingerprint ...` (or --code with "
                                    "--context) and trust the certificate it saves, or pass "
                                    "--force if you have checked the enclave's code some other "
                                    "way."
                                  : "Trust a production enclave's certificate instead, or pass "
                                    "--force to trust this one anyway.";
        if (!a->force)
            return mse_say(why, why_cap, MSE_ERR_UNVERIFIED_CERT,
                           "refusing to trust %s: its verification record (%s) shows %s.\n%s",
                           a->cert, rec_path, gap, instead);
        cli_note(&o->notes, "--force: trusting %s although its verification record (%s) shows %s.",
                 a->cert, rec_path, gap);
        return MSE_OK;
    }
    const char *reason =
        err == MSE_ERR_FILE_NOT_FOUND
            ? "no verification record: no successful `mse verify` saved this certificate"
        : err == MSE_ERR_UNVERIFIED_CERT
            ? "its verification record is for another certificate or not a success"
            : "its verification record is unreadable or malformed";
    if (!a->force)
        return mse_say(why, why_cap, MSE_ERR_UNVERIFIED_CERT,
                       "refusing to trust %s: %s (%s).\n"
                       "Run `mse verify DOMAIN ...` and trust the certificate it saves, or pass "
                       "--force if you have verified this exact certificate (SHA-256 %s) some "
                       "other way.",
                       a->cert, reason, rec_path, o->sha256);
    cli_note(&o->notes,
             "--force: trusting %s although %s (%s). Nothing here shows that it belongs to a "
             "genuine enclave running the expected code.",
             a->cert, reason, rec_path);
    return MSE_OK;
}

/* Step 2 of add: what the certificate itself says (warnings, never refusals). */
static void note_cert(const char *file, const struct cli_trust_cert *cert, struct cli_notes *n)
{
    if (cert->is_ca)
        cli_note(n,
                 "%s is a CA certificate (BasicConstraints CA:TRUE). RA-TLS certificates from "
                 "mse-enclave are CA:FALSE; this one may come from another or older RA-TLS tool. "
                 "It is added with peer trust (P,,) only, so Chrome uses it for this server and "
                 "never as an issuer; never re-flag it as a CA (certutil -t C,,): the enclave's "
                 "key could then vouch for any website.",
                 file);
    if (!cert->self_signed)
        cli_note(n, "%s is not self-signed; RA-TLS certificates are.", file);
    if (!cert->san[0])
        cli_note(n,
                 "%s has no subjectAltName: Chrome ignores the common name and will reject it "
                 "for every host.",
                 file);
    if (cert->expired)
        cli_note(n, "%s has expired: the browser will reject it.", file);
    if (cert->not_yet_valid)
        cli_note(n, "%s is not valid yet: the browser will reject it until then.", file);
}

/*
 * Whether NAME is mse's to replace or remove: it is not in the database, or
 * the marks name it and it still holds the certificate mse added (the user
 * may have removed it and put another under the same name since); else
 * --force says to go on anyway.
 */
MSE_MUST_USE static mse_err may_touch(const struct cli_trust_args *a,
                                      const struct cli_trust_marks *m, bool in_db,
                                      struct cli_trust_outcome *o, char *why, size_t why_cap)
{
    const struct cli_trust_mark *mark = cli_marks_find(m, a->name);
    const char *verb = a->action == CLI_TRUST_ADD ? "replace" : "remove";
    bool holds = false;
    uint8_t sha256[32];
    if (!in_db)
        return MSE_OK;
    if (mark) {
        MSE_ENSURE(mse_hex_decode(mark->sha256, strlen(mark->sha256), sha256, sizeof sha256) ==
                       MSE_OK,
                   MSE_ERR_INTERNAL);
        MSE_TRY(cli_nssdb_name_holds(&o->db, a->name, sha256, &holds, why, why_cap));
        if (holds)
            return MSE_OK;
    }
    if (!a->force && mark)
        return mse_say(why, why_cap, MSE_ERR_ARG,
                       "'%s' in %s holds a certificate mse trust did not add (mse trust added "
                       "SHA-256 %s under that name, which is no longer there): pass --force to "
                       "%s it anyway",
                       a->name, o->db.dir, mark->sha256, verb);
    if (!a->force)
        return mse_say(why, why_cap, MSE_ERR_ARG,
                       "'%s' in %s was not added by mse trust (it is not in %s/%s): pass --force "
                       "to %s it anyway",
                       a->name, o->db.dir, o->db.dir, CLI_MARKS_FILE, verb);
    cli_note(&o->notes, "--force: '%s' was not added by mse trust; %s it anyway", a->name,
             a->action == CLI_TRUST_ADD ? "replacing" : "removing");
    return MSE_OK;
}

/* Steps 3 to 6 of add: the database, the old entries under the name, the import, the mark. */
MSE_MUST_USE static mse_err install(const struct cli_trust_args *a,
                                    const struct cli_trust_cert *cert, int64_t now,
                                    struct cli_trust_outcome *o, char *why, size_t why_cap)
{
    MSE_TRY(cli_nssdb_resolve(a->nssdb, &o->db, why, why_cap));
    /* The marks are read, changed and written back, the table compared
     * before and after the import: by one mse trust at a time. */
    MSE_TRY(cli_nssdb_lock(&o->db, &o->lock_fd, why, why_cap));
    o->marks = calloc(1, sizeof *o->marks);
    MSE_ENSURE(o->marks != NULL, MSE_ERR_NOMEM);
    MSE_TRY(cli_marks_load(o->db.dir, o->marks, why, why_cap));
    if (!cli_nssdb_exists(&o->db)) {
        MSE_TRY(cli_nssdb_create(&o->db, why, why_cap));
        o->created = true;
    }
    /* Replace whatever the name held: a re-deployed app's old certificate must
     * stop being trusted when its new one is added. */
    MSE_TRY(cli_nssdb_list(&o->db, &o->listing, why, why_cap));
    char flags[32];
    cli_nss_listed_flags(o->listing, a->name, flags, sizeof flags);
    MSE_TRY(may_touch(a, o->marks, flags[0] != '\0', o, why, why_cap));
    MSE_TRY(cli_nssdb_delete_all(&o->db, a->name, &o->replaced, why, why_cap));
    MSE_TRY(cli_nssdb_add_peer(&o->db, a->name, cert->der, cert->der_len, why, why_cap));
    o->trusted = true;
    struct cli_trust_mark mark = {.forced = !o->record_ok};
    snprintf(mark.name, sizeof mark.name, "%s", a->name);
    memcpy(mark.sha256, o->sha256, sizeof mark.sha256);
    mse_time_format(now, mark.added_at);
    snprintf(mark.target, sizeof mark.target, "%s", o->record.target);
    mse_err err = cli_marks_put(o->marks, &mark);
    if (err == MSE_OK)
        err = cli_marks_save(o->db.dir, o->marks, why, why_cap);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err,
                       "'%s' is trusted, but could not be marked as added by mse (%s): `mse "
                       "trust remove` will need --force",
                       a->name, why[0] ? why : mse_err_str(err));
    return MSE_OK;
}

MSE_MUST_USE static mse_err trust_add(const struct cli_trust_args *a, int64_t now,
                                      struct cli_trust_outcome *o, char *why, size_t why_cap)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct cli_trust_cert cert = {0};
    mse_err err = mse_file_read(a->cert, CLI_TRUST_FILE_LIMIT, &data, &len);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "cannot read %s: %s", a->cert, mse_err_str(err));
    err = cli_trust_cert_load(data, len, now, &cert);
    free(data);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "%s is not one X.509 certificate: %s", a->cert,
                       mse_err_str(err));
    mse_hex_encode(cert.sha256, sizeof cert.sha256, o->sha256);
    memcpy(o->san, cert.san, sizeof o->san);
    err = check_record(a, &cert, o, why, why_cap);
    /* The browser would refuse it anyway: say so now rather than after a restart. */
    if (err == MSE_OK && (cert.expired || cert.not_yet_valid) && !a->force)
        err = mse_say(why, why_cap, MSE_ERR_RATLS_CERT_VALIDITY,
                      "refusing to trust %s: it is valid from %s to %s, not now; the browser "
                      "would reject it. Run `mse verify` again for the server's current "
                      "certificate (--force adds it anyway).",
                      a->cert, cert.not_before[0] ? cert.not_before : "?",
                      cert.not_after[0] ? cert.not_after : "?");
    if (err == MSE_OK) {
        note_cert(a->cert, &cert, &o->notes);
        err = install(a, &cert, now, o, why, why_cap);
    }
    cli_trust_cert_free(&cert);
    return err;
}

/* The database must exist for remove and list: neither creates it. */
MSE_MUST_USE static mse_err open_existing(const struct cli_trust_args *a,
                                          bool lock, struct cli_trust_outcome *o, char *why,
                                          size_t why_cap)
{
    MSE_TRY(cli_nssdb_resolve(a->nssdb, &o->db, why, why_cap));
    if (!cli_nssdb_exists(&o->db))
        return mse_say(why, why_cap, MSE_ERR_FILE_NOT_FOUND,
                       "no NSS database at %s (mse trust add creates it)", o->db.dir);
    if (lock)
        MSE_TRY(cli_nssdb_lock(&o->db, &o->lock_fd, why, why_cap));
    o->marks = calloc(1, sizeof *o->marks);
    MSE_ENSURE(o->marks != NULL, MSE_ERR_NOMEM);
    MSE_TRY(cli_marks_load(o->db.dir, o->marks, why, why_cap));
    return cli_nssdb_list(&o->db, &o->listing, why, why_cap);
}

MSE_MUST_USE static mse_err trust_remove(const struct cli_trust_args *a,
                                         struct cli_trust_outcome *o, char *why, size_t why_cap)
{
    char flags[32];
    MSE_TRY(open_existing(a, true, o, why, why_cap));
    cli_nss_listed_flags(o->listing, a->name, flags, sizeof flags);
    if (!flags[0] && !cli_marks_find(o->marks, a->name))
        return mse_say(why, why_cap, MSE_ERR_ARG, "no certificate named '%s' in %s", a->name,
                       o->db.dir);
    MSE_TRY(may_touch(a, o->marks, flags[0] != '\0', o, why, why_cap));
    MSE_TRY(cli_nssdb_delete_all(&o->db, a->name, &o->removed, why, why_cap));
    if (cli_marks_find(o->marks, a->name)) {
        cli_marks_drop(o->marks, a->name);
        MSE_TRY(cli_marks_save(o->db.dir, o->marks, why, why_cap));
    }
    return MSE_OK;
}

mse_err cli_trust_run(const struct cli_trust_args *a, int64_t now, struct cli_trust_outcome *o,
                      char *why, size_t why_cap)
{
    memset(o, 0, sizeof *o);
    o->lock_fd = -1;
    switch (a->action) {
    case CLI_TRUST_ADD: return trust_add(a, now, o, why, why_cap);
    case CLI_TRUST_REMOVE: return trust_remove(a, o, why, why_cap);
    case CLI_TRUST_LIST: return open_existing(a, false, o, why, why_cap);
    }
    return mse_say(why, why_cap, MSE_ERR_INTERNAL, "unknown action");
}

void cli_trust_outcome_free(struct cli_trust_outcome *o)
{
    if (o->lock_fd >= 0)
        close(o->lock_fd);
    o->lock_fd = -1;
    free(o->marks);
    free(o->listing);
    o->marks = NULL;
    o->listing = NULL;
}

static void print_add(const struct cli_trust_args *a, const struct cli_trust_outcome *o)
{
    if (o->record_ok) {
        printf("Verified by mse verify%s%s at %s (certificate SHA-256 %s).\n",
               o->record.target[0] ? " of " : "", o->record.target, o->record.verified_at,
               o->sha256);
        if (o->record.checks[0])
            printf("  checks: %s\n", o->record.checks);
    }
    cli_notes_print(&a->out, &o->notes);
    if (o->created)
        printf("Creating the NSS database %s (empty password).\n", o->db.dir);
    if (o->replaced)
        printf("Removed the previous certificate%s named '%s'.\n", o->replaced > 1 ? "s" : "",
               a->name);
    if (o->trusted) {
        printf("Trusted '%s' (%s) as a peer (P,,) in %s.\n", a->name,
               o->san[0] ? o->san : "no subjectAltName", o->db.dir);
        printf("Restart Chrome/Chromium (close every window) for it to take effect: a running "
               "browser keeps its earlier verdict.\n");
    }
}

/* One JSON object: the database and the entries mse added, with their flags now. */
static void print_list_json(const struct cli_trust_outcome *o)
{
    json_t *entries = json_array();
    for (size_t i = 0; entries && i < o->marks->count; i++) {
        const struct cli_trust_mark *m = &o->marks->items[i];
        char flags[32];
        cli_nss_listed_flags(o->listing, m->name, flags, sizeof flags);
        json_array_append_new(entries,
                              json_pack("{s:s, s:s?, s:s, s:s, s:s, s:b}", "name", m->name,
                                        "trust", flags[0] ? flags : NULL, "sha256", m->sha256,
                                        "added_at", m->added_at, "target", m->target, "forced",
                                        m->forced));
    }
    json_t *root = json_pack("{s:s, s:o}", "nssdb", o->db.dir, "entries", entries);
    char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    if (text)
        puts(text);
    else
        cli_json_error(MSE_ERR_NOMEM, mse_err_str(MSE_ERR_NOMEM));
    free(text);
    json_decref(root);
}

static void print_list(const struct cli_trust_args *a, const struct cli_trust_outcome *o)
{
    if (a->out.json) {
        print_list_json(o);
        return;
    }
    printf("NSS database %s: the entries mse trust added (trust \"P,,\" = trusted peer, this "
           "certificate only):\n",
           o->db.dir);
    for (size_t i = 0; i < o->marks->count; i++) {
        const struct cli_trust_mark *m = &o->marks->items[i];
        char flags[32];
        cli_nss_listed_flags(o->listing, m->name, flags, sizeof flags);
        printf("%-24s %-8s added %s, %s%s\n", m->name, flags[0] ? flags : "-", m->added_at,
               m->forced ? "with --force, no verification record of a pinned code"
                         : "verified by mse verify of ",
               m->forced ? "" : m->target);
        if (!flags[0])
            printf("%-24s (no longer in the database)\n", "");
    }
    if (o->marks->count == 0)
        printf("(none)\n");
}

void cli_trust_print(const struct cli_trust_args *a, const struct cli_trust_outcome *o,
                     mse_err err, const char *why)
{
    if (a->action == CLI_TRUST_ADD)
        print_add(a, o);
    else if (a->action == CLI_TRUST_REMOVE)
        cli_notes_print(&a->out, &o->notes);
    if (err != MSE_OK) {
        if (a->out.json)
            cli_json_error(err, why[0] ? why : mse_err_str(err));
        cli_out_failure(&a->out, err, why[0] ? why : mse_err_str(err));
        return;
    }
    if (a->action == CLI_TRUST_LIST)
        print_list(a, o);
    else if (a->action == CLI_TRUST_REMOVE && o->removed == 0)
        printf("'%s' was no longer in %s; its mark is gone too.\n", a->name, o->db.dir);
    else if (a->action == CLI_TRUST_REMOVE)
        printf("Removed '%s' from %s. Restart Chrome/Chromium for it to take effect.\n", a->name,
               o->db.dir);
}

int cli_trust_main(int argc, char **argv)
{
    struct cli_trust_args a;
    struct cli_trust_outcome o;
    char why[4096] = "";
    mse_err err = cli_trust_parse(argc, argv, &a, why, sizeof why);
    if (err != MSE_OK || a.help)
        return cli_parse_failed(a.cmd, argc, argv, err, a.help, why);
    err = cli_trust_run(&a, mse_time_now(), &o, why, sizeof why);
    cli_trust_print(&a, &o, err, why);
    cli_trust_outcome_free(&o);
    return (int)mse_err_exit(err);
}
