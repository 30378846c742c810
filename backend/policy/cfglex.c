// SPDX-License-Identifier: BSD-3-Clause
/*
 * The policy file's lexer and strict word parsers. Interface and error
 * conventions: cfglex.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfglex.h"
#include "num.h"

/* --- errors --------------------------------------------------------------- */

static int cfglex_verr(struct vg_cfglex *lx, struct vg_cfgpos at,
		       const char *fmt, va_list ap) VG_PRINTF(3, 0);
static int cfglex_verr(struct vg_cfglex *lx, struct vg_cfgpos at,
		       const char *fmt, va_list ap)
{
	if (!lx->err)
		return -EINVAL;
	lx->err->file = lx->source;
	lx->err->line = at.line;
	lx->err->col = at.col;
	vsnprintf(lx->err->msg, sizeof(lx->err->msg), fmt, ap);
	return -EINVAL;
}

int vg_cfglex_err_at(struct vg_cfglex *lx, struct vg_cfgpos at, const char *fmt,
		     ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfglex_verr(lx, at, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int vg_cfglex_err(struct vg_cfglex *lx, unsigned int col, const char *fmt, ...)
{
	struct vg_cfgpos at = {lx->lineno, col};
	va_list ap;

	va_start(ap, fmt);
	cfglex_verr(lx, at, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int vg_cfglex_nomem(struct vg_cfglex *lx)
{
	if (lx->err) {
		lx->err->file = lx->source;
		lx->err->line = lx->err->col = 0;
		snprintf(lx->err->msg, sizeof(lx->err->msg), "out of memory");
	}
	return -ENOMEM;
}

struct vg_cfgpos vg_cfglex_pos(const struct vg_cfglex *lx,
			       const struct vg_cfgtok *t)
{
	struct vg_cfgpos at = {lx->lineno, t->col};

	return at;
}

/* --- small helpers ------------------------------------------------------ */

void *vg_cfg_push(void *arrp, unsigned int *n, size_t size)
{
	void *arr;

	/*
	 * *arrp is some T *; memcpy rather than a void ** store keeps the
	 * access well-typed (object pointers share one representation on
	 * every platform we build for).
	 */
	memcpy(&arr, arrp, sizeof(arr));
	if (!*n || !(*n & (*n - 1))) {
		if (*n > UINT_MAX / 2)
			return NULL;
		arr = realloc(arr, (*n ? 2 * (size_t)*n : 1) * size);
		if (!arr)
			return NULL;
		memcpy(arrp, &arr, sizeof(arr));
	}
	return memset((char *)arr + (size_t)(*n)++ * size, 0, size);
}

bool vg_cfgtok_is(const struct vg_cfgtok *t, const char *word)
{
	return t->kind == VG_TOK_WORD && strlen(word) == t->len &&
	       !memcmp(t->s, word, t->len);
}

char *vg_cfgtok_dup(const struct vg_cfgtok *t)
{
	return strndup(t->s, t->len);
}

bool vg_cfg_is_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return len > 0;
}

bool vg_cfg_is_offset(const char *s, size_t len)
{
	uint64_t v;

	return !vg_num_parse(s, len, 0, UINT_MAX, &v);
}

/* --- the lexer -------------------------------------------------------------- */

static bool is_word_byte(char c)
{
	return c > ' ' && c < 0x7f && !strchr("=,[]#", c);
}

static bool is_arrow(const char *s, unsigned int i, unsigned int len)
{
	return s[i] == '-' && i + 1 < len && s[i + 1] == '>';
}

int vg_cfglex_scan(struct vg_cfglex *lx, const char *s, unsigned int len)
{
	unsigned int i = 0;

	lx->ntoks = 0;
	lx->cur = 0;
	lx->eol_col = len + 1;
	while (i < len) {
		struct vg_cfgtok t = {VG_TOK_WORD, s + i, 1, i + 1};
		struct vg_cfgtok *slot;
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t') {
			i++;
			continue;
		}
		if (c == '#')
			break;
		if (c == '=')
			t.kind = VG_TOK_EQ;
		else if (c == ',')
			t.kind = VG_TOK_COMMA;
		else if (c == '[')
			t.kind = VG_TOK_LBRACK;
		else if (c == ']')
			t.kind = VG_TOK_RBRACK;
		else if (is_arrow(s, i, len))
			t.kind = VG_TOK_ARROW, t.len = 2;
		else if (c == '\r')
			return vg_cfglex_err(lx, i + 1,
					     "carriage return not followed by "
					     "a newline");
		else if (!is_word_byte((char)c))
			return vg_cfglex_err(
				lx, i + 1,
				"invalid byte 0x%02x (only "
				"printable ASCII outside comments)",
				c);
		else
			while (i + t.len < len && is_word_byte(s[i + t.len]) &&
			       !is_arrow(s, i + t.len, len))
				t.len++;
		slot = VG_CFG_PUSH(lx->toks, lx->ntoks);
		if (!slot)
			return vg_cfglex_nomem(lx);
		*slot = t;
		i += t.len;
	}
	return 0;
}

/* --- the cursor ------------------------------------------------------------- */

const struct vg_cfgtok *vg_cfglex_peek(const struct vg_cfglex *lx)
{
	return lx->cur < lx->ntoks ? &lx->toks[lx->cur] : NULL;
}

const struct vg_cfgtok *vg_cfglex_take(struct vg_cfglex *lx,
				       enum vg_cfgtok_kind kind)
{
	const struct vg_cfgtok *t = vg_cfglex_peek(lx);

	if (!t || t->kind != kind)
		return NULL;
	lx->cur++;
	return t;
}

int vg_cfglex_expect(struct vg_cfglex *lx, enum vg_cfgtok_kind kind,
		     const char *what, const struct vg_cfgtok **out)
{
	const struct vg_cfgtok *t = vg_cfglex_peek(lx);

	if (!t)
		return vg_cfglex_err(lx, lx->eol_col,
				     "expected %s at end of line", what);
	if (t->kind != kind)
		return vg_cfglex_err(lx, t->col, "expected %s, got '%.*s'",
				     what, VG_TOKF(t));
	lx->cur++;
	if (out)
		*out = t;
	return 0;
}

int vg_cfglex_end(struct vg_cfglex *lx, const char *suffix)
{
	const struct vg_cfgtok *t = vg_cfglex_peek(lx);

	if (!t)
		return 0;
	return vg_cfglex_err(lx, t->col, "unexpected '%.*s'%s", VG_TOKF(t),
			     suffix);
}

/* --- strict words ----------------------------------------------------------- */

int vg_cfglex_num(struct vg_cfglex *lx, const struct vg_cfgtok *t, uint32_t min,
		  uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	int rc = -EINVAL;

	if (t->kind == VG_TOK_WORD)
		rc = vg_num_parse(t->s, t->len, 0, max, &v);
	if (rc == -EINVAL)
		return vg_cfglex_err(lx, t->col, "'%.*s' is not a number",
				     VG_TOKF(t));
	if (rc == -EDOM)
		return vg_cfglex_err(lx, t->col,
				     "number '%.*s' has a leading zero",
				     VG_TOKF(t));
	if (rc || v < min)
		return vg_cfglex_err(lx, t->col,
				     "number '%.*s' out of range (%u..%u)",
				     VG_TOKF(t), min, max);
	*out = (uint32_t)v;
	return 0;
}

int vg_cfglex_name(struct vg_cfglex *lx, const struct vg_cfgtok *t,
		   const char *what, unsigned int max)
{
	if (t->len > max)
		return vg_cfglex_err(
			lx, t->col, "%s '%.*s%s' longer than %u characters",
			what, VG_TOKF(t),
			t->len > VG_CFG_TOKEN_SHOWN ? "..." : "", max);
	return 0;
}

int vg_cfglex_pick(struct vg_cfglex *lx, const struct vg_cfgtok *t,
		   const char *what, const char *const *words, unsigned int n,
		   unsigned int *out)
{
	char list[128] = "";
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (vg_cfgtok_is(t, words[i])) {
			*out = i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? ", " : "", words[i]);
	}
	return vg_cfglex_err(lx, t->col, "unknown %s '%.*s' (expected %s)",
			     what, VG_TOKF(t), list);
}
