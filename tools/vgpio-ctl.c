// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-ctl: send one command to vgpiod's control socket and print the
 * reply (docs/vgpiod.8.md, "vgpio-ctl"). Exit 0 when the daemon says ok,
 * 1 when it says error, 2 on usage or connection errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "ctlclient.h"
#include "daemon.h"

static const char usage[] =
	"usage: vgpio-ctl [-C PATH] COMMAND [ARGS...]\n"
	"       vgpio-ctl [-C PATH] --json REQUEST|COMMAND\n"
	"  -C, --control PATH  control socket "
	"(default " VG_DAEMON_CONTROL_SOCKET ")\n"
	"  -j, --json          send a JSON request (a JSON object, or the "
	"name\n"
	"                      of a command without arguments), print the\n"
	"                      JSON reply\n"
	"  commands: status | reload | sim get CHIP LINE | "
	"sim set CHIP LINE 0|1 | help\n";

static int fail(const char *what, const char *detail)
{
	fprintf(stderr, "vgpio-ctl: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	return 2;
}

/* The words of the command line joined by blanks, as one line. */
static int join(int argc, char **argv, char *cmd, size_t len)
{
	size_t at = 0, n;
	int i;

	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (strpbrk(argv[i], "\n\r"))
			return fail("newline in argument", argv[i]);
		if (at + n + 2 > len)
			return fail("command too long", NULL);
		if (at)
			cmd[at++] = ' ';
		memcpy(cmd + at, argv[i], n);
		at += n;
	}
	cmd[at] = '\0';
	return 0;
}

static int run_text(struct vg_ctlc *c, const char *cmd)
{
	struct vg_strbuf body = {0};
	int rc = vg_ctlc_text(c, cmd, &body);

	if (body.s)
		fputs(body.s, stdout);
	free(body.s);
	if (rc == 1)
		fprintf(stderr, "vgpio-ctl: error: %s\n", c->err);
	else if (rc)
		return fail(c->err, NULL);
	return rc;
}

static int run_json(struct vg_ctlc *c, const char *req)
{
	struct vg_ctlc_reply r = {0};
	int rc;

	/* A request object goes as it is; a bare name becomes one. */
	if (req[strspn(req, " \t")] == '{')
		rc = vg_ctlc_send(c, req);
	else
		rc = vg_ctlc_request(c, req, NULL);
	if (!rc)
		rc = vg_ctlc_reply(c, &r);
	if (r.raw)
		puts(r.raw);
	if (!rc)
		rc = r.ok ? 0 : 1;
	else
		rc = fail(c->err, NULL);
	vg_ctlc_reply_free(&r);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"control", required_argument, NULL, 'C'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = VG_DAEMON_CONTROL_SOCKET;
	char cmd[VG_CTL_REQUEST_MAX];
	struct vg_ctlc c;
	bool json = false;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "+C:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	rc = join(argc - optind, argv + optind, cmd,
		  json ? sizeof(cmd) : VG_CTL_LINE_MAX);
	if (rc)
		return rc;
	if (json && cmd[strspn(cmd, " \t")] != '{' && strchr(cmd, ' '))
		return fail("with --json, give a command with arguments as a "
			    "JSON request",
			    NULL);
	rc = vg_ctlc_connect(&c, path);
	if (rc)
		return fail(c.err, NULL);
	rc = json ? run_json(&c, cmd) : run_text(&c, cmd);
	vg_ctlc_close(&c);
	return rc;
}
