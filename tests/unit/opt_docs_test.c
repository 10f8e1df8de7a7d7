/*
 * One source per option: each command's option table (what --help, the man
 * page and the completions are made from) and its human page in docs/cmd
 * must name the same options. An option in a table row of the page that no
 * table has, or a listed table option missing from the page's table rows,
 * fails here with both names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gendoc/pages.h"
#include "testlib.h"

#define SRC_DIR MSE_TEST_DATA "/../.."
#define MAX_NAMES 128

struct names {
    size_t count;
    char name[MAX_NAMES][48];
};

static bool has(const struct names *n, const char *name)
{
    for (size_t i = 0; i < n->count; i++)
        if (strcmp(n->name[i], name) == 0)
            return true;
    return false;
}

static void add(struct names *n, const char *name, size_t len)
{
    char buf[48];
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, name, len);
    buf[len] = '\0';
    if (!has(n, buf) && n->count < MAX_NAMES)
        strcpy(n->name[n->count++], buf);
}

/* The --names in one cell of a table row (s up to end). */
static void cell_options(const char *s, const char *end, struct names *n)
{
    for (const char *p = s; p + 2 < end; p++) {
        if (p[0] != '-' || p[1] != '-' ||
            !((p[2] >= 'a' && p[2] <= 'z') || (p[2] >= '0' && p[2] <= '9')) ||
            (p > s && (p[-1] == '-' || p[-1] == '\\')))
            continue;
        const char *q = p + 2;
        while (q < end && ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-'))
            q++;
        if (q > p + 2)
            add(n, p + 2, (size_t)(q - p - 2));
        p = q - 1;
    }
}

/*
 * The options a docs page documents: every --name in the first cell of the
 * table rows of its "## Options" section. Returns false when the page has no
 * such section.
 */
static bool doc_options(const char *text, struct names *n)
{
    bool in_options = false, found = false;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, "## ", 3) == 0) {
            in_options = len >= 10 && strncmp(line, "## Options", 10) == 0;
            found = found || in_options;
        } else if (in_options && line[0] == '|') {
            /* The first cell ends at the next '|' that is not escaped as "\\|". */
            const char *cell_end = line + 1;
            while (cell_end < line + len && !(*cell_end == '|' && cell_end[-1] != '\\'))
                cell_end++;
            cell_options(line + 1, cell_end, n);
        }
        line = end ? end + 1 : NULL;
    }
    return found;
}

/*
 * How far a page's commands and its docs text disagree: each option listed
 * in a table but not in the text, and each option in the text in no table
 * (a hidden option may be documented), counts one and is named on stderr.
 */
static int drift(const char *label, const struct mse_opt_cmd *const *cmds, const char *text)
{
    int failures = 0;
    struct names doc = {0}, all = {0}, listed = {0};
    if (!doc_options(text, &doc)) {
        fprintf(stderr, "%s: no \"## Options\" section\n", label);
        failures++;
    }
    for (const struct mse_opt_cmd *const *c = cmds; *c; c++)
        for (const struct mse_opt *const *t = (*c)->tables; *t; t++)
            for (const struct mse_opt *o = *t; o->name; o++) {
                add(&all, o->name, strlen(o->name));
                if (!(o->flags & MSE_OPT_HIDDEN))
                    add(&listed, o->name, strlen(o->name));
            }
    for (size_t i = 0; i < listed.count; i++)
        if (!has(&doc, listed.name[i])) {
            fprintf(stderr, "%s: --%s is in the option table but not in the page\n", label,
                    listed.name[i]);
            failures++;
        }
    for (size_t i = 0; i < doc.count; i++)
        if (!has(&all, doc.name[i]) && strcmp(doc.name[i], "help") != 0) {
            fprintf(stderr, "%s: --%s is in the page but in no option table\n", label, doc.name[i]);
            failures++;
        }
    return failures;
}

