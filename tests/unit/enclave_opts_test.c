/*
 * docs/cmd/mse-enclave.md and mse-enclave's option table (src/srv/srv_cmd.c)
 * list the same options: every option of the table (hidden ones aside)
 * appears in the first cell of a row of the page's "## Options" table, and
 * every option named there exists in the table. Also: the table's ids are
 * unique and positive, its names unique.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv/srv_cmd.h"
#include "testlib.h"

#define MAX_NAMES 128

struct names {
    char name[MAX_NAMES][64];
    size_t n;
};

static bool names_has(const struct names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0)
            return true;
    return false;
}

static void names_add(struct names *s, const char *name, size_t len)
{
    assert_true(len > 0 && len < sizeof s->name[0]);
    char buf[64];
    memcpy(buf, name, len);
    buf[len] = '\0';
    if (names_has(s, buf))
        return;
    assert_true(s->n < MAX_NAMES);
    memcpy(s->name[s->n++], buf, len + 1);
}

/* The --options named in the first cell of each row of the page's "## Options" table. */
static void doc_options(struct names *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/../../docs/cmd/mse-enclave.md", MSE_TEST_DATA);
    size_t len = 0;
    char *doc = (char *)mse_test_file(path, &len);
    const char *sec = strstr(doc, "\n## Options\n");
    assert_non_null(sec);
    const char *end = strstr(sec + 1, "\n## ");
    if (end == NULL)
        end = doc + len;
    for (const char *line = sec + 1; line != NULL && line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        const char *stop = eol ? eol : end;
        if (line[0] == '|' && line[1] == ' ' && line[2] == '`') {
            const char *cell_end = strstr(line + 1, " | ");
            if (cell_end == NULL || cell_end > stop)
                cell_end = stop;
            for (const char *p = line; p + 2 < cell_end; p++) {
                if (p[0] != '-' || p[1] != '-' || p[-1] == '-')
                    continue;
                size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
                names_add(out, p + 2, n);
            }
        }
        line = eol ? eol + 1 : NULL;
    }
    free(doc);
}

static void test_docs_and_table_agree(void **state)
{
    (void)state;
    struct names doc = {0}, table = {0};
    doc_options(&doc);
    assert_true(doc.n > 10);
    for (const struct mse_opt *const *t = srv_enclave_cmd.tables; *t != NULL; t++)
        for (const struct mse_opt *o = *t; o->name != NULL; o++)
            if (!(o->flags & MSE_OPT_HIDDEN))
                names_add(&table, o->name, strlen(o->name));
    names_add(&table, "help", 4); /* built into the parser */
    for (size_t i = 0; i < table.n; i++)
        if (!names_has(&doc, table.name[i]))
            fail_msg("--%s is in the option table but not in docs/cmd/mse-enclave.md",
                     table.name[i]);
    for (size_t i = 0; i < doc.n; i++)
        if (!names_has(&table, doc.name[i]))
            fail_msg("--%s is in docs/cmd/mse-enclave.md but not in the option table",
                     doc.name[i]);
}

static void test_table_ids_and_names_unique(void **state)
{
    (void)state;
    struct names seen = {0};
    int ids[MAX_NAMES];
    size_t n = 0;
    for (const struct mse_opt *const *t = srv_enclave_cmd.tables; *t != NULL; t++)
        for (const struct mse_opt *o = *t; o->name != NULL; o++) {
            assert_false(names_has(&seen, o->name));
            names_add(&seen, o->name, strlen(o->name));
            assert_true(o->id > 0);
            for (size_t i = 0; i < n; i++)
                assert_int_not_equal(ids[i], o->id);
            assert_true(n < MAX_NAMES);
            ids[n++] = o->id;
            assert_ptr_equal(mse_opt_find(&srv_enclave_cmd, o->id), o);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docs_and_table_agree),
        cmocka_unit_test(test_table_ids_and_names_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
