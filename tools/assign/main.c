// SPDX-License-Identifier: BSD-3-Clause
/* vgpio-assign: the command line (docs/vgpio-assign.8.md, SYNOPSIS). */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "assign.h"
#include "daemon.h"

static const char usage_text[] =
	"usage: vgpio-assign [-c POLICY] [-C CONTROL] [--json] COMMAND ...\n"
	"  assign DOMAIN LINESET [--replace] [--line \"REF OPT=VAL ...\"]... "
	"[--offline]\n"
	"  revoke DOMAIN [LINESET]\n"
	"  list | show DOMAIN | check | status\n"
	"  xen-device DOMAIN base=ADDR irq=N [irqtype=isa|spi] "
	"[grants=0|1] | --remove\n"
	"  xl-config DOMAIN [--arch x86|arm] [--grants 0|1] [--base ADDR] "
	"[--irq N]\n"
	"            [--table FILE] [--domid N]   (x86 defaults: the "
	"policy's xen-device,\n"
	"            else base 0xfe000000, irq 3; table " VG_ASSIGN_XL_DIR
	"/DOMAIN.aml)\n"
	"  device-add domid=N,base=ADDR,irq=N[,grants=0|1][,irqtype=spi|isa]"
	"\n"
	"  device-remove domid=N,base=ADDR\n"
	"  -c, --config FILE     policy file (default " ASSIGN_POLICY_DEFAULT
	";\n"
	"                        -f and --policy: the same, deprecated)\n"
	"  -C, --control PATH    vgpiod control socket "
	"(default " VG_DAEMON_CONTROL_SOCKET ")\n"
	"  --json                list, show, check, status, xl-config, "
	"device-add,\n"
	"                        device-remove: one JSON document\n"
	"  LINESET: \"CHIP LINE [LINE ...][, CHIP LINE ...]\"\n";

