// SPDX-License-Identifier: BSD-3-Clause
/* Strict JSON writer and parser; contract and limits in json.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

/* --- UTF-8 ------------------------------------------------------------- */

/*
 * Length of the valid UTF-8 sequence at @s (@n bytes left), or 0. Follows
 * RFC 3629's table: no overlong forms, no surrogates, nothing above
 * U+10FFFF.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Code point @cp (valid, not a surrogate) as UTF-8 into @out; length. */
static size_t utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* --- writer ------------------------------------------------------------ */

void vg_jw_init(struct vg_jw *w, struct vg_strbuf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

int vg_jw_done(const struct vg_jw *w)
{
	if (w->rc)
		return w->rc;
	if (w->b->rc)
		return w->b->rc;
	return w->depth || w->key || !w->top ? -EINVAL : 0;
}

static bool in_obj(const struct vg_jw *w)
{
	return w->depth && (w->obj & (1u << (w->depth - 1)));
}

static bool has_more(const struct vg_jw *w)
{
	return w->depth && (w->more & (1u << (w->depth - 1)));
}

/* Before any value: the comma, and the checks that it may go here. */
static bool value_begin(struct vg_jw *w)
{
	if (w->rc || w->b->rc)
		return false;
	if (in_obj(w) ? !w->key : (!w->depth && w->top)) {
		w->rc = -EINVAL;
		return false;
	}
	w->top = true;
	if (!in_obj(w) && has_more(w))
		vg_strbuf_add(w->b, ",");
	if (w->depth)
		w->more |= 1u << (w->depth - 1);
	w->key = false;
	return true;
}

static void jw_open(struct vg_jw *w, bool obj)
{
	if (!value_begin(w))
		return;
	if (w->depth == VG_JSON_DEPTH_MAX) {
		w->rc = -EINVAL;
		return;
	}
	w->depth++;
	w->obj = obj ? w->obj | (1u << (w->depth - 1))
		     : w->obj & ~(1u << (w->depth - 1));
	w->more &= ~(1u << (w->depth - 1));
	vg_strbuf_add(w->b, obj ? "{" : "[");
}

static void jw_close(struct vg_jw *w, bool obj)
{
	if (w->rc || w->b->rc)
		return;
	if (!w->depth || in_obj(w) != obj || w->key) {
		w->rc = -EINVAL;
		return;
	}
	w->depth--;
	vg_strbuf_add(w->b, obj ? "}" : "]");
}

void vg_jw_obj(struct vg_jw *w)
{
	jw_open(w, true);
}

void vg_jw_obj_end(struct vg_jw *w)
{
	jw_close(w, true);
}

void vg_jw_arr(struct vg_jw *w)
{
	jw_open(w, false);
}

void vg_jw_arr_end(struct vg_jw *w)
{
	jw_close(w, false);
}

static void put_str(struct vg_strbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run;

	vg_strbuf_add(b, "\"");
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		char esc[7] = "\\u00";

		/* Copy plain runs whole: most strings are nothing else. */
		for (run = 0; i + run < n; run++) {
			c = (unsigned char)s[i + run];
			if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80)
				break;
		}
		vg_strbuf_addn(b, s + i, run);
		i += run;
		if (i == n)
			break;
		if (c >= 0x80) {
			run = utf8_len((const unsigned char *)s + i, n - i);
			if (run)
				vg_strbuf_addn(b, s + i, run);
			else
				vg_strbuf_add(b, "\\ufffd");
			i += run ? run : 1;
			continue;
		}
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			vg_strbuf_addn(b, esc, 2);
		} else if (c == '\n' || c == '\t' || c == '\r') {
			esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			vg_strbuf_addn(b, esc, 2);
		} else {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			vg_strbuf_addn(b, esc, 6);
		}
		i++;
	}
	vg_strbuf_add(b, "\"");
}

void vg_jw_key(struct vg_jw *w, const char *key)
{
	if (w->rc || w->b->rc)
		return;
	if (!in_obj(w) || w->key) {
		w->rc = -EINVAL;
		return;
	}
	if (has_more(w))
		vg_strbuf_add(w->b, ",");
	put_str(w->b, key, strlen(key));
	vg_strbuf_add(w->b, ":");
	w->key = true;
}