/* The docs/cmd page of a command documented on a page of its own (gendoc_command_docs), or NULL. */
static const char *own_doc(const struct mse_opt_cmd *cmd)
{
    for (const struct gendoc_command_doc *d = gendoc_command_docs; d->cmd; d++)
        if (d->cmd == cmd)
            return d->doc;
    return NULL;
}

/* drift() of the docs/cmd page doc (relative to the source tree) against cmds. */
static int doc_drift(const char *doc, const struct mse_opt_cmd *const *cmds)
{
    char path[4096];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", SRC_DIR, doc);
    char *text = (char *)mse_test_file(path, &len);
    int failures = drift(doc, cmds, text);
    free(text);
    return failures;
}

static void test_tables_match_docs(void **state)
{
    (void)state;
    int failures = 0;
    for (const struct mse_opt_page *p = gendoc_pages; p->name; p++) {
        if (!p->doc)
            continue;
        /* A page that documents its program's commands too (mse-sim) names their options,
         * but for a command with a page of its own (mse-sim pccs serve). */
        const struct mse_opt_cmd *cmds[32];
        size_t n = 0;
        for (const struct mse_opt_cmd *const *c = p->cmds; *c && n + 1 < 32; c++)
            cmds[n++] = *c;
        for (const struct mse_opt_sub *s = p->commands; p->commands_here && s->cmd && n + 1 < 32;
             s++)
            if (!own_doc(s->cmd))
                cmds[n++] = s->cmd;
        cmds[n] = NULL;
        failures += doc_drift(p->doc, cmds);
    }
    for (const struct gendoc_command_doc *d = gendoc_command_docs; d->cmd; d++) {
        const struct mse_opt_cmd *cmds[] = {d->cmd, NULL};
        failures += doc_drift(d->doc, cmds);
    }
    assert_int_equal(failures, 0);
}

/* A command with a page of its own is one its program's man page lists (else no man page
 * would show its options), and it has options to document. */
static void test_command_docs_listed(void **state)
{
    (void)state;
    assert_non_null(gendoc_command_docs[0].cmd);
    for (const struct gendoc_command_doc *d = gendoc_command_docs; d->cmd; d++) {
        bool listed = false;
        for (const struct mse_opt_page *p = gendoc_pages; p->name; p++)
            for (const struct mse_opt_sub *s = p->commands; p->commands_here && s->cmd; s++)
                listed = listed || s->cmd == d->cmd;
        assert_true(listed);
        assert_non_null(d->cmd->tables[0]);
        assert_non_null(d->cmd->tables[0][0].name);
    }
}

/* The check itself: an option added on one side only is caught, in both directions. */
static void test_drift_is_caught(void **state)
{
    (void)state;
    static const struct mse_opt options[] = {
        {"alpha", 0, NULL, "a", 1, 0, MSE_OPT_TAKE, 0},
        {"old", 0, NULL, "an earlier spelling", 2, MSE_OPT_HIDDEN, MSE_OPT_TAKE, 0},
        {0},
    };
    static const struct mse_opt *const tables[] = {options, NULL};
    static const char *const synopsis[] = {"", NULL};
    static const struct mse_opt_cmd cmd = {
        .name = "t", .summary = "t", .synopsis = synopsis, .tables = tables};
    static const struct mse_opt_cmd *const cmds[] = {&cmd, NULL};
    assert_int_equal(drift("same", cmds, "## Options\n| `--alpha` | a |\n| `-h`, `--help` | |\n"),
                     0);
    assert_int_equal(drift("hidden documented", cmds, "## Options\n| `--alpha`, `--old` | a |\n"),
                     0);
    assert_int_equal(drift("table only", cmds, "## Options\n| `--help` | h |\n"), 1);
    assert_int_equal(drift("page only", cmds, "## Options\n| `--alpha`, `--beta` | a |\n"), 1);
    assert_int_equal(drift("no section", cmds, "| `--alpha` | a |\n"), 2);
}

