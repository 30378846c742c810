// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzz the parent's check of a worker's status result (backend/daemon/
 * wstatus.c): the input is the "result" a compromised worker sends, as
 * JSON text (parsed strictly first, as ctl-peer.c does, so only what gets
 * past the reply check reaches the checker). The daemon layer is left out
 * of the fuzz build, so this includes the file.
 *
 * Checked: nothing crashes or leaks; a refusal gives a reason and leaves
 * nothing behind; what is taken is within its bounds, and what the parent
 * writes from it is complete JSON that, given back as a worker's result,
 * is taken again and written to the same bytes (so nothing the checker
 * lets through changes meaning on the way, and no worker byte is copied
 * that the writer did not make).
 */
#include "../../backend/daemon/wstatus.c"
#include "fuzz-input.h"

#define FZ_DOMAIN "alpha"
#define FZ_LINES 8u

/* The domain and its windows as the parent writes them, as a result. */
static char *fz_write(const struct vg_status_dom *v)
{
	struct vg_strbuf b = {0};
	struct vg_jw w;
	unsigned int i;

	vg_jw_init(&w, &b);
	vg_jw_obj(&w);
	vg_jw_karr(&w, "domains");
	vg_status_write_dom(&w, FZ_DOMAIN, v, 1, NULL);
	vg_jw_arr_end(&w);
	vg_jw_karr(&w, "devices");
	for (i = 0; i < v->ndevices; i++)
		vg_status_write_device(&w, FZ_DOMAIN, &v->devices[i]);
	vg_jw_arr_end(&w);
	vg_jw_obj_end(&w);
	VG_FUZZ_CHECK(!vg_jw_done(&w));
	return b.s;
}

static void fz_bounds(const struct vg_status_dom *v)
{
	unsigned int i;

	VG_FUZZ_CHECK(v->nlines <= FZ_LINES);
	VG_FUZZ_CHECK(v->ndevices <= VG_WSTATUS_DEVICES_MAX);
	for (i = 0; i < v->nlines; i++) {
		VG_FUZZ_CHECK(v->lines[i].value >= -1 &&
			      v->lines[i].value <= 1);
		VG_FUZZ_CHECK(!(v->lines[i].allow & ~VG_ALLOW_ALL));
		VG_FUZZ_CHECK(strlen(v->lines[i].chip) >= 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_json *doc = NULL, *again = NULL;
	struct vg_status_dom v, v2;
	char why[VG_WSTATUS_WHY_MAX];
	char *out, *out2;
	int rc;

	if (vg_json_parse((const char *)data, size, 16, &doc, NULL))
		return 0;
	rc = vg_wstatus_check(doc, FZ_DOMAIN, FZ_LINES, &v, why, sizeof(why));
	vg_json_free(doc);
	if (rc) {
		VG_FUZZ_CHECK(rc == -EPROTO && why[0]);
		VG_FUZZ_CHECK(!v.nlines && !v.lines && !v.ndevices);
		return 0;
	}
	fz_bounds(&v);
	out = fz_write(&v);
	VG_FUZZ_CHECK(!vg_json_parse(out, strlen(out), 16, &again, NULL));
	VG_FUZZ_CHECK(!vg_wstatus_check(again, FZ_DOMAIN, FZ_LINES, &v2, why,
					sizeof(why)));
	out2 = fz_write(&v2);
	VG_FUZZ_CHECK(!strcmp(out, out2));
	free(out);
	free(out2);
	vg_json_free(again);
	vg_status_dom_dispose(&v);
	vg_status_dom_dispose(&v2);
	return 0;
}