void vg_jw_strn(struct vg_jw *w, const char *s, size_t n)
{
	if (value_begin(w))
		put_str(w->b, s, n);
}

void vg_jw_str(struct vg_jw *w, const char *s)
{
	vg_jw_strn(w, s, strlen(s));
}

void vg_jw_u64(struct vg_jw *w, uint64_t v)
{
	if (value_begin(w))
		vg_strbuf_addf(w->b, "%" PRIu64, v);
}

void vg_jw_i64(struct vg_jw *w, int64_t v)
{
	if (value_begin(w))
		vg_strbuf_addf(w->b, "%" PRId64, v);
}

void vg_jw_bool(struct vg_jw *w, bool v)
{
	if (value_begin(w))
		vg_strbuf_add(w->b, v ? "true" : "false");
}

void vg_jw_null(struct vg_jw *w)
{
	if (value_begin(w))
		vg_strbuf_add(w->b, "null");
}

void vg_jw_raw(struct vg_jw *w, const char *json, size_t len)
{
	if (value_begin(w))
		vg_strbuf_addn(w->b, json, len);
}

void vg_jw_value(struct vg_jw *w, const struct vg_json *v)
{
	unsigned int i;

	switch (v->type) {
	case VG_JSON_NULL:
		vg_jw_null(w);
		break;
	case VG_JSON_BOOL:
		vg_jw_bool(w, v->b);
		break;
	case VG_JSON_INT:
		if (v->neg && value_begin(w))
			vg_strbuf_addf(w->b, "-%" PRIu64, v->mag);
		else if (!v->neg)
			vg_jw_u64(w, v->mag);
		break;
	case VG_JSON_STR:
		vg_jw_strn(w, v->s, v->len);
		break;
	case VG_JSON_ARR:
	case VG_JSON_OBJ:
		jw_open(w, v->type == VG_JSON_OBJ);
		for (i = 0; i < v->n; i++) {
			if (v->type == VG_JSON_OBJ)
				vg_jw_key(w, v->k[i]);
			vg_jw_value(w, &v->v[i]);
		}
		jw_close(w, v->type == VG_JSON_OBJ);
		break;
	}
}

void vg_jw_words(struct vg_jw *w, const char *list, char sep)
{
	const char *p = list, *end;

	vg_jw_arr(w);
	while (*p) {
		end = strchr(p, sep);
		if (!end)
			end = p + strlen(p);
		vg_jw_strn(w, p, (size_t)(end - p));
		p = *end ? end + 1 : end;
	}
	vg_jw_arr_end(w);
}

void vg_jw_kstr(struct vg_jw *w, const char *key, const char *s)
{
	vg_jw_key(w, key);
	vg_jw_str(w, s);
}

void vg_jw_ku64(struct vg_jw *w, const char *key, uint64_t v)
{
	vg_jw_key(w, key);
	vg_jw_u64(w, v);
}

void vg_jw_kbool(struct vg_jw *w, const char *key, bool v)
{
	vg_jw_key(w, key);
	vg_jw_bool(w, v);
}

void vg_jw_knull(struct vg_jw *w, const char *key)
{
	vg_jw_key(w, key);
	vg_jw_null(w);
}

void vg_jw_kobj(struct vg_jw *w, const char *key)
{
	vg_jw_key(w, key);
	vg_jw_obj(w);
}

void vg_jw_karr(struct vg_jw *w, const char *key)
{
	vg_jw_key(w, key);
	vg_jw_arr(w);
}

/* --- parser ------------------------------------------------------------ */

struct jp {
	const unsigned char *s;
	size_t len, at;
	unsigned int depth, max_depth;
	struct vg_json_err *err;
	int rc; /* -ENOMEM once out of memory */
};

static int jp_fail(struct jp *p, const char *why)
{
	if (p->err) {
		p->err->offset = p->at;
		snprintf(p->err->msg, sizeof(p->err->msg), "%s", why);
	}
	return -EINVAL;
}

static int jp_nomem(struct jp *p)
{
	p->rc = -ENOMEM;
	if (p->err) {
		p->err->offset = p->at;
		snprintf(p->err->msg, sizeof(p->err->msg), "out of memory");
	}
	return -ENOMEM;
}