void vg_assign_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("vgpio-assign: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int vg_assign_usage(const char *why)
{
	if (why)
		vg_assign_msg("%s", why);
	fputs(usage_text, stderr);
	return RC_INVALID;
}

/* The words of a command after its name: --json and assign's options. */
static int parse_cmd_args(int argc, char **argv, bool read_cmd,
			  struct vg_assign *t, struct vg_assign_args *a,
			  const char **pos, unsigned int maxpos,
			  unsigned int *npos)
{
	int i;

	*npos = 0;
	for (i = 0; i < argc; i++) {
		const char *w = argv[i];

		if (read_cmd && !strcmp(w, "--json")) {
			t->json = true;
		} else if (a && !strcmp(w, "--replace")) {
			a->replace = true;
		} else if (a && !strcmp(w, "--offline")) {
			a->offline = true;
		} else if (a && (!strcmp(w, "--line") ||
				 !strncmp(w, "--line=", 7))) {
			if (!w[6] && ++i == argc)
				return vg_assign_usage("--line needs a value");
			a->entries[a->nentries++] =
				w[6] ? argv[i] + 7 : argv[i];
		} else if (w[0] == '-' && w[1] == '-') {
			vg_assign_msg("unknown option '%s'", w);
			return vg_assign_usage(NULL);
		} else if (*npos == maxpos) {
			vg_assign_msg("unexpected argument '%s'", w);
			return vg_assign_usage(NULL);
		} else {
			pos[(*npos)++] = w;
		}
	}
	return RC_OK;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		/* The old spelling, deprecated: scripts use it. */
		{"policy", required_argument, NULL, 'c'},
		{"control", required_argument, NULL, 'C'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct vg_assign t = {.policy = ASSIGN_POLICY_DEFAULT,
			      .control = VG_DAEMON_CONTROL_SOCKET};
	struct vg_assign_args a = {0};
	const char *cmd, *pos[2] = {NULL, NULL};
	unsigned int npos;
	int c, rc;

	/* -c and -C as in vgpiod; -f is the deprecated -c. */
	while ((c = getopt_long(argc, argv, "+c:f:C:h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
		case 'f':
			t.policy = optarg;
			break;
		case 'C':
			t.control = optarg;
			break;
		case 'j':
			t.json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return RC_OK;
		default:
			return vg_assign_usage(NULL);
		}
	}
	if (optind >= argc)
		return vg_assign_usage("no command");
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;

	if (!strcmp(cmd, "assign")) {
		a.entries = calloc((size_t)argc + 1, sizeof(*a.entries));
		if (!a.entries)
			return RC_FAIL;
		rc = parse_cmd_args(argc, argv, false, &t, &a, pos, 2, &npos);
		if (!rc && npos != 2)
			rc = vg_assign_usage("assign needs DOMAIN and LINESET");
		if (!rc && t.json)
			rc = vg_assign_usage(
				"--json is for list, show, check, status, "
				"xl-config, device-add, device-remove");
		if (!rc) {
			a.domain = pos[0];
			a.lineset = pos[1];
			rc = vg_cmd_assign(&t, &a);
		}
		free(a.entries);
		return rc;
	}
	if (!strcmp(cmd, "revoke")) {
		rc = parse_cmd_args(argc, argv, false, &t, NULL, pos, 2, &npos);
		if (!rc && npos < 1)
			rc = vg_assign_usage("revoke needs DOMAIN");
		if (!rc && t.json)
			rc = vg_assign_usage(
				"--json is for list, show, check, status, "
				"xl-config, device-add, device-remove");
		return rc ? rc : vg_cmd_revoke(&t, pos[0], pos[1]);
	}
	if (!strcmp(cmd, "xl-config"))
		return vg_cmd_xlconfig(&t, argc, argv);
	if (!strcmp(cmd, "xen-device")) {
		bool remove = false;
		char **kv = calloc((size_t)argc + 1, sizeof(*kv));
		unsigned int n = 0;
		int i;

		if (!kv)
			return RC_FAIL;
		for (i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "--remove")) {
				remove = true;
			} else if (!strncmp(argv[i], "--", 2)) {
				vg_assign_msg("unknown option '%s'", argv[i]);
				free(kv);
				return vg_assign_usage(NULL);
			} else {
				kv[n++] = argv[i];
			}
		}
		if (argc < 1 || argv[0][0] == '-')
			rc = vg_assign_usage("xen-device needs DOMAIN");
		else if (remove == (n > 0))
			rc = vg_assign_usage("xen-device needs KEY=VALUE "
					     "options or --remove");
		else
			rc = vg_cmd_window(&t, argv[0], remove ? NULL : kv, n);
		free(kv);
		return rc;
	}
	if (!strcmp(cmd, "device-add") || !strcmp(cmd, "device-remove")) {
		rc = parse_cmd_args(argc, argv, true, &t, NULL, pos, 1, &npos);
		if (!rc && npos != 1)
			rc = vg_assign_usage(
				"device-add and device-remove need "
				"SPEC");
		return rc ? rc
			  : vg_cmd_device(&t, !strcmp(cmd, "device-add"),
					  pos[0]);
	}
	if (!strcmp(cmd, "show")) {
		rc = parse_cmd_args(argc, argv, true, &t, NULL, pos, 1, &npos);
		if (!rc && npos != 1)
			rc = vg_assign_usage("show needs DOMAIN");
		return rc ? rc : vg_cmd_show(&t, pos[0]);
	}
	if (strcmp(cmd, "list") && strcmp(cmd, "check") &&
	    strcmp(cmd, "status")) {
		vg_assign_msg("unknown command '%s'", cmd);
		return vg_assign_usage(NULL);
	}
	rc = parse_cmd_args(argc, argv, true, &t, NULL, pos, 0, &npos);
	if (rc)
		return rc;
	if (!strcmp(cmd, "list"))
		return vg_cmd_list(&t);
	if (!strcmp(cmd, "check"))
		return vg_cmd_check(&t);
	return vg_cmd_status(&t);
}
