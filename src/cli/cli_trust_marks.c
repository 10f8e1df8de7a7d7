/*
 * The marks of the NSS entries `mse trust` added (cli_trust_marks.h,
 * docs/formats/trust-marks.md). The file is the user's own, but it is read
 * like any input: duplicate keys, wrong types, names NSS could not hold or
 * hashes that are not 64 hex digits make it malformed, never half-read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <mse/bytes.h>
#include <mse/guard.h>

#include "cli_trust.h"
#include "cli_trust_marks.h"
#include "util/util.h"

#define MARKS_FILE_LIMIT (1u << 20)

static void marks_path(const char *dir, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, CLI_MARKS_FILE);
}

/* One entry of the "entries" array into *mark. */
MSE_MUST_USE static mse_err read_mark(json_t *e, struct cli_trust_mark *mark)
{
    json_t *name = json_object_get(e, "name"), *sha = json_object_get(e, "sha256");
    json_t *at = json_object_get(e, "added_at"), *target = json_object_get(e, "target");
    json_t *forced = json_object_get(e, "forced");
    uint8_t digest[32];
    MSE_ENSURE(json_is_object(e) && json_is_string(name) && json_is_string(sha) &&
                   json_is_string(at) && (!target || json_is_string(target)) &&
                   (!forced || json_is_boolean(forced)),
               MSE_ERR_JSON_FIELD);
    MSE_ENSURE(cli_trust_name_ok(json_string_value(name)), MSE_ERR_JSON_FIELD);
    MSE_ENSURE(mse_hex_decode(json_string_value(sha), json_string_length(sha), digest, 32) ==
                   MSE_OK,
               MSE_ERR_JSON_FIELD);
    MSE_ENSURE(json_string_length(at) < sizeof mark->added_at, MSE_ERR_JSON_FIELD);
    memset(mark, 0, sizeof *mark);
    snprintf(mark->name, sizeof mark->name, "%s", json_string_value(name));
    mse_hex_encode(digest, 32, mark->sha256);
    snprintf(mark->added_at, sizeof mark->added_at, "%s", json_string_value(at));
    if (target)
        snprintf(mark->target, sizeof mark->target, "%s", json_string_value(target));
    mark->forced = forced && json_is_true(forced);
    return MSE_OK;
}

mse_err cli_marks_load(const char *dir, struct cli_trust_marks *m, char *why, size_t why_cap)
{
    char path[4200];
    uint8_t *text = NULL;
    size_t len = 0;
    json_error_t jerr;
    m->count = 0;
    marks_path(dir, path, sizeof path);
    mse_err err = mse_file_read(path, MARKS_FILE_LIMIT, &text, &len);
    if (err == MSE_ERR_FILE_NOT_FOUND)
        return MSE_OK;
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "cannot read %s: %s", path, mse_err_str(err));
    json_t *root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    json_t *entries = root ? json_object_get(root, "entries") : NULL;
    err = root ? MSE_OK : MSE_ERR_JSON;
    if (err == MSE_OK && (!json_is_array(entries) || json_array_size(entries) > CLI_MARKS_MAX))
        err = MSE_ERR_JSON_FIELD;
    for (size_t i = 0; err == MSE_OK && i < json_array_size(entries); i++)
        err = read_mark(json_array_get(entries, i), &m->items[m->count++]);
    json_decref(root);
    if (err != MSE_OK) {
        m->count = 0;
        return mse_say(why, why_cap, err, "%s is malformed (%s): fix or remove it", path,
                       mse_err_str(err));
    }
    return MSE_OK;
}

mse_err cli_marks_save(const char *dir, const struct cli_trust_marks *m, char *why,
                       size_t why_cap)
{
    char path[4200];
    json_t *entries = json_array();
    for (size_t i = 0; entries && i < m->count; i++) {
        const struct cli_trust_mark *k = &m->items[i];
        json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", k->name, "sha256", k->sha256,
                              "added_at", k->added_at, "target", k->target, "forced", k->forced);
        if (!e || json_array_append_new(entries, e) != 0) {
            json_decref(entries);
            entries = NULL;
        }
    }
    json_t *root = entries ? json_pack("{s:i, s:o}", "version", 1, "entries", entries) : NULL;
    char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    json_decref(root);
    if (!text)
        return mse_say(why, why_cap, MSE_ERR_NOMEM, "%s", mse_err_str(MSE_ERR_NOMEM));
    marks_path(dir, path, sizeof path);
    mse_err err = mse_file_write_atomic(path, text, strlen(text), 0600);
    free(text);
    if (err != MSE_OK)
        return mse_say(why, why_cap, err, "cannot write %s: %s", path, mse_err_str(err));
    return MSE_OK;
}

const struct cli_trust_mark *cli_marks_find(const struct cli_trust_marks *m, const char *name)
{
    for (size_t i = 0; i < m->count; i++)
        if (strcmp(m->items[i].name, name) == 0)
            return &m->items[i];
    return NULL;
}

mse_err cli_marks_put(struct cli_trust_marks *m, const struct cli_trust_mark *mark)
{
    cli_marks_drop(m, mark->name);
    MSE_ENSURE(m->count < CLI_MARKS_MAX, MSE_ERR_LIMIT);
    m->items[m->count++] = *mark;
    return MSE_OK;
}

void cli_marks_drop(struct cli_trust_marks *m, const char *name)
{
    for (size_t i = 0; i < m->count; i++)
        if (strcmp(m->items[i].name, name) == 0) {
            memmove(&m->items[i], &m->items[i + 1], (m->count - i - 1) * sizeof m->items[0]);
            m->count--;
            return;
        }
}
