/*
 * The verification record, both halves of its format in one place
 * (docs/formats/verify-record.md): `mse verify` writes the verified
 * certificate with its record <cert>.verify.json beside it
 * (cli_record_save), `mse trust add` reads the record back and requires it
 * to name this exact certificate and a successful verdict (cli_record_check).
 */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <mse/bytes.h>
#include <mse/guard.h>
#include <mse/time.h>
#include <mse/verify.h>

#include "cli_record.h"
#include "util/util.h"

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

/* Whether checks.<key>.outcome is exactly "pass". */
static bool check_passed(json_t *checks, const char *key)
{
    json_t *check = json_is_object(checks) ? json_object_get(checks, key) : NULL;
    json_t *outcome = json_is_object(check) ? json_object_get(check, "outcome") : NULL;
    return json_is_string(outcome) && json_string_length(outcome) == strlen("pass") &&
           strcmp(json_string_value(outcome), "pass") == 0;
}

mse_err cli_record_check(const char *json, size_t len, const uint8_t sha256[32],
                               struct cli_record *out)
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
    json_t *checks = json_object_get(root, "checks");
    checks_text(checks, out->checks, sizeof out->checks);
    /* Exactly "pass": "skipped" (no --fingerprint), "warn" (--allow-debug),
     * a missing check or any other shape is not. */
    out->code_checked = check_passed(checks, "mrenclave");
    out->not_debug = check_passed(checks, "debug");
out:
    json_decref(root);
    return err;
}

mse_err cli_record_save(const char *path, const char *target, const uint8_t *der, size_t len,
                        const struct mse_verify_result *r, int64_t at, bool name_check_skipped,
                        char *why, size_t why_cap)
{
    mse_err err = MSE_OK;
    char *pem = NULL, *record = NULL, *result_json = NULL;
    long pem_len;
    json_t *rec = NULL, *res = NULL;
    uint8_t digest[32];
    char hex[65], now_s[21], at_s[21], rec_path[4096];

    /* Re-encode exactly the DER that was verified. */
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio || PEM_write_bio(bio, "CERTIFICATE", "", der, (long)len) <= 0) {
        BIO_free(bio);
        return mse_say(why, why_cap, MSE_ERR_CRYPTO, "cannot encode the certificate");
    }
    pem_len = BIO_get_mem_data(bio, &pem);
    EVP_Digest(der, len, digest, NULL, EVP_sha256(), NULL);
    mse_hex_encode(digest, 32, hex);
    mse_time_format(mse_time_now(), now_s);
    mse_time_format(at, at_s);
    if (mse_verify_result_json(r, &result_json) == MSE_OK)
        res = json_loads(result_json, 0, NULL);
    rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O?}", "sha256", hex, "verified_at", now_s, "at",
                    at_s, "target", target, "verdict", "success", "checks",
                    res ? json_object_get(res, "checks") : NULL);
    if (rec && name_check_skipped &&
        json_object_set_new(rec, "name_check", json_string("skipped (--no-name-check)")) != 0) {
        json_decref(rec);
        rec = NULL;
    }
    record = rec ? json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    if (!record)
        err = MSE_ERR_NOMEM;
    else if (snprintf(rec_path, sizeof rec_path, "%s.verify.json", path) >= (int)sizeof rec_path)
        err = MSE_ERR_ARG;
    else
        /* The pair: the record last, never beside another certificate. */
        err = mse_file_write_with_record(path, pem, (size_t)pem_len, rec_path, record,
                                         strlen(record), 0644);
    BIO_free(bio);
    json_decref(rec);
    json_decref(res);
    free(record);
    free(result_json);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "cannot save the certificate at %s: %s", path,
                       mse_err_str(err));
    return MSE_OK;
}

/*
 * A regular file or nothing (it will be created). The save renames a new
 * file over it and so would replace a symbolic link rather than write where
 * it points, and refuses a directory, FIFO or device (mse_file_write_*):
 * saying so here, before any network work, names the reason.
 */
MSE_MUST_USE static mse_err replaceable(const char *path, const struct stat *dir, char *why,
                                        size_t why_cap)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return MSE_OK;
    /* In a sticky directory (/tmp) only the file's or the directory's owner
     * may replace it: another user's file there, planted or not, stays. */
    uid_t me = geteuid();
    if (S_ISREG(st.st_mode) && (dir->st_mode & S_ISVTX) && me != 0 && st.st_uid != me &&
        dir->st_uid != me)
        return mse_say(why, why_cap, MSE_ERR_FILE_WRITE,
                       "cannot save at %s: it belongs to another user (uid %u) and the directory "
                       "is sticky, so it cannot be replaced (give --output a path of your own)",
                       path, (unsigned)st.st_uid);
    const char *kind = S_ISREG(st.st_mode)    ? NULL
                       : S_ISDIR(st.st_mode)  ? "a directory"
                       : S_ISLNK(st.st_mode)  ? "a symbolic link"
                       : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "a device";
    if (kind)
        return mse_say(why, why_cap, MSE_ERR_FILE_WRITE,
                       "cannot save at %s: it is %s, not a regular file (give --output a file "
                       "name, or remove it)",
                       path, kind);
    return MSE_OK;
}

mse_err cli_record_output_check(const char *path, bool with_record, char *why, size_t why_cap)
{
    char dir[4096], rec_path[4200];
    struct stat st;
    const char *slash = strrchr(path, '/');
    if (path[0] == '\0' || (slash && slash[1] == '\0'))
        return mse_say(why, why_cap, MSE_ERR_FILE_WRITE, "cannot save at '%s': not a file name",
                       path);
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (stat(dir, &st) != 0)
        return mse_say(why, why_cap, MSE_ERR_FILE_WRITE, "cannot save at %s: %s: %s", path, dir,
                       strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return mse_say(why, why_cap, MSE_ERR_FILE_WRITE, "cannot save at %s: %s is not a directory",
                       path, dir);
    /* The atomic write creates a temporary file in the directory, then renames it. */
    if (access(dir, W_OK | X_OK) != 0)
        return mse_say(why, why_cap, MSE_ERR_FILE_WRITE,
                       "cannot save at %s: the directory %s is not writable", path, dir);
    MSE_TRY(replaceable(path, &st, why, why_cap));
    snprintf(rec_path, sizeof rec_path, "%s.verify.json", path);
    return with_record ? replaceable(rec_path, &st, why, why_cap) : MSE_OK;
}
