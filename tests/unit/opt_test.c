/*
 * The option-table parser (src/util/opt.c): every accepted spelling, and each
 * usage error with its one-line reason and error code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "util/opt.h"

enum { T_NAME = 1, T_FLAG, T_QUIET, T_OLD };

static const struct mse_opt table[] = {
    {"name", 'n', "NAME", "a name", T_NAME, 0, MSE_OPT_TAKE, 0},
    {"flag", 0, NULL, "a switch", T_FLAG, 0, MSE_OPT_TAKE, 0},
    {"quiet", 'q', NULL, "print only errors", T_QUIET, 0, MSE_OPT_TAKE, 0},
    {"old-name", 0, "NAME", "earlier spelling", T_NAME, MSE_OPT_HIDDEN, MSE_OPT_TAKE, 0},
    {0},
};
static const struct mse_opt *const tables[] = {table, NULL};
static const char *const synopsis[] = {"THING [options]", NULL};
static const struct mse_opt_cmd cmd = {.name = "mse test", .summary = "test the parser",
                                       .synopsis = synopsis, .tables = tables};

struct seen {
    const char *name;
    const char *operands[4];
    int n_operands;
    int flags, quiet;
};

/* Parse argv to the end; the last mse_opt_next result (MSE_OPT_DONE, _ERROR or _HELP). */
static int parse(char **argv, struct seen *s, char *why, size_t cap, mse_err *error)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    struct mse_opt_parser p;
    const char *arg;
    int id;
    memset(s, 0, sizeof *s);
    mse_opt_init(&p, &cmd, argc, argv);
    while ((id = mse_opt_next(&p, &arg, why, cap)) > 0 || id == MSE_OPT_OPERAND) {
        if (id == T_NAME)
            s->name = arg;
        else if (id == T_FLAG)
            s->flags++;
        else if (id == T_QUIET)
            s->quiet++;
        else if (id == MSE_OPT_OPERAND && s->n_operands < 4)
            s->operands[s->n_operands++] = arg;
    }
    *error = p.error;
    return id;
}

static void test_spellings(void **state)
{
    (void)state;
    char why[128] = "";
    mse_err e;
    struct seen s;
    char *a1[] = {"test", "x", "--name", "v1", "--flag", "y", NULL};
    assert_int_equal(parse(a1, &s, why, sizeof why, &e), MSE_OPT_DONE);
    assert_string_equal(s.name, "v1");
    assert_int_equal(s.flags, 1);
    assert_int_equal(s.n_operands, 2);
    assert_string_equal(s.operands[0], "x");
    assert_string_equal(s.operands[1], "y");
    char *a2[] = {"test", "--name=v2", "-q", NULL};
    assert_int_equal(parse(a2, &s, why, sizeof why, &e), MSE_OPT_DONE);
    assert_string_equal(s.name, "v2");
    assert_int_equal(s.quiet, 1);
    char *a3[] = {"test", "-nv3", NULL};
    assert_int_equal(parse(a3, &s, why, sizeof why, &e), MSE_OPT_DONE);
    assert_string_equal(s.name, "v3");
    char *a4[] = {"test", "-n", "v4", "--old-name", "v5", NULL};
    assert_int_equal(parse(a4, &s, why, sizeof why, &e), MSE_OPT_DONE);
    assert_string_equal(s.name, "v5");
    /* After "--" everything is an operand; "-" alone always is one. */
    char *a5[] = {"test", "-", "--", "--flag", NULL};
    assert_int_equal(parse(a5, &s, why, sizeof why, &e), MSE_OPT_DONE);
    assert_int_equal(s.flags, 0);
    assert_int_equal(s.n_operands, 2);
    assert_string_equal(s.operands[1], "--flag");
    /* An empty value is still a value. */
    char *a6[] = {"test", "--name=", NULL};
    assert_int_equal(parse(a6, &s, why, sizeof why, &e), MSE_OPT_DONE);
    assert_string_equal(s.name, "");
}

