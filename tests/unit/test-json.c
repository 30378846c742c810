// SPDX-License-Identifier: BSD-3-Clause
/*
 * The JSON writer and parser (backend/base/json.c): compact output and its
 * escapes, misuse caught by the writer, what the parser accepts, every
 * kind of input it refuses (with where), integer limits, and the round
 * trip the tools rely on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "json.h"

/* What @fn writes, as a string the test frees; asserts it is complete. */
static char *written(void (*fn)(struct vg_jw *w))
{
	struct vg_strbuf b = {0};
	struct vg_jw w;

	vg_jw_init(&w, &b);
	fn(&w);
	assert_int_equal(vg_jw_done(&w), 0);
	return b.s;
}

static void write_nested(struct vg_jw *w)
{
	vg_jw_obj(w);
	vg_jw_kstr(w, "name", "17");
	vg_jw_ku64(w, "big", UINT64_MAX);
	vg_jw_key(w, "neg");
	vg_jw_i64(w, INT64_MIN);
	vg_jw_kbool(w, "yes", true);
	vg_jw_knull(w, "none");
	vg_jw_karr(w, "list");
	vg_jw_u64(w, 0);
	vg_jw_obj(w);
	vg_jw_obj_end(w);
	vg_jw_arr(w);
	vg_jw_arr_end(w);
	vg_jw_str(w, "");
	vg_jw_arr_end(w);
	vg_jw_key(w, "words");
	vg_jw_words(w, "in,out,,irq", ',');
	vg_jw_key(w, "nowords");
	vg_jw_words(w, "", ',');
	vg_jw_obj_end(w);
}

static void json_write_nested_values_compact(void **state)
{
	char *s = written(write_nested);

	(void)state;
	assert_string_equal(s, "{\"name\":\"17\",\"big\":18446744073709551615,"
			       "\"neg\":-9223372036854775808,\"yes\":true,"
			       "\"none\":null,\"list\":[0,{},[],\"\"],"
			       "\"words\":[\"in\",\"out\",\"\",\"irq\"],"
			       "\"nowords\":[]}");
	free(s);
}

static void write_escapes(struct vg_jw *w)
{
	/* Quote, backslash, newline, tab, CR, 0x01, DEL, é, a lone 0xff. */
	vg_jw_str(w, "\"\\\n\t\r\x01\x7f\xc3\xa9\xff|\xe0\x80\x80");
}

static void json_write_escapes_control_and_invalid_utf8(void **state)
{
	char *s = written(write_escapes);

	(void)state;
	assert_string_equal(s, "\"\\\"\\\\\\n\\t\\r\\u0001\x7f\xc3\xa9\\ufffd|"
			       "\\ufffd\\ufffd\\ufffd\"");
	free(s);
}

static int misuse(int what)
{
	struct vg_strbuf b = {0};
	struct vg_jw w;
	unsigned int i;
	int rc;

	vg_jw_init(&w, &b);
	switch (what) {
	case 0: /* a value in an object without a key */
		vg_jw_obj(&w);
		vg_jw_u64(&w, 1);
		vg_jw_obj_end(&w);
		break;
	case 1: /* a key in an array */
		vg_jw_arr(&w);
		vg_jw_key(&w, "k");
		break;
	case 2: /* unclosed */
		vg_jw_arr(&w);
		break;
	case 3: /* two top-level values */
		vg_jw_u64(&w, 1);
		vg_jw_u64(&w, 2);
		break;
	case 4: /* too deep */
		for (i = 0; i <= VG_JSON_DEPTH_MAX; i++)
			vg_jw_arr(&w);
		break;
	case 5: /* closing the wrong kind */
		vg_jw_arr(&w);
		vg_jw_obj_end(&w);
		break;
	case 6: /* a key without its value */
		vg_jw_obj(&w);
		vg_jw_key(&w, "k");
		vg_jw_obj_end(&w);
		break;
	default: /* nothing at all */
		break;
	}
	rc = vg_jw_done(&w);
	free(b.s);
	return rc;
}

static void json_write_misuse_is_einval(void **state)
{
	int i;

	(void)state;
	for (i = 0; i <= 7; i++)
		assert_int_equal(misuse(i), -EINVAL);
}