static void jp_ws(struct jp *p)
{
	while (p->at < p->len && (p->s[p->at] == ' ' || p->s[p->at] == '\t' ||
				  p->s[p->at] == '\n' || p->s[p->at] == '\r'))
		p->at++;
}

static int jp_value(struct jp *p, struct vg_json *v);

static int jp_literal(struct jp *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->at < n || memcmp(p->s + p->at, word, n))
		return jp_fail(p, "unexpected character");
	p->at += n;
	return 0;
}

static int jp_number(struct jp *p, struct vg_json *v)
{
	uint64_t mag = 0;
	size_t start;

	v->type = VG_JSON_INT;
	if (p->s[p->at] == '-') {
		v->neg = true;
		p->at++;
	}
	start = p->at;
	if (p->at == p->len || p->s[p->at] < '0' || p->s[p->at] > '9')
		return jp_fail(p, "expected a digit");
	while (p->at < p->len && p->s[p->at] >= '0' && p->s[p->at] <= '9') {
		unsigned int d = p->s[p->at] - '0';

		if (p->at > start && p->s[start] == '0')
			return jp_fail(p, "number with a leading zero");
		if (mag > (UINT64_MAX - d) / 10)
			return jp_fail(p, "integer out of range");
		mag = mag * 10 + d;
		p->at++;
	}
	if (p->at < p->len &&
	    (p->s[p->at] == '.' || p->s[p->at] == 'e' || p->s[p->at] == 'E'))
		return jp_fail(p, "only integers are accepted");
	if (v->neg && mag > (uint64_t)INT64_MAX + 1)
		return jp_fail(p, "integer out of range");
	v->mag = mag;
	v->neg = v->neg && mag; /* -0 is 0 */
	return 0;
}

static int jp_hex4(struct jp *p, uint32_t *out)
{
	uint32_t cp = 0;
	unsigned int i;

	if (p->len - p->at < 4)
		return jp_fail(p, "short \\u escape");
	for (i = 0; i < 4; i++) {
		unsigned char c = p->s[p->at + i];

		cp <<= 4;
		if (c >= '0' && c <= '9')
			cp |= c - '0';
		else if (c >= 'a' && c <= 'f')
			cp |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			cp |= c - 'A' + 10;
		else
			return jp_fail(p, "bad \\u escape");
	}
	p->at += 4;
	*out = cp;
	return 0;
}

/* After "\u": one code point, joining a surrogate pair. */
static int jp_escape_u(struct jp *p, uint32_t *out)
{
	uint32_t hi, lo;
	int rc = jp_hex4(p, &hi);

	if (rc)
		return rc;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return jp_fail(p, "unpaired surrogate escape");
	if (hi < 0xd800 || hi > 0xdbff) {
		*out = hi;
		return 0;
	}
	if (p->len - p->at < 2 || p->s[p->at] != '\\' || p->s[p->at + 1] != 'u')
		return jp_fail(p, "unpaired surrogate escape");
	p->at += 2;
	rc = jp_hex4(p, &lo);
	if (rc)
		return rc;
	if (lo < 0xdc00 || lo > 0xdfff)
		return jp_fail(p, "unpaired surrogate escape");
	*out = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	return 0;
}

