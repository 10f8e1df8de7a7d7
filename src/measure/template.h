/*
 * The manifest template language: the part of Jinja that gramine-manifest
 * (python/graminelibos/gen_jinja_env.py: StrictUndefined, no autoescape,
 * keep_trailing_newline, no trim_blocks) renders and that mse-enclave's
 * template uses, so one template file means the same to Gramine's tool and
 * to mse:
 *   {{ NAME }}       a variable; NAME is an identifier, a dotted path
 *                    (gramine.libos) or one with an empty call
 *                    (gramine.runtimedir()); the value is inserted as is
 *   {% if C %} {% elif C %} {% else %} {% endif %}
 *                    C is NAME, not NAME, NAME == "lit" or NAME != "lit"
 *                    (single or double quotes, no escapes); a string is true
 *                    when not empty
 *   {# comment #}
 * Tags are removed and the text around them kept, as Jinja does without
 * trim_blocks. A variable that is not given is an error where it is
 * evaluated (StrictUndefined: a branch not taken is not evaluated). Anything
 * else inside {{ }} or {% %} (filters, loops, whitespace control with '-')
 * is refused, never guessed.
 */
#ifndef MSE_MEASURE_TEMPLATE_H
#define MSE_MEASURE_TEMPLATE_H

#include <stddef.h>

#include <mse/err.h>

#define MSE_TEMPLATE_MAX_DEPTH 16

struct mse_template_var {
    const char *name;  /* as written in the template, e.g. "gramine.runtimedir()" */
    const char *value; /* NUL-terminated */
};

/*
 * Render tpl (len bytes, no NUL inside) with vars. *out is malloc'd,
 * NUL-terminated, *out_len bytes. MSE_ERR_TEMPLATE with the line and the
 * reason in errbuf on a syntax error or an unset variable.
 */
MSE_MUST_USE mse_err mse_template_render(const char *tpl, size_t len,
                                         const struct mse_template_var *vars, size_t nvars,
                                         char **out, size_t *out_len, char *errbuf,
                                         size_t errlen);

#endif