static void json_parse_accepts_valid_documents(void **state)
{
	static const char *const ok[] = {
		"{}",
		"[]",
		" \t\r\n{ \"a\" : [ 1 , -2 , true , false , null , \"x\" ] } ",
		"0",
		"-0",
		"\"\"",
		"\"\\u00e9\\ud83d\\ude00\\/\"",
		"[[[[1]]]]",
		"{\"a\":{\"b\":{\"c\":{}}}}",
		"\"\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9\"",
	};
	struct vg_json *v;
	unsigned int i;

	(void)state;
	for (i = 0; i < VG_ARRAY_SIZE(ok); i++) {
		v = NULL;
		if (vg_json_parse(ok[i], strlen(ok[i]), 4, &v, NULL))
			fail_msg("refused: %s", ok[i]);
		vg_json_free(v);
	}
}

struct bad {
	const char *text;
	size_t offset;
	const char *why;
};

static void json_parse_rejects_malformed(void **state)
{
	static const struct bad bad[] = {
		{"", 0, "expected a value"},
		{"{", 1, "expected a key"},
		{"[1,]", 3, "unexpected character"},
		{"{\"a\":1,}", 7, "expected a key"},
		{"{\"a\" 1}", 5, "expected ':'"},
		{"[1 2]", 3, "expected ',' or ']'"},
		{"01", 1, "leading zero"},
		{"1.5", 1, "only integers"},
		{"1e3", 1, "only integers"},
		{"-", 1, "expected a digit"},
		{"+1", 0, "unexpected character"},
		{"18446744073709551616", 19, "out of range"},
		{"-9223372036854775809", 20, "out of range"},
		{"tru", 0, "unexpected character"},
		{"{} x", 3, "bytes after the value"},
		{"{\"a\":1,\"a\":2}", 13, "duplicate key"},
		{"\"a\\x\"", 3, "bad escape"},
		{"\"\\u12zz\"", 3, "bad \\u escape"},
		{"\"\\u12\"", 3, "short \\u escape"},
		{"\"\\ud800\"", 7, "unpaired surrogate"},
		{"\"\\udc00\"", 7, "unpaired surrogate"},
		{"\"\\ud800\\u0041\"", 13, "unpaired surrogate"},
		{"\"\\u0000\"", 7, "\\u0000"},
		{"\"a\tb\"", 2, "control character"},
		{"\"\xc0\xaf\"", 1, "invalid UTF-8"},
		{"\"\xed\xa0\x80\"", 1, "invalid UTF-8"},
		{"\"\xf4\x90\x80\x80\"", 1, "invalid UTF-8"},
		{"\"\xe2\x82\"", 1, "invalid UTF-8"},
		{"\"abc", 4, "unterminated"},
		{"[[[[[1]]]]]", 4, "nested too deeply"},
		{"[\"a\0b\"]", 3, "control character"},
	};
	struct vg_json_err err;
	struct vg_json *v = NULL;
	unsigned int i;
	size_t len;

	(void)state;
	for (i = 0; i < VG_ARRAY_SIZE(bad); i++) {
		len = strlen(bad[i].text);
		if (!strcmp(bad[i].text, "[\"a"))
			len = 7; /* the NUL is part of the input */
		memset(&err, 0, sizeof(err));
		assert_int_equal(vg_json_parse(bad[i].text, len, 4, &v, &err),
				 -EINVAL);
		if (!strstr(err.msg, bad[i].why) || err.offset != bad[i].offset)
			fail_msg("%s: got '%s' at %zu, want '%s' at %zu",
				 bad[i].text, err.msg, err.offset, bad[i].why,
				 bad[i].offset);
	}
	assert_null(v);
	/* The depth limit must be one the writer can match. */
	assert_int_equal(vg_json_parse("1", 1, 0, &v, NULL), -EINVAL);
	assert_int_equal(vg_json_parse("1", 1, VG_JSON_DEPTH_MAX + 1, &v, NULL),
			 -EINVAL);
}

