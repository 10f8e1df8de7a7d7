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
 * certutil is started with posix_spawn and an argv array, never a shell; the
 * nickname is restricted to [A-Za-z0-9._-]; the certificate certutil imports
 * is the exact DER that was hashed and checked, written to a private
 * temporary file, so the file cannot change between the check and the import.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/time.h>

#include "cli.h"
#include "cli_proc.h"
#include "cli_trust.h"
#include "util/util.h"

#define CERTUTIL "certutil"
#define CERTUTIL_TIMEOUT_MS 60000
#define CERTUTIL_OUTPUT_LIMIT (256u << 10)
/* NSS keeps one entry per certificate under a nickname; a name has a handful at most. */
#define MAX_DELETE_ROUNDS 32

/* ---------- the testable parts (cli_trust.h) ---------- */

bool mse_trust_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && !(i > 0 && (c == '.' || c == '_' || c == '-')))
            return false;
    }
    return true;
}

void mse_trust_cert_free(struct mse_trust_cert *c)
{
    free(c->der);
    memset(c, 0, sizeof *c);
}

static bool only_space(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return false;
    return true;
}

/* The exact DER bytes: PEM decoded (one CERTIFICATE block, nothing else), or the input itself. */
MSE_MUST_USE static mse_err cert_der(const uint8_t *data, size_t len, uint8_t **der, size_t *der_len)
{
    static const char begin[] = "-----BEGIN ";
    mse_err err = MSE_OK;
    BIO *bio = NULL;
    char *name = NULL, *header = NULL;
    unsigned char *body = NULL;
    long body_len = 0;

    *der = NULL;
    MSE_ENSURE(len > 0 && len <= MSE_TRUST_FILE_LIMIT, MSE_ERR_CERT_PARSE);
    if (!memmem(data, len, begin, sizeof begin - 1)) {
        *der = malloc(len);
        MSE_ENSURE(*der != NULL, MSE_ERR_NOMEM);
        memcpy(*der, data, len);
        *der_len = len;
        return MSE_OK;
    }
    bio = BIO_new_mem_buf(data, (int)len);
    MSE_ENSURE_OUT(bio != NULL, MSE_ERR_NOMEM);
    MSE_ENSURE_OUT(PEM_read_bio(bio, &name, &header, &body, &body_len) == 1, MSE_ERR_PEM);
    MSE_ENSURE_OUT(strcmp(name, PEM_STRING_X509) == 0 && header[0] == '\0' && body_len > 0,
                   MSE_ERR_PEM);
    /* After the block: whitespace only. A second certificate is refused, not ignored. */
    const uint8_t *rest = NULL;
    long rest_len = BIO_get_mem_data(bio, (char **)&rest);
    MSE_ENSURE_OUT(rest_len >= 0 && only_space(rest, (size_t)rest_len), MSE_ERR_TRAILING_BYTES);
    *der = malloc((size_t)body_len);
    MSE_ENSURE_OUT(*der != NULL, MSE_ERR_NOMEM);
    memcpy(*der, body, (size_t)body_len);
    *der_len = (size_t)body_len;
out:
    ERR_clear_error();
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(body);
    BIO_free(bio);
    return err;
}

static void san_text(X509 *x, char *out, size_t cap)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    size_t used = 0;
    out[0] = '\0';
    if (!gens)
        return;
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        char item[128] = "";
        if (g->type == GEN_DNS) {
            const ASN1_IA5STRING *s = g->d.dNSName;
            snprintf(item, sizeof item, "DNS:%.*s", s->length > 100 ? 100 : s->length,
                     (const char *)s->data);
        } else if (g->type == GEN_IPADD && g->d.iPAddress->length == 4) {
            const unsigned char *a = g->d.iPAddress->data;
            snprintf(item, sizeof item, "IP:%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        } else if (g->type == GEN_IPADD) {
            snprintf(item, sizeof item, "IP:(IPv6)");
        } else {
            snprintf(item, sizeof item, "(other name)");
        }
        /* Printable ASCII only: the SAN comes from the server, it goes to a terminal. */
        for (char *p = item; *p; p++)
            if (*p < 0x20 || *p > 0x7e)
                *p = '?';
        int n = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", item);
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
    GENERAL_NAMES_free(gens);
}

