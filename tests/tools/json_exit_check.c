/*
 * json_exit_check: what a `mse ... --json` run printed on stdout is exactly one
 * JSON object, and that object names the outcome the caller expects (issue 14,
 * acceptance 4). Used by tests/integration/exit_codes_json.sh; jansson parses,
 * so CI needs no jq or python.
 *
 * usage: json_exit_check STDOUT_FILE PROCESS_EXIT EXPECTED_CODE
 *   EXPECTED_CODE MSE_OK: the object has no error (null or absent) and, when it
 *   carries a verdict, the verdict is "ok"; PROCESS_EXIT must be 0.
 *   Otherwise: error.code is EXPECTED_CODE and error.exit is PROCESS_EXIT.
 * Prints one line saying what was found; exits 0 when it matched, 1 when not.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Far above any answer of mse (a verdict with its policy is a few kB). */
#define STDOUT_MAX (4u << 20)

/* "FILE: what is wrong" on stdout (the test shows it); returns the failure status. */
__attribute__((format(printf, 2, 3))) static int mismatch(const char *file, const char *fmt, ...)
{
    va_list ap;
    printf("%s: ", file);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    return 1;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(STDOUT_MAX + 1);
    size_t n = buf ? fread(buf, 1, STDOUT_MAX + 1, f) : 0;
    bool whole = buf != NULL && n <= STDOUT_MAX && !ferror(f);
    fclose(f);
    if (!whole) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* The success case: no error object, verdict (when there is one) "ok". */
static int check_success(const char *file, json_t *root, long process_exit)
{
    json_t *error = json_object_get(root, "error");
    json_t *verdict = json_object_get(root, "verdict");
    if (process_exit != 0)
        return mismatch(file, "expected success, but the process exited %ld", process_exit);
    if (error != NULL && !json_is_null(error)) {
        const char *code = json_string_value(json_object_get(error, "code"));
        return mismatch(file, "expected success, the object names error %s",
                        code ? code : "(no code)");
    }
    const char *verdict_text = json_string_value(verdict);
    if (verdict != NULL && (verdict_text == NULL || strcmp(verdict_text, "ok") != 0))
        return mismatch(file, "expected success, the verdict is not \"ok\"");
    printf("%s: one object, success%s\n", file, verdict ? " (verdict ok)" : "");
    return 0;
}

static int check_error(const char *file, json_t *root, long process_exit, const char *want)
{
    json_t *error = json_object_get(root, "error");
    const char *code = json_string_value(json_object_get(error, "code"));
    json_t *exit_value = json_object_get(error, "exit");
    if (!json_is_object(error) || code == NULL)
        return mismatch(file, "expected %s, the object has no error.code", want);
    if (strcmp(code, want) != 0)
        return mismatch(file, "error.code is %s, expected %s", code, want);
    if (!json_is_integer(exit_value))
        return mismatch(file, "error.exit is missing or not an integer");
    if (json_integer_value(exit_value) != process_exit)
        return mismatch(file, "error.exit is %lld, the process exited %ld",
                        (long long)json_integer_value(exit_value), process_exit);
    printf("%s: one object, error.code %s, error.exit %ld\n", file, code, process_exit);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: json_exit_check STDOUT_FILE PROCESS_EXIT EXPECTED_CODE\n");
        return 2;
    }
    const char *file = argv[1], *want = argv[3];
    char *end = NULL;
    long process_exit = strtol(argv[2], &end, 10);
    if (end == argv[2] || *end != '\0') {
        fprintf(stderr, "json_exit_check: PROCESS_EXIT '%s' is not a number\n", argv[2]);
        return 2;
    }
    size_t len = 0;
    char *text = read_all(file, &len);
    if (text == NULL)
        return mismatch(file, "cannot read it (missing, unreadable or over 4 MiB)");
    if (len == 0) {
        free(text);
        return mismatch(file, "nothing on stdout, expected one JSON object naming %s", want);
    }
    /* Without JSON_DISABLE_EOF_CHECK jansson refuses anything but whitespace after the
     * value: a second object, or a human line, fails here. */
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (root == NULL)
        return mismatch(file, "not exactly one JSON value: %s (line %d)", jerr.text, jerr.line);
    int rc = !json_is_object(root)
                 ? mismatch(file, "the JSON value is not an object")
             : strcmp(want, "MSE_OK") == 0 ? check_success(file, root, process_exit)
                                           : check_error(file, root, process_exit, want);
    json_decref(root);
    return rc;
}
