/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small, strict JSON (RFC 8259) writer and parser for the control
 * protocol (docs/vgpiod.8.md, "CONTROL PROTOCOL") and the tools that
 * speak it. Why our own and not a library: the same page, "Why our own
 * JSON code".
 *
 * The writer appends compact JSON (no blanks, no newlines) to a struct
 * vg_strbuf. Like the buffer, it keeps its first error and ignores later
 * calls, so a caller writes freely and checks vg_jw_done() once. Strings
 * are escaped; a byte that is not valid UTF-8 is written as U+FFFD.
 *
 * The parser takes untrusted input and builds a tree. It refuses, with the
 * byte offset and a reason: anything RFC 8259 does not allow, trailing
 * bytes, nesting deeper than asked, a duplicate key in an object, invalid
 * UTF-8 (overlong forms and surrogates included), unpaired surrogate
 * escapes, "\u0000" (strings are C strings), and numbers that are not
 * integers in [-2^63, 2^64 - 1]: the protocol has no other numbers, and a
 * fraction or exponent is more likely a mistake than a wish. Recursion is
 * bounded by the depth limit; memory by the input's length (about 11
 * bytes of heap per input byte at worst, for an array of empty strings).
 *
 * Pure code over buffers: no I/O, no file-scope state, never logs.
 */
#ifndef VGPIO_JSON_H
#define VGPIO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

/* Deepest nesting the writer supports (the parser takes its own limit). */
#define VG_JSON_DEPTH_MAX 32u

/* --- writer ----------------------------------------------------------- */

struct vg_jw {
	struct vg_strbuf *b;
	unsigned int depth;
	uint32_t obj; /* bit d: level d + 1 is an object (else an array) */
	uint32_t more; /* bit d: level d + 1 has a value (a comma is due) */
	bool key; /* a key was written; its value comes next */
	bool top; /* the top-level value was begun */
	int rc; /* first misuse: -EINVAL; the buffer keeps -ENOMEM */
};

void vg_jw_init(struct vg_jw *w, struct vg_strbuf *b);
/*
 * 0 if everything written so far is one complete value, else the first
 * error (-ENOMEM, or -EINVAL for misuse: a value in an object without a
 * key, a key in an array, nesting beyond VG_JSON_DEPTH_MAX, an unclosed
 * container, a second top-level value).
 */
int vg_jw_done(const struct vg_jw *w);

void vg_jw_obj(struct vg_jw *w);
void vg_jw_obj_end(struct vg_jw *w);
void vg_jw_arr(struct vg_jw *w);
void vg_jw_arr_end(struct vg_jw *w);
/* The key of the next member of the object being written. */
void vg_jw_key(struct vg_jw *w, const char *key);
void vg_jw_str(struct vg_jw *w, const char *s);
void vg_jw_strn(struct vg_jw *w, const char *s, size_t n);
void vg_jw_u64(struct vg_jw *w, uint64_t v);
void vg_jw_i64(struct vg_jw *w, int64_t v);
void vg_jw_bool(struct vg_jw *w, bool v);
void vg_jw_null(struct vg_jw *w);
/* @len bytes that are already one JSON value (trusted: not checked). */
void vg_jw_raw(struct vg_jw *w, const char *json, size_t len);

struct vg_json;
/*
 * A parsed value (below), written back in the writer's form: the writer's
 * own output parses and writes back to the same bytes.
 */
void vg_jw_value(struct vg_jw *w, const struct vg_json *v);

/* An array of the @sep-separated words of @list; "" is []. */
void vg_jw_words(struct vg_jw *w, const char *list, char sep);

/* Key and value in one call. */
void vg_jw_kstr(struct vg_jw *w, const char *key, const char *s);
void vg_jw_ku64(struct vg_jw *w, const char *key, uint64_t v);
void vg_jw_kbool(struct vg_jw *w, const char *key, bool v);
void vg_jw_knull(struct vg_jw *w, const char *key);
void vg_jw_kobj(struct vg_jw *w, const char *key);
void vg_jw_karr(struct vg_jw *w, const char *key);

/* --- parser ----------------------------------------------------------- */

enum vg_json_type {
	VG_JSON_NULL,
	VG_JSON_BOOL,
	VG_JSON_INT,
	VG_JSON_STR,
	VG_JSON_ARR,
	VG_JSON_OBJ,
};

/* A parsed value. Read it through the accessors below. */
struct vg_json {
	enum vg_json_type type;
	bool b; /* BOOL */
	bool neg; /* INT: negative (never for 0) */
	uint64_t mag; /* INT: magnitude */
	char *s; /* STR: NUL-terminated, holds no NUL */
	size_t len; /* STR: bytes */
	unsigned int n; /* ARR, OBJ: elements, members */
	struct vg_json *v; /* ARR, OBJ: the n values, in input order */
	char **k; /* OBJ: the n keys, as v */
};

struct vg_json_err {
	size_t offset; /* byte of the input where it went wrong */
	char msg[96];
};

/*
 * Parse @len bytes of @text (need not be NUL-terminated) as exactly one
 * JSON value nested at most @max_depth (1..VG_JSON_DEPTH_MAX) arrays and
 * objects deep. 0 and *out (free with vg_json_free), or -EINVAL with
 * @err filled (if not NULL), or -ENOMEM.
 */
int vg_json_parse(const char *text, size_t len, unsigned int max_depth,
		  struct vg_json **out, struct vg_json_err *err);
/* NULL is fine. */
void vg_json_free(struct vg_json *v);

/* Member @key of object @obj; NULL if @obj is not an object or has none. */
const struct vg_json *vg_json_get(const struct vg_json *obj, const char *key);
/* The string, or NULL if @v is NULL or not a string. */
const char *vg_json_str(const struct vg_json *v);
/* 0, or -EINVAL if @v is NULL or not a (non-negative) integer. */
int vg_json_u64(const struct vg_json *v, uint64_t *out);
/* 0, -EINVAL if @v is NULL or not an integer, -ERANGE above INT64_MAX. */
int vg_json_i64(const struct vg_json *v, int64_t *out);
/* True only for the value true. */
bool vg_json_true(const struct vg_json *v);

/* Member @key of @obj if it is an array, else NULL. */
const struct vg_json *vg_json_get_arr(const struct vg_json *obj,
				      const char *key);
/*
 * Member @key of object @obj as a string or a non-negative integer, or
 * @dflt when @obj is not an object, has no such member, or it is of
 * another type. For printing values whose schema is known.
 */
const char *vg_json_get_str(const struct vg_json *obj, const char *key,
			    const char *dflt);
uint64_t vg_json_get_u64(const struct vg_json *obj, const char *key,
			 uint64_t dflt);

#endif /* VGPIO_JSON_H */