mse_err mse_trust_cert_load(const uint8_t *data, size_t len, int64_t now,
                            struct mse_trust_cert *out)
{
    mse_err err = MSE_OK;
    X509 *x = NULL;

    memset(out, 0, sizeof *out);
    MSE_CHECK_OUT(cert_der(data, len, &out->der, &out->der_len));
    const unsigned char *p = out->der;
    x = d2i_X509(NULL, &p, (long)out->der_len);
    MSE_ENSURE_OUT(x != NULL, MSE_ERR_CERT_PARSE);
    MSE_ENSURE_OUT((size_t)(p - out->der) == out->der_len, MSE_ERR_TRAILING_BYTES);
    MSE_ENSURE_OUT(EVP_Digest(out->der, out->der_len, out->sha256, NULL, EVP_sha256(), NULL) == 1,
                   MSE_ERR_CRYPTO);
    uint32_t flags = X509_get_extension_flags(x);
    MSE_ENSURE_OUT(!(flags & EXFLAG_INVALID), MSE_ERR_CERT_PARSE);
    out->is_ca = (flags & EXFLAG_BCONS) && (flags & EXFLAG_CA);
    out->self_signed = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
    /* RFC 5280 4.1.2.5: both bounds are inclusive. */
    out->expired = ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), (time_t)now) < 0;
    out->not_yet_valid = ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), (time_t)now) > 0;
    san_text(x, out->san, sizeof out->san);
out:
    ERR_clear_error();
    X509_free(x);
    if (err != MSE_OK)
        mse_trust_cert_free(out);
    return err;
}

static void copy_printable(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (src[i] >= 0x20 && src[i] <= 0x7e) ? src[i] : '?';
    dst[i] = '\0';
}

/*
 * A one-line summary of the record's "checks" object: "16 pass, 1 skipped"
 * when every check is an object with an "outcome" (or "status")
 * string, as mse verify writes them; otherwise "name=value, ..." for strings
 * and booleans.
 */
static void checks_text(json_t *checks, char *out, size_t cap)
{
    const char *key;
    json_t *v;
    size_t used = 0, n = 0, kinds = 0;
    char kind[4][24];
    size_t count[4] = {0};
    bool summary = true;
    out[0] = '\0';
    if (!json_is_object(checks))
        return;
    json_object_foreach(checks, key, v)
    {
        json_t *oc = json_is_object(v) ? json_object_get(v, "outcome") : NULL;
        if (!oc && json_is_object(v))
            oc = json_object_get(v, "status");
        if (!json_is_string(oc)) {
            summary = false;
            break;
        }
        char val[24];
        copy_printable(val, sizeof val, json_string_value(oc));
        size_t k = 0;
        while (k < kinds && strcmp(kind[k], val) != 0)
            k++;
        if (k == kinds) {
            if (kinds == 4) {
                summary = false;
                break;
            }
            memcpy(kind[kinds++], val, sizeof val);
        }
        count[k]++;
        n++;
    }
    if (summary && n > 0) {
        for (size_t k = 0; k < kinds && used < cap; k++) {
            int w = snprintf(out + used, cap - used, "%s%zu %s", k ? ", " : "", count[k], kind[k]);
            if (w < 0)
                break;
            used += (size_t)w;
        }
        return;
    }
    used = 0;
    out[0] = '\0';
    json_object_foreach(checks, key, v)
    {
        char val[64];
        if (json_is_string(v))
            copy_printable(val, sizeof val, json_string_value(v));
        else if (json_is_boolean(v))
            snprintf(val, sizeof val, "%s", json_is_true(v) ? "true" : "false");
        else
            snprintf(val, sizeof val, "...");
        char k[48];
        copy_printable(k, sizeof k, key);
        int w = snprintf(out + used, cap - used, "%s%s=%s", used ? ", " : "", k, val);
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
    }
}

mse_err mse_trust_record_check(const char *json, size_t len, const uint8_t sha256[32],
                               struct mse_trust_record *out)
{
    mse_err err = MSE_OK;
    json_error_t jerr;
    uint8_t recorded[32];
    int64_t t = 0;

