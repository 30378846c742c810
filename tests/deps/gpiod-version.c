// SPDX-License-Identifier: BSD-3-Clause
/*
 * Proves the dependency step: this program is built against the libgpiod
 * the build found (system or the project-local Debian 13 packages) and
 * must run from the build tree with the v2 API.
 */
#include <gpiod.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	const char *v = gpiod_api_version();
	struct gpiod_line_settings *s = gpiod_line_settings_new();
	int ok = v && !strncmp(v, "2.", 2) && s &&
		 !gpiod_line_settings_set_direction(
			 s, GPIOD_LINE_DIRECTION_OUTPUT);

	gpiod_line_settings_free(s);
	printf("%s: libgpiod %s (v2 API)\n", ok ? "PASS" : "FAIL", v ? v : "?");
	return ok ? 0 : 1;
}
