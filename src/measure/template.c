/*
 * The manifest template language (see template.h): a Jinja subset, rendered
 * in one pass with a stack of if-blocks.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mse/guard.h>

#include "measure/template.h"
#include "measure/toml_buf.h"
#include "util/util.h"

/* One {% if %} being rendered. */
struct block {
    bool outer_on; /* the text around the block is rendered */
    bool taken;    /* a branch of this block was chosen */
    bool on;       /* the current branch is rendered */
    bool seen_else;
};

struct render {
    const char *tpl;
    size_t len, pos;
    size_t line; /* 1-based line of pos, for messages */
    const struct mse_template_var *vars;
    size_t nvars;
    struct block stack[MSE_TEMPLATE_MAX_DEPTH];
    size_t depth;
    struct mse_toml_buf out;
    char *errbuf;
    size_t errlen;
};

static bool rendering(const struct render *r)
{
    return r->depth == 0 || r->stack[r->depth - 1].on;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_ident(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* A slice of the tag's inside, consumed from the left. */
struct span {
    const char *p;
    size_t n;
};

static void skip_spaces(struct span *s)
{
    while (s->n && is_space(*s->p)) {
        s->p++;
        s->n--;
    }
}

/* NAME: ident ('.' ident)* ['()'] */
static bool take_name(struct span *s, struct span *name)
{
    skip_spaces(s);
    const char *start = s->p;
    for (;;) {
        if (!s->n || !is_ident(*s->p, true))
            return false;
        while (s->n && is_ident(*s->p, false)) {
            s->p++;
            s->n--;
        }
        if (s->n && *s->p == '.') {
            s->p++;
            s->n--;
            continue;
        }
        break;
    }
    if (s->n >= 2 && s->p[0] == '(' && s->p[1] == ')') {
        s->p += 2;
        s->n -= 2;
    }
    *name = (struct span){start, (size_t)(s->p - start)};
    return true;
}

static bool take_word(struct span *s, const char *w)
{
    size_t n = strlen(w);
    skip_spaces(s);
    if (s->n < n || memcmp(s->p, w, n) != 0 || (s->n > n && is_ident(s->p[n], false)))
        return false;
    s->p += n;
    s->n -= n;
    return true;
}

static bool take_literal(struct span *s, struct span *lit)
{
    skip_spaces(s);
    if (!s->n || (*s->p != '"' && *s->p != '\''))
        return false;
    char q = *s->p;
    const char *end = memchr(s->p + 1, q, s->n - 1);
    if (!end || memchr(s->p + 1, '\\', (size_t)(end - s->p - 1)))
        return false;
    *lit = (struct span){s->p + 1, (size_t)(end - s->p - 1)};
    s->n -= (size_t)(end + 1 - s->p);
    s->p = end + 1;
    return true;
}

static mse_err fail(struct render *r, const char *what, const struct span *about)
{
    if (about)
        return mse_say(r->errbuf, r->errlen, MSE_ERR_TEMPLATE, "template line %zu: %s '%.*s'",
                       r->line, what, (int)(about->n > 80 ? 80 : about->n), about->p);
    return mse_say(r->errbuf, r->errlen, MSE_ERR_TEMPLATE, "template line %zu: %s", r->line,
                   what);
}

static mse_err lookup(struct render *r, const struct span *name, const char **value)
{
    for (size_t k = 0; k < r->nvars; k++) {
        if (strlen(r->vars[k].name) == name->n && memcmp(r->vars[k].name, name->p, name->n) == 0) {
            *value = r->vars[k].value;
            return MSE_OK;
        }
    }
    return fail(r, "unknown variable", name);
}

/* C: NAME | not NAME | NAME == "lit" | NAME != "lit" */
static mse_err condition(struct render *r, struct span s, bool *out)
{
    struct span name, lit;
    const char *value = NULL;
    bool negate = take_word(&s, "not");
    if (!take_name(&s, &name))
        return fail(r, "condition must be NAME, not NAME, NAME == \"...\" or NAME != \"...\"", &s);
    MSE_TRY(lookup(r, &name, &value));
    skip_spaces(&s);
    if (!s.n) {
        *out = (value[0] != '\0') != negate;
        return MSE_OK;
    }
    bool eq = s.n >= 2 && memcmp(s.p, "==", 2) == 0, ne = s.n >= 2 && memcmp(s.p, "!=", 2) == 0;
    if (negate || !(eq || ne))
        return fail(r, "unsupported condition", &s);
    s.p += 2;
    s.n -= 2;
    if (!take_literal(&s, &lit))
        return fail(r, "expected a quoted string without escapes", &s);
    skip_spaces(&s);
    if (s.n)
        return fail(r, "unexpected text after the condition", &s);
    bool same = strlen(value) == lit.n && memcmp(value, lit.p, lit.n) == 0;
    *out = eq ? same : !same;
    return MSE_OK;
}

static mse_err statement(struct render *r, struct span s)
{
    struct block *top = r->depth ? &r->stack[r->depth - 1] : NULL;
    bool c = false;
    if (take_word(&s, "if")) {
        if (r->depth == MSE_TEMPLATE_MAX_DEPTH)
            return fail(r, "if-blocks nested too deep", NULL);
        bool outer = rendering(r);
        /* StrictUndefined evaluates a condition only where it is reached. */
        if (outer)
            MSE_TRY(condition(r, s, &c));
        r->stack[r->depth++] = (struct block){outer, outer && c, outer && c, false};
        return MSE_OK;
    }
    if (take_word(&s, "elif")) {
        if (!top || top->seen_else)
            return fail(r, "elif without an open if", NULL);
        if (top->outer_on && !top->taken)
            MSE_TRY(condition(r, s, &c));
        top->on = top->outer_on && !top->taken && c;
        top->taken = top->taken || top->on;
        return MSE_OK;
    }
    if (take_word(&s, "else")) {
        skip_spaces(&s);
        if (!top || top->seen_else || s.n)
            return fail(r, "else without an open if", NULL);
        top->on = top->outer_on && !top->taken;
        top->taken = true;
        top->seen_else = true;
        return MSE_OK;
    }
    if (take_word(&s, "endif")) {
        skip_spaces(&s);
        if (!top || s.n)
            return fail(r, "endif without an open if", NULL);
        r->depth--;
        return MSE_OK;
    }
    return fail(r, "unsupported statement (only if, elif, else, endif)", &s);
}

static mse_err expression(struct render *r, struct span s)
{
    struct span name;
    const char *value = NULL;
    if (!take_name(&s, &name))
        return fail(r, "expected a variable name", &s);
    skip_spaces(&s);
    if (s.n)
        return fail(r, "only plain variables are supported (no filters or operators)", &s);
    if (!rendering(r))
        return MSE_OK;
    MSE_TRY(lookup(r, &name, &value));
    return mse_toml_buf_str(&r->out, value);
}

static void count_lines(struct render *r, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++)
        r->line += r->tpl[k] == '\n';
}

/* One tag at r->pos ("{{", "{%" or "{#"); r->pos moves past it. */
static mse_err tag(struct render *r)
{
    char kind = r->tpl[r->pos + 1];
    const char *close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
    size_t start = r->pos + 2, end = start;
    while (end + 1 < r->len && !(r->tpl[end] == close[0] && r->tpl[end + 1] == close[1]))
        end++;
    if (end + 1 >= r->len)
        return fail(r, "tag not closed", NULL);
    struct span inside = {r->tpl + start, end - start};
    mse_err err = MSE_OK;
    if (kind != '#' && ((inside.n && inside.p[0] == '-') ||
                        (inside.n && inside.p[inside.n - 1] == '-')))
        err = fail(r, "whitespace control ('-') is not supported", NULL);
    else if (kind == '{')
        err = expression(r, inside);
    else if (kind == '%')
        err = statement(r, inside);
    count_lines(r, r->pos, end + 2);
    r->pos = end + 2;
    return err;
}

mse_err mse_template_render(const char *tpl, size_t len, const struct mse_template_var *vars,
                            size_t nvars, char **out, size_t *out_len, char *errbuf,
                            size_t errlen)
{
    struct render r = {.tpl = tpl, .len = len, .line = 1, .vars = vars, .nvars = nvars,
                       .errbuf = errbuf, .errlen = errlen};
    mse_err err = MSE_OK;
    MSE_ENSURE(memchr(tpl, '\0', len) == NULL,
               mse_say(errbuf, errlen, MSE_ERR_TEMPLATE, "template holds a NUL byte"));
    while (r.pos < len) {
        size_t next = r.pos;
        while (next + 1 < len && !(tpl[next] == '{' && strchr("{%#", tpl[next + 1]) != NULL))
            next++;
        if (next + 1 >= len)
            next = len;
        if (rendering(&r))
            MSE_CHECK_OUT(mse_toml_buf_put(&r.out, tpl + r.pos, next - r.pos));
        count_lines(&r, r.pos, next);
        r.pos = next;
        if (next < len)
            MSE_CHECK_OUT(tag(&r));
    }
    MSE_ENSURE_OUT(r.depth == 0, fail(&r, "if without endif", NULL));
    MSE_CHECK_OUT(mse_toml_buf_put(&r.out, "", 1));
    *out = (char *)r.out.p;
    *out_len = r.out.n - 1;
    return MSE_OK;
out:
    mse_toml_buf_free(&r.out);
    return err;
}
