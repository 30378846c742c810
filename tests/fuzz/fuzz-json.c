// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz the JSON parser (backend/base/json.c), which reads control
 * requests from any client of the control socket.
 *
 *   byte 0   the depth limit: 1 + b % VG_JSON_DEPTH_MAX
 *   then     the text
 *
 * Checked: nothing crashes or leaks; a refusal names an offset inside the
 * input and a reason; an accepted value holds only what the parser
 * promises (strings without NUL, integers in range, no duplicate keys),
 * and written back it is a complete value that parses again and writes
 * back to the same bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz-input.h"
#include "json.h"

static void check_value(const struct vg_json *v, unsigned int depth,
			unsigned int max)
{
	unsigned int i, j;

	VG_FUZZ_CHECK(depth <= max);
	switch (v->type) {
	case VG_JSON_STR:
		VG_FUZZ_CHECK(v->s && strlen(v->s) == v->len);
		break;
	case VG_JSON_INT:
		VG_FUZZ_CHECK(!v->neg || (v->mag && v->mag <= 1ull << 63));
		break;
	case VG_JSON_OBJ:
	case VG_JSON_ARR:
		VG_FUZZ_CHECK(depth < max);
		for (i = 0; i < v->n; i++) {
			for (j = 0; v->k && j < i; j++)
				VG_FUZZ_CHECK(strcmp(v->k[i], v->k[j]));
			check_value(&v->v[i], depth + 1, max);
		}
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_strbuf b1 = {0}, b2 = {0};
	struct vg_json *v = NULL, *v2 = NULL;
	struct vg_json_err err = {0};
	unsigned int depth;
	struct vg_jw w;
	int rc;

	if (!size)
		return 0;
	depth = 1 + data[0] % VG_JSON_DEPTH_MAX;
	rc = vg_json_parse((const char *)data + 1, size - 1, depth, &v, &err);
	if (rc) {
		VG_FUZZ_CHECK(rc == -EINVAL || rc == -ENOMEM);
		VG_FUZZ_CHECK(err.offset <= size - 1 && err.msg[0]);
		return 0;
	}
	check_value(v, 0, depth);
	vg_jw_init(&w, &b1);
	vg_jw_value(&w, v);
	VG_FUZZ_CHECK(vg_jw_done(&w) == 0);
	VG_FUZZ_CHECK(!memchr(b1.s, '\n', b1.len));
	VG_FUZZ_CHECK(vg_json_parse(b1.s, b1.len, depth, &v2, NULL) == 0);
	vg_jw_init(&w, &b2);
	vg_jw_value(&w, v2);
	VG_FUZZ_CHECK(vg_jw_done(&w) == 0);
	VG_FUZZ_CHECK(b1.len == b2.len && !memcmp(b1.s, b2.s, b1.len));
	vg_json_free(v);
	vg_json_free(v2);
	free(b1.s);
	free(b2.s);
	return 0;
}