    memset(out, 0, sizeof *out);
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return json_error_code(&jerr) == json_error_duplicate_key ? MSE_ERR_JSON_DUPLICATE_KEY
                                                                   : MSE_ERR_JSON;
    MSE_ENSURE_OUT(json_is_object(root), MSE_ERR_JSON_FIELD);
    json_t *jsha = json_object_get(root, "sha256");
    json_t *jverdict = json_object_get(root, "verdict");
    json_t *jat = json_object_get(root, "verified_at");
    json_t *jtarget = json_object_get(root, "target");
    MSE_ENSURE_OUT(json_is_string(jsha) && json_is_string(jverdict) && json_is_string(jat),
                   MSE_ERR_JSON_FIELD);
    MSE_ENSURE_OUT(jtarget == NULL || json_is_string(jtarget), MSE_ERR_JSON_FIELD);
    MSE_ENSURE_OUT(mse_hex_decode(json_string_value(jsha), json_string_length(jsha), recorded,
                                  sizeof recorded) == MSE_OK,
                   MSE_ERR_JSON_FIELD);
    MSE_ENSURE_OUT(mse_time_parse(json_string_value(jat), json_string_length(jat), &t) == MSE_OK,
                   MSE_ERR_JSON_FIELD);
    /* The record must be about this very certificate... */
    MSE_ENSURE_OUT(mse_ct_eq(recorded, sha256, sizeof recorded), MSE_ERR_UNVERIFIED_CERT);
    /* ...and say that every check passed. */
    MSE_ENSURE_OUT(strcmp(json_string_value(jverdict), "success") == 0 &&
                       json_string_length(jverdict) == strlen("success"),
                   MSE_ERR_UNVERIFIED_CERT);
    copy_printable(out->verified_at, sizeof out->verified_at, json_string_value(jat));
    if (jtarget)
        copy_printable(out->target, sizeof out->target, json_string_value(jtarget));
    checks_text(json_object_get(root, "checks"), out->checks, sizeof out->checks);
out:
    json_decref(root);
    return err;
}

/* ---------- the NSS database, through certutil ---------- */

struct nssdb {
    char dir[4096];  /* the directory */
    char arg[4101];  /* "sql:" + dir, certutil's -d argument */
};

MSE_MUST_USE static mse_err nssdb_resolve(const char *given, struct nssdb *db)
{
    int n;
    if (given) {
        n = snprintf(db->dir, sizeof db->dir, "%s", given);
    } else {
        /* Chrome's own rule: $HOME, else the password database. */
        const char *home = getenv("HOME");
        if (!home || !*home) {
            const struct passwd *pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : NULL;
        }
        MSE_ENSURE(home && *home, MSE_ERR_ARG_MISSING);
        n = snprintf(db->dir, sizeof db->dir, "%s/.pki/nssdb", home);
    }
    MSE_ENSURE(n > 0 && (size_t)n < sizeof db->dir, MSE_ERR_ARG);
    snprintf(db->arg, sizeof db->arg, "sql:%s", db->dir);
    return MSE_OK;
}

static bool nssdb_exists(const struct nssdb *db)
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

/* Run certutil; on a spawn failure, explain. *status and *output as mse_proc_capture. */
MSE_MUST_USE static mse_err certutil(const struct cli_out *o, char *const argv[], int *status, char **output)
{
    size_t len = 0;
    mse_err err = mse_proc_capture(argv, CERTUTIL_OUTPUT_LIMIT, CERTUTIL_TIMEOUT_MS, status,
                                   output, &len);
    if (err == MSE_ERR_FILE_NOT_FOUND)
        cli_out_error(o, err,
                      "certutil not found in PATH: install NSS's tools (Debian/Ubuntu: apt-get "
                      "install libnss3-tools)");
    else if (err != MSE_OK)
        cli_out_error(o, err, "could not run certutil (status %d)", *status);
    return err;
}