static void json_parse_integer_limits(void **state)
{
	struct vg_json *v;
	uint64_t u;
	int64_t i;

	(void)state;
	assert_int_equal(vg_json_parse("18446744073709551615", 20, 1, &v, NULL),
			 0);
	assert_int_equal(vg_json_u64(v, &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(vg_json_i64(v, &i), -ERANGE);
	vg_json_free(v);
	assert_int_equal(vg_json_parse("-9223372036854775808", 20, 1, &v, NULL),
			 0);
	assert_int_equal(vg_json_i64(v, &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(vg_json_u64(v, &u), -EINVAL);
	vg_json_free(v);
	assert_int_equal(vg_json_parse("-0", 2, 1, &v, NULL), 0);
	assert_int_equal(vg_json_u64(v, &u), 0);
	assert_true(u == 0);
	vg_json_free(v);
}

static void json_parse_decodes_escapes_and_pairs(void **state)
{
	static const char text[] = "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t"
				   "\\u0041\\u00e9\\u20ac\\ud83d\\ude00\","
				   "\"n\":17,\"t\":true,\"z\":null}";
	struct vg_json *v;
	uint64_t n;

	(void)state;
	assert_int_equal(vg_json_parse(text, strlen(text), 2, &v, NULL), 0);
	assert_string_equal(vg_json_str(vg_json_get(v, "s")),
			    "\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac"
			    "\xf0\x9f\x98\x80");
	assert_int_equal(vg_json_get(v, "s")->len, 18);
	assert_int_equal(vg_json_u64(vg_json_get(v, "n"), &n), 0);
	assert_true(n == 17);
	assert_true(vg_json_true(vg_json_get(v, "t")));
	assert_false(vg_json_true(vg_json_get(v, "z")));
	/* Wrong types and absent members. */
	assert_null(vg_json_str(vg_json_get(v, "n")));
	assert_int_equal(vg_json_u64(vg_json_get(v, "s"), &n), -EINVAL);
	assert_null(vg_json_get(v, "nope"));
	assert_null(vg_json_get(vg_json_get(v, "n"), "x"));
	assert_null(vg_json_get_arr(v, "s"));
	assert_int_equal(vg_json_get_u64(v, "s", 7), 7);
	assert_string_equal(vg_json_get_str(v, "n", "dflt"), "dflt");
	assert_int_equal(vg_json_u64(NULL, &n), -EINVAL);
	vg_json_free(v);
}

static void json_roundtrip_writer_output_is_stable(void **state)
{
	static const char text[] =
		" { \"a\" : [ 1, -2, \"\\u0041\\n\" ], \"b\" : { \"c\" : "
		"null, \"d\" : false }, \"e\" : 18446744073709551615 } ";
	struct vg_strbuf b1 = {0}, b2 = {0};
	struct vg_json *v, *v2;
	struct vg_jw w;

	(void)state;
	assert_int_equal(vg_json_parse(text, strlen(text), 3, &v, NULL), 0);
	vg_jw_init(&w, &b1);
	vg_jw_value(&w, v);
	assert_int_equal(vg_jw_done(&w), 0);
	assert_string_equal(b1.s, "{\"a\":[1,-2,\"A\\n\"],\"b\":{\"c\":null,"
				  "\"d\":false},\"e\":18446744073709551615}");
	assert_int_equal(vg_json_parse(b1.s, b1.len, 3, &v2, NULL), 0);
	vg_jw_init(&w, &b2);
	vg_jw_value(&w, v2);
	assert_int_equal(vg_jw_done(&w), 0);
	assert_string_equal(b1.s, b2.s);
	vg_json_free(v);
	vg_json_free(v2);
	free(b1.s);
	free(b2.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_write_nested_values_compact),
		cmocka_unit_test(json_write_escapes_control_and_invalid_utf8),
		cmocka_unit_test(json_write_misuse_is_einval),
		cmocka_unit_test(json_parse_accepts_valid_documents),
		cmocka_unit_test(json_parse_rejects_malformed),
		cmocka_unit_test(json_parse_integer_limits),
		cmocka_unit_test(json_parse_decodes_escapes_and_pairs),
		cmocka_unit_test(json_roundtrip_writer_output_is_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
