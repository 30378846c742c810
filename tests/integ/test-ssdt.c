// SPDX-License-Identifier: BSD-3-Clause
/*
 * The SSDT encoder's tables as ACPICA reads them: each table is written
 * to a temp dir and disassembled with `iasl -d` (Debian's acpica-tools,
 * which tools/deps.sh installs), and the ASL it prints must declare the
 * LNRO0005 device with our window and a level, active-high interrupt.
 * iasl also checks the header's length and checksum and that every byte
 * parses. Skipped, saying why, only when iasl is not on PATH.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "slurp.h"
#include "ssdt.h"
#include "tmpdir.h"

struct fx {
	char dir[128];
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || vg_tmpdir_new(f->dir, sizeof(f->dir), "ssdt")) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	vg_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/*
 * `iasl -d @aml` in its directory, its output in @log; the exit status,
 * or 127 if iasl could not be run.
 */
static int iasl(const char *dir, const char *aml, const char *log)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int o = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (o < 0 || dup2(o, 1) < 0 || dup2(o, 2) < 0 || chdir(dir))
			_exit(126);
		execlp("iasl", "iasl", "-d", aml, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void want(const char *text, const char *s)
{
	if (!strstr(text, s))
		fail_msg("'%s' is not in iasl's disassembly:\n%s", s, text);
}

/*
 * Disassemble the table of @d and return the ASL (the caller frees it),
 * or NULL after skip() when iasl is missing.
 */
static char *disassemble(const struct fx *f, const struct vg_ssdt_dev *d)
{
	char aml[192], dsl[192], log[192], *out, *text;
	uint8_t t[VG_SSDT_MAX];
	FILE *fp;
	int n, rc;

	n = vg_ssdt_build(d, t, sizeof(t));
	assert_true(n > 0);
	snprintf(aml, sizeof(aml), "%s/vgp.aml", f->dir);
	snprintf(dsl, sizeof(dsl), "%s/vgp.dsl", f->dir);
	snprintf(log, sizeof(log), "%s/iasl.log", f->dir);
	unlink(dsl);
	fp = fopen(aml, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(t, 1, (size_t)n, fp), (size_t)n);
	assert_int_equal(fclose(fp), 0);

	rc = iasl(f->dir, "vgp.aml", log);
	if (rc == 127) {
		print_message("SKIP: iasl: not on PATH (tools/deps.sh installs "
			      "Debian's acpica-tools)\n");
		skip();
		return NULL;
	}
	out = vg_slurp(log, NULL);
	assert_non_null(out);
	/*
	 * A bad header checksum or length is only a warning to iasl, which
	 * still exits 0: look for its messages too.
	 */
	if (rc || !strstr(out, "Disassembly completed") ||
	    strstr(out, "Warning") || strstr(out, "Error"))
		fail_msg("iasl -d: exit %d:\n%s", rc, out);
	free(out);
	text = vg_slurp(dsl, NULL);
	assert_non_null(text);
	return text;
}

static void ssdt_iasl_tested_route(void **state)
{
	const struct vg_ssdt_dev d = {
		.base = 0xfe000000, .size = 0x200, .irq = 3, .uid = 0};
	char *asl = disassemble(*state, &d);

	want(asl, "DefinitionBlock (\"\", \"SSDT\", 2, \"VGPIO \", "
		  "\"VIRTGPIO\", 0x00000001)");
	want(asl, "Length           0x00000068 (104)");
	want(asl, "Scope (\\_SB)");
	want(asl, "Device (VGP0)");
	want(asl, "Name (_HID, \"LNRO0005\")");
	want(asl, "Name (_UID, Zero)");
	want(asl,
	     "Memory32Fixed (ReadWrite,\n"
	     "                    0xFE000000,         // Address Base\n"
	     "                    0x00000200,         // Address Length\n");
	want(asl, "Interrupt (ResourceConsumer, Level, ActiveHigh, "
		  "Exclusive, ,, )\n"
		  "                {\n"
		  "                    0x00000003,\n"
		  "                }");
	free(asl);
}

static void ssdt_iasl_other_window_and_irq(void **state)
{
	const struct vg_ssdt_dev d = {
		.base = 0xfebff800, .size = 0x200, .irq = 7, .uid = 10};
	char *asl = disassemble(*state, &d);

	want(asl, "Device (VGPA)");
	want(asl, "Name (_UID, 0x0A)");
	want(asl, "0xFEBFF800,         // Address Base");
	want(asl, "0x00000200,         // Address Length");
	want(asl, "Interrupt (ResourceConsumer, Level, ActiveHigh, "
		  "Exclusive, ,, )");
	want(asl, "0x00000007,");
	free(asl);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(ssdt_iasl_tested_route),
		T(ssdt_iasl_other_window_and_irq),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