MSE_MUST_USE static mse_err nssdb_create(const struct cli_out *o, const struct nssdb *db)
{
    int status = 0;
    char *output = NULL;
    MSE_TRY(mkdirs(db->dir));
    char *argv[] = {CERTUTIL, "-N", "-d", (char *)db->arg, "--empty-password", NULL};
    MSE_TRY(certutil(o, argv, &status, &output));
    if (status != 0) {
        cli_out_error(o, MSE_ERR_IO, "certutil could not create the NSS database %s:\n%s",
                      db->dir, output);
        free(output);
        return MSE_ERR_IO;
    }
    free(output);
    return MSE_OK;
}

/* Whether NAME is in the database (certutil -L -n NAME succeeds). */
MSE_MUST_USE static mse_err nssdb_has(const struct cli_out *o, const struct nssdb *db, const char *name,
                         bool *has)
{
    int status = 0;
    char *output = NULL;
    char *argv[] = {CERTUTIL, "-L", "-d", (char *)db->arg, "-n", (char *)name, NULL};
    MSE_TRY(certutil(o, argv, &status, &output));
    free(output);
    *has = status == 0;
    return MSE_OK;
}

/* Remove every certificate stored under NAME (NSS deletes one per call). */
MSE_MUST_USE static mse_err nssdb_delete_all(const struct cli_out *o, const struct nssdb *db,
                                const char *name, int *deleted)
{
    *deleted = 0;
    for (int round = 0; round < MAX_DELETE_ROUNDS; round++) {
        bool has = false;
        MSE_TRY(nssdb_has(o, db, name, &has));
        if (!has)
            return MSE_OK;
        int status = 0;
        char *output = NULL;
        char *argv[] = {CERTUTIL, "-D", "-d", (char *)db->arg, "-n", (char *)name, NULL};
        MSE_TRY(certutil(o, argv, &status, &output));
        if (status != 0) {
            cli_out_error(o, MSE_ERR_IO, "certutil could not remove '%s' from %s:\n%s", name,
                          db->dir, output);
            free(output);
            return MSE_ERR_IO;
        }
        free(output);
        (*deleted)++;
    }
    cli_out_error(o, MSE_ERR_IO, "'%s' is still in %s after %d removals", name, db->dir,
                  MAX_DELETE_ROUNDS);
    return MSE_ERR_IO;
}

/*
 * The trust flags certutil -L prints for NAME ("P,," ...), from its table:
 * a line holding the nickname, spaces, then the flags. Empty if not found.
 */