/* The man pages say each listed option once, escaped for roff. */
static void test_man_page(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    mse_opt_write_man(f, &gendoc_pages[1], "0.0", "2026-01-01");
    fclose(f);
    assert_non_null(strstr(text, ".TH MSE-VERIFY 1"));
    assert_non_null(strstr(text, "\\-\\-fingerprint"));
    assert_null(strstr(text, "\\-\\-pccs \\fI")); /* hidden earlier spelling */
    free(text);
    /* mse-sim's one page: its commands, and each one's options under its name. */
    const struct mse_opt_page *sim = gendoc_pages;
    while (sim->name && strcmp(sim->name, "mse-sim") != 0)
        sim++;
    assert_non_null(sim->name);
    f = open_memstream(&text, &len);
    assert_non_null(f);
    mse_opt_write_man(f, sim, "0.0", "2026-01-01");
    fclose(f);
    assert_non_null(strstr(text, ".SH COMMANDS\n.TP\n.B pki init\n"));
    assert_non_null(strstr(text, ".SS mse\\-sim tamper\n"));
    assert_non_null(strstr(text, "\\-\\-valid\\-days \\fIN\\fR"));
    assert_non_null(strstr(text, ".B mse\\-sim pccs serve\n\\-\\-dir DIR"));
    free(text);
}

/*
 * How many listed options of cmd the man text [start, end) lacks, each named on stderr: an
 * option is there as ".B \-\-name" followed by its argument or the line's end (so that
 * --port is not found in --port-file).
 */
static int man_missing(const char *label, const char *start, const char *end,
                       const struct mse_opt_cmd *cmd)
{
    int missing = 0;
    for (const struct mse_opt *const *t = cmd->tables; *t; t++)
        for (const struct mse_opt *o = *t; o->name; o++) {
            if (o->flags & MSE_OPT_HIDDEN)
                continue;
            char want[128];
            size_t n = (size_t)snprintf(want, sizeof want, "\\-\\-");
            for (const char *c = o->name; *c && n + 3 < sizeof want; c++)
                n += (size_t)snprintf(want + n, sizeof want - n, *c == '-' ? "\\-" : "%c", *c);
            bool found = false;
            for (const char *p = start; !found && (p = strstr(p, want)) && p + n < end; p += n)
                found = p[n] == ' ' || p[n] == '\n';
            if (!found) {
                fprintf(stderr, "%s: --%s is in %s's table but not in the man page\n", label,
                        o->name, cmd->name);
                missing++;
            }
        }
    return missing;
}

/* Each man page lists every option of its commands; mse-sim(1) each command's under its name. */
static void test_man_pages_list_every_option(void **state)
{
    (void)state;
    int missing = 0;
    for (const struct mse_opt_page *p = gendoc_pages; p->name; p++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        mse_opt_write_man(f, p, "0.0", "2026-01-01");
        fclose(f);
        for (const struct mse_opt_cmd *const *c = p->cmds; *c; c++)
            missing += man_missing(p->name, text, text + len, *c);
        for (const struct mse_opt_sub *s = p->commands; p->commands_here && s->cmd; s++) {
            /* Its own subsection: from ".SS <name>" to the next heading. */
            char heading[128];
            size_t n = (size_t)snprintf(heading, sizeof heading, ".SS ");
            for (const char *c = s->cmd->name; *c && n + 3 < sizeof heading; c++)
                n += (size_t)snprintf(heading + n, sizeof heading - n, *c == '-' ? "\\-" : "%c",
                                      *c);
            snprintf(heading + n, sizeof heading - n, "\n");
            const char *start = strstr(text, heading);
            assert_non_null(start);
            const char *ss = strstr(start + 1, "\n.SS "), *sh = strstr(start + 1, "\n.SH ");
            const char *end = ss && (!sh || ss < sh) ? ss : sh ? sh : text + len;
            missing += man_missing(p->name, start, end, s->cmd);
        }
        free(text);
    }
    assert_int_equal(missing, 0);
}

