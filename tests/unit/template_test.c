/*
 * The manifest template language (src/measure/template.h): what it renders
 * as Jinja does (gramine-manifest's environment: StrictUndefined, no
 * trim_blocks, no autoescape), and everything outside the subset refused
 * with MSE_ERR_TEMPLATE and the line, never guessed.
 */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "measure/template.h"

static const struct mse_template_var VARS[] = {
    {"mode", "owner"},
    {"empty", ""},
    {"gramine.libos", "/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so"},
    {"gramine.runtimedir()", "/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc"},
    {"app_cmd", "exec ./app --x 'y'"},
};

static mse_err render(const char *tpl, char **out, char *err, size_t errlen)
{
    size_t len = 0;
    return mse_template_render(tpl, strlen(tpl), VARS, sizeof VARS / sizeof VARS[0], out, &len,
                               err, errlen);
}

static void expect(const char *tpl, const char *want)
{
    char *out = NULL, err[256] = "";
    mse_err rc = render(tpl, &out, err, sizeof err);
    if (rc != MSE_OK)
        fail_msg("%s: %s", tpl, err);
    assert_string_equal(out, want);
    free(out);
}

static void expect_refused(const char *tpl, const char *why)
{
    char *out = NULL, err[256] = "";
    assert_int_equal(render(tpl, &out, err, sizeof err), MSE_ERR_TEMPLATE);
    assert_null(out);
    if (!strstr(err, why))
        fail_msg("%s: '%s' does not say '%s'", tpl, err, why);
}

static void test_variables(void **state)
{
    expect("a = \"{{ mode }}\"\n", "a = \"owner\"\n");
    expect("{{mode}}{{  mode  }}", "ownerowner");
    expect("uri = \"file:{{ gramine.libos }}\"", "uri = \"file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so\"");
    expect("{{ gramine.runtimedir() }}/libc.so.6", "/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc/libc.so.6");
    /* inserted as is, as Jinja without autoescape does */
    expect("{{ app_cmd }}", "exec ./app --x 'y'");
    /* text without tags, a lone brace, the trailing newline: untouched */
    expect("a = { b = 1 }\n}\n{", "a = { b = 1 }\n}\n{");
    expect("", "");
}

static void test_conditions(void **state)
{
    expect("{% if mode == \"owner\" %}O{% endif %}", "O");
    expect("{% if mode == 'owner' %}O{% else %}N{% endif %}", "O");
    expect("{% if mode != \"owner\" %}O{% else %}N{% endif %}", "N");
    expect("{% if empty %}E{% elif mode == \"x\" %}X{% elif mode %}M{% else %}Z{% endif %}", "M");
    expect("{% if not empty %}ne{% endif %}", "ne");
    expect("{% if empty %}{% if mode %}in{% endif %}{% else %}out{% endif %}", "out");
    /* no trim_blocks: the newline after a tag stays */
    expect("[\n{% if mode %}\n  1,\n{% endif %}\n]\n", "[\n\n  1,\n\n]\n");
    expect("a{# a comment {{ unknown }} #}b", "ab");
    /* StrictUndefined is lazy: a branch not taken is not evaluated */
    expect("{% if empty %}{{ nowhere }}{% if nothing %}{% endif %}{% endif %}ok", "ok");
    expect("{% if mode %}{% elif nothing %}{% endif %}ok", "ok");
}

static void test_refusals(void **state)
{
    expect_refused("{{ nowhere }}", "unknown variable 'nowhere'");
    expect_refused("\n\n{% if nothing %}{% endif %}", "line 3");
    expect_refused("{{ mode", "not closed");
    expect_refused("{% endif %}", "endif without");
    expect_refused("{% else %}", "else without");
    expect_refused("{% if mode %}{% else %}{% else %}{% endif %}", "else without");
    expect_refused("{% if mode %}{% else %}{% elif mode %}{% endif %}", "elif without");
    expect_refused("{% if mode %}", "if without endif");
    expect_refused("{{ mode|upper }}", "only plain variables");
    expect_refused("{{ mode ~ 'x' }}", "only plain variables");
    expect_refused("{{ 'x' }}", "expected a variable name");
    expect_refused("{%- if mode %}{% endif %}", "whitespace control");
    expect_refused("{{ mode -}}", "whitespace control");
    expect_refused("{% for x in y %}{% endfor %}", "unsupported statement");
    expect_refused("{% if mode == owner %}{% endif %}", "quoted string");
    expect_refused("{% if mode == \"a\\\"\" %}{% endif %}", "quoted string");
    expect_refused("{% if mode == \"a\" and empty %}{% endif %}", "after the condition");
    expect_refused("{% if mode < \"a\" %}{% endif %}", "unsupported condition");
    expect_refused("{% if not mode == \"a\" %}{% endif %}", "unsupported condition");
    char deep[(MSE_TEMPLATE_MAX_DEPTH + 1) * 16] = "";
    for (int k = 0; k <= MSE_TEMPLATE_MAX_DEPTH; k++)
        strcat(deep, "{% if mode %}");
    expect_refused(deep, "nested too deep");
    char *out = NULL, err[128];
    size_t len = 0;
    assert_int_equal(mse_template_render("a\0b", 3, VARS, 1, &out, &len, err, sizeof err),
                     MSE_ERR_TEMPLATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variables),
        cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