static void listed_flags(const char *listing, const char *name, char *flags, size_t cap)
{
    size_t nlen = strlen(name);
    flags[0] = '\0';
    for (const char *line = listing; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t llen = end ? (size_t)(end - line) : strlen(line);
        if (llen > nlen && strncmp(line, name, nlen) == 0 && line[nlen] == ' ') {
            size_t i = nlen;
            while (i < llen && line[i] == ' ')
                i++;
            size_t j = i;
            while (j < llen && line[j] != ' ' && line[j] != '\r')
                j++;
            /* Everything between the nickname and the flags must be blanks: the
             * nickname is the whole first column, not a prefix of another. */
            if (j > i && (j == llen || line[j] == ' ' || line[j] == '\r')) {
                size_t n = j - i < cap - 1 ? j - i : cap - 1;
                memcpy(flags, line + i, n);
                flags[n] = '\0';
            }
        }
        line = end ? end + 1 : NULL;
    }
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

/* ---------- subcommands ---------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: mse trust add CERT --name NAME [--nssdb DIR] [--force]\n"
               "       mse trust remove NAME [--nssdb DIR]\n"
               "       mse trust list [--nssdb DIR]\n"
               "\n"
               "Add a certificate saved by a successful `mse verify` to the NSS database that\n"
               "Chrome and Chromium read on Linux (default $HOME/.pki/nssdb), trusted as a peer\n"
               "(\"P,,\": this certificate only, never as a CA). Restart the browser afterwards.\n"
               "\n"
               "  --name NAME   nickname in the database ([A-Za-z0-9._-], at most 64)\n"
               "  --nssdb DIR   another NSS database directory (created if missing)\n"
               "  --force       add even without a matching record of a successful\n"
               "                `mse verify` (CERT.verify.json); prints a warning\n"
               "\nSee docs/cmd/mse-trust.md and docs/browser.md.\n");
}

struct trust_args {
    const char *positional;
    const char *name;
    const char *nssdb;
    bool force;
};

static int parse_args(const struct cli_out *o, int argc, char **argv, bool allow_name_opt,
                      bool allow_force, struct trust_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return -1;
        } else if (allow_name_opt && strcmp(arg, "--name") == 0 && i + 1 < argc) {
            a->name = argv[++i];
        } else if (strcmp(arg, "--nssdb") == 0 && i + 1 < argc) {
            a->nssdb = argv[++i];
        } else if (allow_force && strcmp(arg, "--force") == 0) {
            a->force = true;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return cli_out_error(o, MSE_ERR_ARG, "mse trust %s: unknown option or missing value: %s",
                                 argv[1], arg);
        } else if (!a->positional) {
            a->positional = arg;
        } else {
            return cli_out_error(o, MSE_ERR_ARG, "mse trust %s: unexpected argument: %s", argv[1],
                                 arg);
        }
    }
    return 0;
}

static int trust_add(const struct cli_out *o, int argc, char **argv)
{
    struct trust_args a;
    int rc = parse_args(o, argc, argv, true, true, &a);
    if (rc != 0)
        return rc < 0 ? MSE_EXIT_OK : rc;
    if (!a.positional || !a.name)
        return cli_out_error(o, MSE_ERR_ARG_MISSING,
                             "usage: mse trust add CERT --name NAME [--nssdb DIR] [--force]");
    if (!mse_trust_name_ok(a.name))
        return cli_out_error(o, MSE_ERR_ARG,
                             "--name must be 1 to 64 characters from A-Z a-z 0-9 . _ - and start "
                             "with a letter or digit");

    int exit_code = MSE_EXIT_OK;
    uint8_t *data = NULL, *rec = NULL;
    size_t len = 0, rec_len = 0;
    char *rec_path = NULL, *tmp_dir = NULL, *tmp_file = NULL, *output = NULL;
    struct mse_trust_cert cert = {0};
    struct nssdb db;
    mse_err err;

    err = mse_file_read(a.positional, MSE_TRUST_FILE_LIMIT, &data, &len);
    if (err != MSE_OK) {
        exit_code = cli_out_error(o, err, "cannot read %s: %s", a.positional, mse_err_str(err));
        goto out;
    }
    err = mse_trust_cert_load(data, len, mse_time_now(), &cert);
    if (err != MSE_OK) {
        exit_code = cli_out_error(o, err, "%s is not one X.509 certificate: %s", a.positional,
                                  mse_err_str(err));
        goto out;
    }
    char hex[65];
    mse_hex_encode(cert.sha256, sizeof cert.sha256, hex);

    /* 1. The verification record. */
    if (asprintf(&rec_path, "%s.verify.json", a.positional) < 0) {
        rec_path = NULL;
        exit_code = cli_out_error(o, MSE_ERR_NOMEM, "out of memory");
        goto out;
    }
    struct mse_trust_record record;
    err = mse_file_read(rec_path, MSE_TRUST_FILE_LIMIT, &rec, &rec_len);
    if (err == MSE_OK)
        err = mse_trust_record_check((const char *)rec, rec_len, cert.sha256, &record);
    if (err == MSE_OK) {
        printf("Verified by mse verify%s%s at %s (certificate SHA-256 %s).\n",
               record.target[0] ? " of " : "", record.target, record.verified_at, hex);
        if (record.checks[0])
            printf("  checks: %s\n", record.checks);
    } else {
        const char *why =
            err == MSE_ERR_FILE_NOT_FOUND
                ? "no verification record: no successful `mse verify` saved this certificate"
            : err == MSE_ERR_UNVERIFIED_CERT
                ? "its verification record is for another certificate or not a success"
                : "its verification record is unreadable or malformed";
        if (!a.force) {
            exit_code = cli_out_error(
                o, MSE_ERR_UNVERIFIED_CERT,
                "refusing to trust %s: %s (%s).\n"
                "Run `mse verify DOMAIN ...` and trust the certificate it saves, or pass --force "
                "if you have verified this exact certificate (SHA-256 %s) some other way.",
                a.positional, why, rec_path, hex);
            goto out;
        }
        cli_out_warn(o,
                     "--force: trusting %s although %s (%s). Nothing here shows that it belongs "
                     "to a genuine enclave running the expected code.",
                     a.positional, why, rec_path);
    }

    /* 2. What the certificate itself says. */
    if (cert.is_ca)
        cli_out_warn(o,
                     "%s is a CA certificate (BasicConstraints CA:TRUE). RA-TLS certificates from "
                     "mse-enclave are CA:FALSE; this one may come from another or older RA-TLS tool. It "
                     "is "
                     "added with peer trust (P,,) only, so Chrome uses it for this server and never "
                     "as an issuer; never re-flag it as a CA (certutil -t C,,): the enclave's key "
                     "could then vouch for any website.",
                     a.positional);
    if (!cert.self_signed)
        cli_out_warn(o, "%s is not self-signed; RA-TLS certificates are.", a.positional);
    if (!cert.san[0])
        cli_out_warn(o,
                     "%s has no subjectAltName: Chrome ignores the common name and will reject it "
                     "for every host.",
                     a.positional);
    if (cert.expired)
        cli_out_warn(o, "%s has expired: the browser will reject it.", a.positional);
    if (cert.not_yet_valid)
        cli_out_warn(o, "%s is not valid yet: the browser will reject it until then.",
                     a.positional);

    /* 3. The NSS database. */
    err = nssdb_resolve(a.nssdb, &db);
    if (err != MSE_OK) {
        exit_code = cli_out_error(o, err, "cannot locate the NSS database: set HOME or --nssdb");
        goto out;
    }
    if (!nssdb_exists(&db)) {
        printf("Creating the NSS database %s (empty password).\n", db.dir);
        err = nssdb_create(o, &db);
        if (err != MSE_OK) {
            exit_code = (int)mse_err_exit(err);
            goto out;
        }
    }

    /* 4. Replace whatever the name held: a re-deployed app's old certificate must stop
     *    being trusted when its new one is added. */
    int deleted = 0;
    err = nssdb_delete_all(o, &db, a.name, &deleted);
    if (err != MSE_OK) {
        exit_code = (int)mse_err_exit(err);
        goto out;
    }
    if (deleted)
        printf("Removed the previous certificate%s named '%s'.\n", deleted > 1 ? "s" : "", a.name);

    /* 5. Import exactly the bytes checked above. */
    err = write_temp_der(cert.der, cert.der_len, &tmp_dir, &tmp_file);
    if (err != MSE_OK) {
        exit_code = cli_out_error(o, err, "cannot write a temporary file: %s", mse_err_str(err));
        goto out;
    }
    int status = 0;
    char *add_argv[] = {CERTUTIL, "-A",     "-d", db.arg, "-n", (char *)a.name, "-t", "P,,",
                        "-i",     tmp_file, NULL};
    err = certutil(o, add_argv, &status, &output);
    if (err != MSE_OK) {
        exit_code = (int)mse_err_exit(err);
        goto out;
    }
    if (status != 0) {
        exit_code = cli_out_error(o, MSE_ERR_IO, "certutil could not add %s to %s:\n%s",
                                  a.positional, db.dir, output);
        /* certutil may have stored the certificate before failing to set its
         * trust (a password-protected database): remove that half-added entry,
         * as far as the database lets us. It carries no trust either way. */
        int ignored = 0;
        if (nssdb_delete_all(o, &db, a.name, &ignored) != MSE_OK)
            cli_out_warn(o, "'%s' may remain in %s without trust flags", a.name, db.dir);
        goto out;
    }
    free(output);
    output = NULL;

    /* 6. Read back: the name must now carry exactly peer trust. */
    char *list_argv[] = {CERTUTIL, "-L", "-d", db.arg, NULL};
    err = certutil(o, list_argv, &status, &output);
    if (err != MSE_OK) {
        exit_code = (int)mse_err_exit(err);
        goto out;
    }
    char flags[32];
    listed_flags(output, a.name, flags, sizeof flags);
    if (status != 0 || strcmp(flags, "P,,") != 0) {
        exit_code = cli_out_error(o, MSE_ERR_IO,
                                  "after certutil -A, '%s' is listed with trust '%s', not 'P,,' "
                                  "(the same certificate may already be stored under another "
                                  "name):\n%s",
                                  a.name, flags, output);
        goto out;
    }
    printf("Trusted '%s' (%s) as a peer (P,,) in %s.\n", a.name,
           cert.san[0] ? cert.san : "no subjectAltName", db.dir);
    printf("Restart Chrome/Chromium (close every window) for it to take effect: a running browser "
           "keeps its earlier verdict.\n");
out:
    remove_temp(tmp_dir, tmp_file);
    mse_trust_cert_free(&cert);
    free(output);
    free(rec_path);
    free(rec);
    free(data);
    return exit_code;
}

