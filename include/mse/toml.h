/*
 * A strict TOML 1.0 parser and a writer that reproduces tomli-w 1.0.0.
 *
 * Gramine 1.9 reads manifests with tomli 2.0 and writes the expanded
 * manifest (the bytes that get measured into MRENCLAVE) with tomli-w 1.0.0,
 * so both halves follow those two libraries' rules exactly:
 *  - the parser accepts what tomli accepts (CRLF is normalised to LF first,
 *    as tomli does) and refuses everything else: duplicate keys, table
 *    redefinition, dotted keys into [explicit] tables, mutation of inline
 *    tables and arrays, invalid escapes, control characters, bad UTF-8,
 *    integers outside int64 (tomli has bignums; TOML 1.0 says to refuse);
 *  - the writer emits tomli-w 1.0.0's layout: per table, plain values first
 *    (in insertion order), then sub-tables; arrays of tables become
 *    [[headers]] unless every element fits on one 100-character line.
 *
 * Values form a tree of malloc'd nodes owned by the root; tables keep their
 * keys in insertion order (Python dicts do). Strings are UTF-8, may contain
 * NUL (from \u0000) and are also NUL-terminated.
 */
#ifndef MSE_TOML_H
#define MSE_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mse/err.h>

enum mse_toml_type {
    MSE_TOML_STRING = 1,
    MSE_TOML_INT,
    MSE_TOML_FLOAT,
    MSE_TOML_BOOL,
    MSE_TOML_DATETIME,
    MSE_TOML_ARRAY,
    MSE_TOML_TABLE,
};

enum mse_toml_dt_kind {
    MSE_TOML_DT_OFFSET = 1, /* 1979-05-27T07:32:00Z, -07:00, ... */
    MSE_TOML_DT_LOCAL,      /* 1979-05-27T07:32:00 */
    MSE_TOML_DT_DATE,       /* 1979-05-27 */
    MSE_TOML_DT_TIME,       /* 07:32:00 */
};

struct mse_toml_datetime {
    enum mse_toml_dt_kind kind;
    int year, month, day;       /* DATE, LOCAL, OFFSET */
    int hour, minute, second;   /* TIME, LOCAL, OFFSET */
    int micro;                  /* 0..999999; extra fraction digits are dropped (tomli) */
    int offset_min;             /* OFFSET only: minutes east of UTC (Z is 0) */
};

struct mse_toml;

struct mse_toml_kv {
    char *key;   /* UTF-8, NUL-terminated, klen bytes (may contain NUL) */
    size_t klen;
    struct mse_toml *val;
};

struct mse_toml {
    enum mse_toml_type type;
    unsigned flags;            /* parser bookkeeping; 0 for built values */
    char *s;                   /* STRING */
    size_t slen;
    int64_t i;                 /* INT */
    double f;                  /* FLOAT */
    bool b;                    /* BOOL */
    struct mse_toml_datetime dt; /* DATETIME */
    size_t n, cap;             /* ARRAY items / TABLE entries */
    struct mse_toml **items;   /* ARRAY */
    struct mse_toml_kv *kv;    /* TABLE, insertion order */
};

/* Limits applied by the parser (and the writer's recursion). */
#define MSE_TOML_MAX_INPUT (16u << 20) /* bytes */
#define MSE_TOML_MAX_DEPTH 64          /* nested arrays / inline tables / key parts */

/*
 * Parse `len` bytes of TOML. On success *out is the root table (caller frees
 * with mse_toml_free). On MSE_ERR_TOML, *err_line (if not NULL) is the
 * 1-based line of the error. Errors: MSE_ERR_TOML, MSE_ERR_LIMIT, MSE_ERR_NOMEM.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_toml_parse(const void *src, size_t len, struct mse_toml **out,
                                    size_t *err_line) MSE_NONNULL(3);
MSE_EXTERN void mse_toml_free(struct mse_toml *v);

/*
 * Serialize a root table exactly as tomli-w 1.0.0 `dumps` does (no
 * multiline strings). *out is malloc'd, NUL-terminated, *len bytes.
 * MSE_ERR_UNSUPPORTED for floats (use mse_toml_write_ex to print them),
 * MSE_ERR_ARG if root is not a table, MSE_ERR_LIMIT past the depth limit.
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_toml_write(const struct mse_toml *root, char **out, size_t *len)
    MSE_NONNULL(1, 2, 3);

/*
 * Formats a float the way Python's str(float) does, into buf (cap bytes,
 * NUL-terminated); returns the length, 0 on failure. The pure core cannot
 * format floats (no stdio), so callers that must write floats pass one
 * (src/util/pyfloat.h: mse_py_float_repr).
 */
typedef size_t (*mse_toml_float_fmt)(double f, char *buf, size_t cap);
/* mse_toml_write with floats printed by `ff` (NULL: floats are MSE_ERR_UNSUPPORTED). */
MSE_EXTERN MSE_MUST_USE mse_err mse_toml_write_ex(const struct mse_toml *root, mse_toml_float_fmt ff,
                                       char **out, size_t *len) MSE_NONNULL(1, 3, 4);

/* Lookup in a table by a NUL-free key; NULL if absent or not a table. */
MSE_EXTERN struct mse_toml *mse_toml_get(const struct mse_toml *table, const char *key);
/* Same, and NULL unless the value has the given type. */
MSE_EXTERN struct mse_toml *mse_toml_get_type(const struct mse_toml *table, const char *key,
                                   enum mse_toml_type type);

/* Strict UTF-8 (no overlongs, surrogates, or code points past U+10FFFF), as Python decodes. */
MSE_EXTERN bool mse_toml_utf8_valid(const void *s, size_t len);

/* Builders (NULL on allocation failure). */
MSE_EXTERN struct mse_toml *mse_toml_new(enum mse_toml_type type);
MSE_EXTERN struct mse_toml *mse_toml_new_string(const char *s, size_t len);
MSE_EXTERN struct mse_toml *mse_toml_new_int(int64_t i);
MSE_EXTERN struct mse_toml *mse_toml_new_bool(bool b);
/* Deep copy. */
MSE_EXTERN struct mse_toml *mse_toml_clone(const struct mse_toml *v);
/*
 * Set key in table: replaces the value in place if present (keeping its
 * position, as a Python dict does), else appends. Takes ownership of val
 * (freed on error).
 */
MSE_EXTERN MSE_MUST_USE mse_err mse_toml_set(struct mse_toml *table, const char *key, struct mse_toml *val);
/* Append to an array; takes ownership of val (freed on error). */
MSE_EXTERN MSE_MUST_USE mse_err mse_toml_push(struct mse_toml *array, struct mse_toml *val);

#endif