static void test_help(void **state)
{
    (void)state;
    char why[128] = "";
    mse_err e;
    struct seen s;
    char *a1[] = {"test", "x", "--help", NULL};
    assert_int_equal(parse(a1, &s, why, sizeof why, &e), MSE_OPT_HELP);
    char *a2[] = {"test", "-h", NULL};
    assert_int_equal(parse(a2, &s, why, sizeof why, &e), MSE_OPT_HELP);
    /* The help lists every visible option once, and not the hidden spelling. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    mse_opt_help(f, &cmd);
    fclose(f);
    assert_non_null(strstr(text, "usage: mse test THING [options]"));
    assert_non_null(strstr(text, "-n, --name NAME"));
    assert_non_null(strstr(text, "--flag"));
    assert_non_null(strstr(text, "-h, --help"));
    assert_null(strstr(text, "old-name"));
    free(text);
}

static void expect_error(char **argv, mse_err code, const char *reason)
{
    char why[128] = "";
    mse_err e = MSE_OK;
    struct seen s;
    assert_int_equal(parse(argv, &s, why, sizeof why, &e), MSE_OPT_ERROR);
    assert_int_equal(e, code);
    assert_string_equal(why, reason);
}

static void test_errors(void **state)
{
    (void)state;
    char *a1[] = {"test", "--nope", NULL};
    expect_error(a1, MSE_ERR_ARG, "unknown option --nope");
    char *a2[] = {"test", "--name", NULL};
    expect_error(a2, MSE_ERR_ARG_MISSING, "--name needs an argument (NAME)");
    char *a3[] = {"test", "--flag=1", NULL};
    expect_error(a3, MSE_ERR_ARG, "--flag takes no value");
    /* No abbreviations: a prefix would change meaning when an option is added. */
    char *a4[] = {"test", "--fla", NULL};
    expect_error(a4, MSE_ERR_ARG, "unknown option --fla");
    char *a5[] = {"test", "-x", NULL};
    expect_error(a5, MSE_ERR_ARG, "unknown option -x");
    char *a6[] = {"test", "-qq", NULL};
    expect_error(a6, MSE_ERR_ARG, "unknown option -qq");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    mse_opt_usage_error(f, &cmd, "unknown option --nope");
    fclose(f);
    assert_string_equal(text, "mse test: unknown option --nope\ntry 'mse test --help'\n");
    free(text);
}

static void test_values(void **state)
{
    (void)state;
    char why[128] = "";
    long v = 0;
    unsigned char out[32];
    assert_int_equal(mse_opt_long("timeout", "600", 1, 600, "seconds", &v, why, sizeof why),
                     MSE_OK);
    assert_int_equal(v, 600);
    assert_int_equal(mse_opt_long("timeout", "601", 1, 600, "seconds", &v, why, sizeof why),
                     MSE_ERR_ARG);
    assert_string_equal(why, "--timeout takes 1 to 600 seconds (got '601')");
    assert_int_equal(mse_opt_long("port", "8x", 1, 65535, "", &v, why, sizeof why), MSE_ERR_ARG);
    assert_string_equal(why, "--port takes 1 to 65535 (got '8x')");
    assert_int_equal(mse_opt_long("port", "", 1, 65535, "", &v, why, sizeof why), MSE_ERR_ARG);
    assert_int_equal(mse_opt_hex("fingerprint", "abc", out, 32, why, sizeof why),
                     MSE_ERR_ARG_HEX);
    assert_string_equal(why, "--fingerprint needs 64 hex digits (got 3)");
    char hex[65];
    memset(hex, 'a', 64);
    hex[64] = '\0';
    assert_int_equal(mse_opt_hex("fingerprint", hex, out, 32, why, sizeof why), MSE_OK);
    assert_int_equal(out[31], 0xaa);
    hex[10] = 'g';
    assert_int_equal(mse_opt_hex("fingerprint", hex, out, 32, why, sizeof why), MSE_ERR_ARG_HEX);
}

static int main_a(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 1;
}

/* A program's commands are found by all their words, never by a prefix of them. */
static void test_sub_find(void **state)
{
    (void)state;
    static const char *const syn[] = {"", NULL};
    static const struct mse_opt *const none[] = {NULL};
    static const struct mse_opt_cmd one = {.name = "p quote", .summary = "q", .synopsis = syn,
                                           .tables = none};
    static const struct mse_opt_cmd two = {.name = "p pki init", .summary = "i", .synopsis = syn,
                                           .tables = none};
    static const struct mse_opt_sub subs[] = {{&one, main_a}, {&two, main_a}, {NULL, NULL}};
    char *a1[] = {"p", "quote", "--x"}, *a2[] = {"p", "pki", "init", "DIR"}, *a3[] = {"p", "pki"},
         *a4[] = {"p", "pki", "initx"}, *a5[] = {"p", "quot"}, *a6[] = {"p", "init"};
    int words = -1;
    assert_ptr_equal(mse_opt_sub_find(subs, 3, a1, &words), &subs[0]);
    assert_int_equal(words, 1);
    assert_ptr_equal(mse_opt_sub_find(subs, 4, a2, &words), &subs[1]);
    assert_int_equal(words, 2);
    assert_string_equal(mse_opt_sub_word(&subs[1]), "pki init");
    assert_null(mse_opt_sub_find(subs, 2, a3, &words));
    assert_null(mse_opt_sub_find(subs, 3, a4, &words));
    assert_null(mse_opt_sub_find(subs, 2, a5, &words));
    assert_null(mse_opt_sub_find(subs, 2, a6, &words));
    assert_null(mse_opt_sub_find(subs, 1, a1, &words));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_sub_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