static int trust_remove(const struct cli_out *o, int argc, char **argv)
{
    struct trust_args a;
    struct nssdb db;
    int rc = parse_args(o, argc, argv, false, false, &a);
    if (rc != 0)
        return rc < 0 ? MSE_EXIT_OK : rc;
    if (!a.positional)
        return cli_out_error(o, MSE_ERR_ARG_MISSING, "usage: mse trust remove NAME [--nssdb DIR]");
    if (!mse_trust_name_ok(a.positional))
        return cli_out_error(o, MSE_ERR_ARG, "invalid name: %s", a.positional);
    mse_err err = nssdb_resolve(a.nssdb, &db);
    if (err != MSE_OK)
        return cli_out_error(o, err, "cannot locate the NSS database: set HOME or --nssdb");
    if (!nssdb_exists(&db))
        return cli_out_error(o, MSE_ERR_FILE_NOT_FOUND, "no NSS database at %s", db.dir);
    int deleted = 0;
    err = nssdb_delete_all(o, &db, a.positional, &deleted);
    if (err != MSE_OK)
        return (int)mse_err_exit(err);
    if (deleted == 0)
        return cli_out_error(o, MSE_ERR_ARG, "no certificate named '%s' in %s", a.positional,
                             db.dir);
    printf("Removed '%s' from %s. Restart Chrome/Chromium for it to take effect.\n", a.positional,
           db.dir);
    return MSE_EXIT_OK;
}