/* A string at p->at (the opening quote) into a new NUL-terminated copy. */
static int jp_string(struct jp *p, char **out, size_t *outlen)
{
	struct vg_strbuf b = {0};
	int rc = 0;

	p->at++;
	for (;;) {
		size_t run = 0, n;
		unsigned char c;
		uint32_t cp;
		char u8[4];

		while (p->at + run < p->len) {
			c = p->s[p->at + run];
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			run++;
		}
		vg_strbuf_addn(&b, (const char *)p->s + p->at, run);
		p->at += run;
		if (p->at == p->len) {
			rc = jp_fail(p, "unterminated string");
			break;
		}
		c = p->s[p->at];
		if (c == '"') {
			p->at++;
			break;
		}
		if (c < 0x20) {
			rc = jp_fail(p, "control character in a string");
			break;
		}
		if (c >= 0x80) {
			n = utf8_len(p->s + p->at, p->len - p->at);
			if (!n) {
				rc = jp_fail(p, "invalid UTF-8");
				break;
			}
			vg_strbuf_addn(&b, (const char *)p->s + p->at, n);
			p->at += n;
			continue;
		}
		/* A backslash. */
		if (++p->at == p->len) {
			rc = jp_fail(p, "unterminated string");
			break;
		}
		c = p->s[p->at++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			cp = c;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			rc = jp_escape_u(p, &cp);
			if (!rc && !cp)
				rc = jp_fail(p, "\\u0000 in a string");
			break;
		default:
			p->at--;
			rc = jp_fail(p, "bad escape");
			break;
		}
		if (rc)
			break;
		vg_strbuf_addn(&b, u8, utf8_put(cp, u8));
	}
	if (!rc)
		vg_strbuf_add(&b, ""); /* "" too is a string */
	if (!rc && b.rc)
		rc = jp_nomem(p);
	if (rc) {
		free(b.s);
		return rc;
	}
	/*
	 * The buffer grew in steps of at least 256 bytes: keep only what the
	 * string needs, so memory stays a small multiple of the input.
	 */
	*out = realloc(b.s, b.len + 1);
	if (!*out)
		*out = b.s;
	*outlen = b.len;
	return 0;
}

