/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy file's lexer, for the config parser (config.c and its
 * sections) and tools that read the same format: one line at a time into
 * tokens, a cursor over them, the strict word parsers (numbers, names,
 * keywords) and the errors (struct vg_config_err: source, line, column,
 * message). Columns count bytes from 1; a missing token is reported at
 * the end of its line.
 *
 * Errors return -EINVAL (-ENOMEM when out of memory) after filling the
 * caller's struct vg_config_err, if any; nothing logs.
 */
#ifndef VGPIO_CFGLEX_H
#define VGPIO_CFGLEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vgpio/types.h>
#include "config.h"

#define VG_CFG_TOKEN_SHOWN 40 /* longest token quoted in a message */

/* Words are printable ASCII without blanks or = , [ ] #. */
enum vg_cfgtok_kind {
	VG_TOK_WORD,
	VG_TOK_EQ,
	VG_TOK_COMMA,
	VG_TOK_ARROW, /* -> */
	VG_TOK_LBRACK,
	VG_TOK_RBRACK,
};

/* Points into the line being read: valid until the next vg_cfglex_scan. */
struct vg_cfgtok {
	enum vg_cfgtok_kind kind;
	const char *s;
	unsigned int len;
	unsigned int col;
};

struct vg_cfgpos {
	unsigned int line, col;
};

struct vg_cfglex {
	const char *source; /* names the input in errors */
	struct vg_config_err *err; /* filled on error; may be NULL */

	unsigned int lineno; /* the line being read, from 1 */
	unsigned int eol_col; /* where a missing token is reported */
	struct vg_cfgtok *toks; /* owned; free() when done */
	unsigned int ntoks, cur; /* cur: the cursor, an index in toks */
};

/* "%.*s" arguments for a token, cut to keep messages short. */
#define VG_TOKF(t)                                                            \
	(int)((t)->len > VG_CFG_TOKEN_SHOWN ? VG_CFG_TOKEN_SHOWN : (t)->len), \
		(t)->s

/*
 * Tokenize @len bytes of line lx->lineno (without its line end) and put
 * the cursor on the first token. A '#' starts a comment; any other byte
 * outside printable ASCII, blank and tab is an error.
 */
int vg_cfglex_scan(struct vg_cfglex *lx, const char *s, unsigned int len);

/* The token under the cursor, or NULL at the end of the line. */
const struct vg_cfgtok *vg_cfglex_peek(const struct vg_cfglex *lx);
/* The token under the cursor if it is of @kind (and step over it). */
const struct vg_cfgtok *vg_cfglex_take(struct vg_cfglex *lx,
				       enum vg_cfgtok_kind kind);
/*
 * The next token, which must be of @kind; @what names it in the error
 * ("a line count"). @out may be NULL.
 */
int vg_cfglex_expect(struct vg_cfglex *lx, enum vg_cfgtok_kind kind,
		     const char *what, const struct vg_cfgtok **out);
/* No token left on the line: "unexpected 'x'@suffix" otherwise. */
int vg_cfglex_end(struct vg_cfglex *lx, const char *suffix);

/* Errors at column @col of the current line, or at @at. */
int vg_cfglex_err(struct vg_cfglex *lx, unsigned int col, const char *fmt, ...)
	VG_PRINTF(3, 4);
int vg_cfglex_err_at(struct vg_cfglex *lx, struct vg_cfgpos at, const char *fmt,
		     ...) VG_PRINTF(3, 4);
/* "out of memory", without a position; returns -ENOMEM. */
int vg_cfglex_nomem(struct vg_cfglex *lx);

struct vg_cfgpos vg_cfglex_pos(const struct vg_cfglex *lx,
			       const struct vg_cfgtok *t);

/* Strict decimal: "0" or [1-9][0-9]*, the whole token, in [min, max]. */
int vg_cfglex_num(struct vg_cfglex *lx, const struct vg_cfgtok *t, uint32_t min,
		  uint32_t max, uint32_t *out);
/* At most @max bytes; @what names the token ("chip name"). */
int vg_cfglex_name(struct vg_cfglex *lx, const struct vg_cfgtok *t,
		   const char *what, unsigned int max);
/* Index of @t among @n @words; the error ("unknown @what") lists them. */
int vg_cfglex_pick(struct vg_cfglex *lx, const struct vg_cfgtok *t,
		   const char *what, const char *const *words, unsigned int n,
		   unsigned int *out);

bool vg_cfgtok_is(const struct vg_cfgtok *t, const char *word);
/* A NUL-terminated copy, or NULL. */
char *vg_cfgtok_dup(const struct vg_cfgtok *t);

/* Only digits, at least one. */
bool vg_cfg_is_digits(const char *s, size_t len);
/* A line reference that is an offset (base/num.h: vg_lineref_offset). */
bool vg_cfg_is_offset(const char *s, size_t len);

/*
 * Append a zeroed element to the array @arr of @n elements (both
 * lvalues) and count it: the new element, or NULL with the array
 * unchanged when out of memory.
 */
#define VG_CFG_PUSH(arr, n) \
	((__typeof__(arr))vg_cfg_push(&(arr), &(n), sizeof(*(arr))))
/*
 * VG_CFG_PUSH's worker; @arrp points to the array pointer. Capacity is
 * kept at the next power of two, so it need not be stored.
 */
void *vg_cfg_push(void *arrp, unsigned int *n, size_t size);

#endif /* VGPIO_CFGLEX_H */