static int trust_list(const struct cli_out *o, int argc, char **argv)
{
    struct trust_args a;
    struct nssdb db;
    int rc = parse_args(o, argc, argv, false, false, &a);
    if (rc != 0)
        return rc < 0 ? MSE_EXIT_OK : rc;
    if (a.positional)
        return cli_out_error(o, MSE_ERR_ARG, "usage: mse trust list [--nssdb DIR]");
    mse_err err = nssdb_resolve(a.nssdb, &db);
    if (err != MSE_OK)
        return cli_out_error(o, err, "cannot locate the NSS database: set HOME or --nssdb");
    if (!nssdb_exists(&db))
        return cli_out_error(o, MSE_ERR_FILE_NOT_FOUND,
                             "no NSS database at %s (mse trust add creates it)", db.dir);
    int status = 0;
    char *output = NULL;
    char *argv_l[] = {CERTUTIL, "-L", "-d", db.arg, NULL};
    err = certutil(o, argv_l, &status, &output);
    if (err != MSE_OK)
        return (int)mse_err_exit(err);
    if (status != 0) {
        int code = cli_out_error(o, MSE_ERR_IO, "certutil could not list %s:\n%s", db.dir, output);
        free(output);
        return code;
    }
    printf("NSS database %s (trust \"P,,\" = trusted peer, this certificate only):\n%s", db.dir,
           output);
    free(output);
    return MSE_EXIT_OK;
}

int cli_trust_main(int argc, char **argv)
{
    struct cli_out o;
    cli_out_init(&o);
    if (argc < 2) {
        usage(stderr);
        return MSE_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return MSE_EXIT_OK;
    }
    if (strcmp(argv[1], "add") == 0)
        return trust_add(&o, argc, argv);
    if (strcmp(argv[1], "remove") == 0)
        return trust_remove(&o, argc, argv);
    if (strcmp(argv[1], "list") == 0)
        return trust_list(&o, argc, argv);
    usage(stderr);
    return cli_out_error(&o, MSE_ERR_ARG, "mse trust: unknown subcommand '%s'", argv[1]);
}