/* Room for one more child of @v: grows v->v (and v->k for objects). */
static int jp_grow(struct jp *p, struct vg_json *v, unsigned int *cap)
{
	struct vg_json *nv;
	char **nk;
	unsigned int ncap;

	if (v->n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	nv = realloc(v->v, ncap * sizeof(*nv));
	if (!nv)
		return jp_nomem(p);
	v->v = nv;
	if (v->type == VG_JSON_OBJ) {
		nk = realloc(v->k, ncap * sizeof(*nk));
		if (!nk)
			return jp_nomem(p);
		v->k = nk;
	}
	*cap = ncap;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorting a copy of the keys finds a duplicate in n log n, not n^2. */
static int jp_no_duplicates(struct jp *p, const struct vg_json *v)
{
	char **keys;
	unsigned int i;
	int rc = 0;

	if (v->n < 2)
		return 0;
	keys = malloc(v->n * sizeof(*keys));
	if (!keys)
		return jp_nomem(p);
	memcpy(keys, v->k, v->n * sizeof(*keys));
	qsort(keys, v->n, sizeof(*keys), cmp_key);
	for (i = 1; i < v->n && !rc; i++)
		if (!strcmp(keys[i - 1], keys[i]))
			rc = jp_fail(p, "duplicate key in an object");
	free(keys);
	return rc;
}

/* An array or object at p->at (its opening bracket). */
static int jp_container(struct jp *p, struct vg_json *v, bool obj)
{
	const char close = obj ? '}' : ']';
	unsigned int cap = 0;
	int rc;

	if (p->depth == p->max_depth)
		return jp_fail(p, "nested too deeply");
	p->depth++;
	p->at++;
	v->type = obj ? VG_JSON_OBJ : VG_JSON_ARR;
	jp_ws(p);
	if (p->at < p->len && p->s[p->at] == close) {
		p->at++;
		p->depth--;
		return 0;
	}
	for (;;) {
		rc = jp_grow(p, v, &cap);
		if (rc)
			return rc;
		memset(&v->v[v->n], 0, sizeof(v->v[v->n]));
		if (obj) {
			size_t klen;

			jp_ws(p);
			if (p->at == p->len || p->s[p->at] != '"')
				return jp_fail(p, "expected a key");
			rc = jp_string(p, &v->k[v->n], &klen);
			if (rc)
				return rc;
			/* Counted now, so vg_json_free frees the key. */
			v->n++;
			jp_ws(p);
			if (p->at == p->len || p->s[p->at] != ':')
				return jp_fail(p, "expected ':'");
			p->at++;
			rc = jp_value(p, &v->v[v->n - 1]);
		} else {
			v->n++;
			rc = jp_value(p, &v->v[v->n - 1]);
		}
		if (rc)
			return rc;
		jp_ws(p);
		if (p->at == p->len)
			return jp_fail(p, obj ? "expected ',' or '}'"
					      : "expected ',' or ']'");
		if (p->s[p->at] == close)
			break;
		if (p->s[p->at] != ',')
			return jp_fail(p, obj ? "expected ',' or '}'"
					      : "expected ',' or ']'");
		p->at++;
	}
	p->at++;
	p->depth--;
	return obj ? jp_no_duplicates(p, v) : 0;
}

static int jp_value(struct jp *p, struct vg_json *v)
{
	jp_ws(p);
	if (p->at == p->len)
		return jp_fail(p, "expected a value");
	switch (p->s[p->at]) {
	case '{':
		return jp_container(p, v, true);
	case '[':
		return jp_container(p, v, false);
	case '"':
		v->type = VG_JSON_STR;
		return jp_string(p, &v->s, &v->len);
	case 't':
		v->type = VG_JSON_BOOL;
		v->b = true;
		return jp_literal(p, "true");
	case 'f':
		v->type = VG_JSON_BOOL;
		return jp_literal(p, "false");
	case 'n':
		v->type = VG_JSON_NULL;
		return jp_literal(p, "null");
	default:
		if (p->s[p->at] == '-' ||
		    (p->s[p->at] >= '0' && p->s[p->at] <= '9'))
			return jp_number(p, v);
		return jp_fail(p, "unexpected character");
	}
}

static void json_dispose(struct vg_json *v)
{
	unsigned int i;

	for (i = 0; i < v->n; i++) {
		json_dispose(&v->v[i]);
		if (v->k)
			free(v->k[i]);
	}
	free(v->v);
	free(v->k);
	free(v->s);
}

void vg_json_free(struct vg_json *v)
{
	if (!v)
		return;
	json_dispose(v);
	free(v);
}

int vg_json_parse(const char *text, size_t len, unsigned int max_depth,
		  struct vg_json **out, struct vg_json_err *err)
{
	struct jp p = {
		.s = (const unsigned char *)text,
		.len = len,
		.max_depth = max_depth,
		.err = err,
	};
	struct vg_json *v;
	int rc;

	if (!max_depth || max_depth > VG_JSON_DEPTH_MAX)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return jp_nomem(&p);
	rc = jp_value(&p, v);
	if (!rc) {
		jp_ws(&p);
		if (p.at != p.len)
			rc = jp_fail(&p, "bytes after the value");
	}
	if (rc) {
		vg_json_free(v);
		return p.rc ? p.rc : rc;
	}
	*out = v;
	return 0;
}

/* --- accessors ------------------------------------------------------------ */

const struct vg_json *vg_json_get(const struct vg_json *obj, const char *key)
{
	unsigned int i;

	if (!obj || obj->type != VG_JSON_OBJ)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (!strcmp(obj->k[i], key))
			return &obj->v[i];
	return NULL;
}

const char *vg_json_str(const struct vg_json *v)
{
	return v && v->type == VG_JSON_STR ? v->s : NULL;
}

int vg_json_u64(const struct vg_json *v, uint64_t *out)
{
	if (!v || v->type != VG_JSON_INT || v->neg)
		return -EINVAL;
	*out = v->mag;
	return 0;
}

int vg_json_i64(const struct vg_json *v, int64_t *out)
{
	if (!v || v->type != VG_JSON_INT)
		return -EINVAL;
	if (v->neg) {
		/* mag <= 2^63 (the parser's limit): -(mag - 1) - 1 fits. */
		*out = -(int64_t)(v->mag - 1) - 1;
		return 0;
	}
	if (v->mag > INT64_MAX)
		return -ERANGE;
	*out = (int64_t)v->mag;
	return 0;
}

bool vg_json_true(const struct vg_json *v)
{
	return v && v->type == VG_JSON_BOOL && v->b;
}

const struct vg_json *vg_json_get_arr(const struct vg_json *obj,
				      const char *key)
{
	const struct vg_json *a = vg_json_get(obj, key);

	return a && a->type == VG_JSON_ARR ? a : NULL;
}

const char *vg_json_get_str(const struct vg_json *obj, const char *key,
			    const char *dflt)
{
	const char *s = vg_json_str(vg_json_get(obj, key));

	return s ? s : dflt;
}

uint64_t vg_json_get_u64(const struct vg_json *obj, const char *key,
			 uint64_t dflt)
{
	uint64_t v;

	return vg_json_u64(vg_json_get(obj, key), &v) ? dflt : v;
}