/* The check itself: an option the man text lacks is caught, and a longer one is not it. */
static void test_man_missing_is_caught(void **state)
{
    (void)state;
    static const struct mse_opt options[] = {
        {"port", 0, "PORT", "p", 1, 0, MSE_OPT_TAKE, 0},
        {"quiet", 0, NULL, "q", 2, 0, MSE_OPT_TAKE, 0},
        {"old", 0, NULL, "an earlier spelling", 3, MSE_OPT_HIDDEN, MSE_OPT_TAKE, 0},
        {0},
    };
    static const struct mse_opt *const tables[] = {options, NULL};
    static const char *const synopsis[] = {"", NULL};
    static const struct mse_opt_cmd cmd = {
        .name = "t", .summary = "t", .synopsis = synopsis, .tables = tables};
    static const char both[] = ".B \\-\\-port \\fIPORT\\fR\n.B \\-\\-quiet\n";
    static const char longer[] = ".B \\-\\-port\\-file \\fIF\\fR\n.B \\-\\-quiet\n";
    assert_int_equal(man_missing("both", both, both + strlen(both), &cmd), 0);
    assert_int_equal(man_missing("longer", longer, longer + strlen(longer), &cmd), 1);
    assert_int_equal(man_missing("cut", both, both + 10, &cmd), 2);
}

/* docs/environment.md names (first cell of each row: `NAME`) the variables the man pages list. */
static void test_environment_matches_docs(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = (char *)mse_test_file(SRC_DIR "/docs/environment.md", &len);
    struct names doc = {0}, table = {0};
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        if (strncmp(line, "| `", 3) == 0) {
            const char *close = strchr(line + 3, '`');
            if (close && (!end || close < end))
                add(&doc, line + 3, (size_t)(close - line - 3));
        }
        line = end ? end + 1 : NULL;
    }
    free(text);
    int failures = 0;
    for (const struct mse_opt_env *e = gendoc_environment; e->name; e++) {
        add(&table, e->name, strlen(e->name));
        if (!has(&doc, e->name)) {
            fprintf(stderr, "%s is in src/gendoc/environment.c but not in docs/environment.md\n",
                    e->name);
            failures++;
        }
    }
    for (size_t i = 0; i < doc.count; i++)
        if (!has(&table, doc.name[i])) {
            fprintf(stderr, "%s is in docs/environment.md but not in src/gendoc/environment.c\n",
                    doc.name[i]);
            failures++;
        }
    assert_int_equal(failures, 0);
    assert_true(table.count >= 5);
}

/* The page reader takes only the first cell of the Options section's rows. */
static void test_doc_reader(void **state)
{
    (void)state;
    static const char page[] = "# x\n\n| `--not-options` | elsewhere |\n\n## Options\n\n"
                               "| option | meaning |\n|---|---|\n"
                               "| `--a-b N`, `--c` | not `--d` |\n| `--e FILE\\|UUID` | x |\n"
                               "\n## Exit codes\n\n| `--f` | after |\n";
    struct names n = {0};
    assert_true(doc_options(page, &n));
    assert_int_equal(n.count, 3);
    assert_true(has(&n, "a-b") && has(&n, "c") && has(&n, "e"));
    struct names none = {0};
    assert_false(doc_options("# x\n| `--a` | y |\n", &none));
    assert_int_equal(none.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_match_docs),
        cmocka_unit_test(test_command_docs_listed),
        cmocka_unit_test(test_man_pages_list_every_option),
        cmocka_unit_test(test_man_missing_is_caught),
        cmocka_unit_test(test_drift_is_caught),
        cmocka_unit_test(test_man_page),
        cmocka_unit_test(test_doc_reader),
        cmocka_unit_test(test_environment_matches_docs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
