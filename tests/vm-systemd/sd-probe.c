// SPDX-License-Identifier: BSD-3-Clause
/*
 * The systemd tier's probe of the service's sandbox. The tier runs it
 * from a runtime drop-in that adds only `ExecStartPost=` to the installed
 * vgpiod.service, so systemd starts it with the unit's own hardening, in
 * the main process's cgroup. It tries what that hardening
 * forbids, and one allowed thing next to each forbidden one, so that a
 * probe that could not do anything passes nothing.
 *
 *   usage: sd-probe OUTFILE
 *
 * OUTFILE (in the unit's RuntimeDirectory, the only place it may write)
 * gets a first line "cgroup PATH" (the probe's cgroup, which the tier
 * compares with the main process's) and one "PASS: ..." or "FAIL: ..."
 * line per check. The probe also leaves /tmp/sd-probe-was-here in its
 * private /tmp, where the tier looks for it from inside the main
 * process's mount namespace: systemd gives each process of a unit its own
 * mount namespace, set up alike, with one private /tmp for all. Exit 0
 * whatever the checks say (the unit must start); 1 only if OUTFILE
 * cannot be written.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vgpio/types.h>

static FILE *out;

static void check(int ok, const char *fmt, ...) VG_PRINTF(2, 3);

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	fputs(ok ? "PASS: sd-probe: " : "FAIL: sd-probe: ", out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

/* RestrictAddressFamilies=AF_UNIX: AF_INET and AF_NETLINK refused. */
static void families(void)
{
	int fd, e;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	check(fd >= 0, "AF_UNIX socket allowed (%s)",
	      fd >= 0 ? "ok" : strerror(errno));
	if (fd >= 0)
		close(fd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	e = errno;
	check(fd < 0 && e == EAFNOSUPPORT, "AF_INET socket refused (%s)",
	      fd < 0 ? strerror(e) : "it was created");
	if (fd >= 0)
		close(fd);
	fd = socket(AF_NETLINK, SOCK_RAW, 0);
	e = errno;
	check(fd < 0 && e == EAFNOSUPPORT, "AF_NETLINK socket refused (%s)",
	      fd < 0 ? strerror(e) : "it was created");
	if (fd >= 0)
		close(fd);
}

/* MemoryDenyWriteExecute=yes: no mapping both writable and executable. */
static void wx(void)
{
	void *p;
	int e;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(p != MAP_FAILED, "a writable mapping is allowed");
	if (p != MAP_FAILED)
		munmap(p, 4096);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	e = errno;
	check(p == MAP_FAILED && e == EPERM,
	      "a writable and executable mapping is refused (%s)",
	      p == MAP_FAILED ? strerror(e) : "it was mapped");
	if (p != MAP_FAILED)
		munmap(p, 4096);
}

/* RestrictNamespaces=yes, RestrictRealtime=yes, LockPersonality=yes,
 * ProtectHostname=yes, NoNewPrivileges=yes. */
static void syscalls(void)
{
	struct sched_param sp = {.sched_priority = 1};
	int r, e, pers;

	r = unshare(CLONE_NEWNS);
	e = errno;
	check(r < 0 && e == EPERM, "unshare(CLONE_NEWNS) refused (%s)",
	      r < 0 ? strerror(e) : "it succeeded");
	r = sched_setscheduler(0, SCHED_FIFO, &sp);
	e = errno;
	check(r < 0 && e == EPERM, "SCHED_FIFO refused (%s)",
	      r < 0 ? strerror(e) : "it succeeded");
	r = sched_setscheduler(0, SCHED_OTHER,
			       &(struct sched_param){.sched_priority = 0});
	check(r == 0, "SCHED_OTHER allowed");
	/* Only the personality the unit started with (PER_LINUX) may be set,
	 * not even 0xffffffff (the query) gets through. */
	pers = personality(PER_LINUX);
	check(pers == PER_LINUX, "personality(PER_LINUX) allowed");
	r = personality(PER_LINUX32);
	e = errno;
	check(r < 0 && e == EPERM, "personality(PER_LINUX32) refused (%s)",
	      r < 0 ? strerror(e) : "it succeeded");
	if (r >= 0)
		personality(PER_LINUX);
	r = sethostname("probe", 5);
	e = errno;
	check(r < 0 && e == EPERM, "sethostname refused (%s)",
	      r < 0 ? strerror(e) : "it succeeded");
	check(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "no_new_privs set");
}

/* RestrictSUIDSGID=yes, in the private /tmp (writable): a file may be
 * created and made executable, not set-user-ID. */
static void suid(void)
{
	char path[] = "/tmp/sd-probe-XXXXXX";
	int fd, r, e;

	fd = mkstemp(path);
	check(fd >= 0, "a file can be created in /tmp (%s)",
	      fd >= 0 ? "ok" : strerror(errno));
	if (fd < 0)
		return;
	check(fchmod(fd, 0755) == 0, "chmod 0755 allowed");
	r = fchmod(fd, 04755);
	e = errno;
	check(r < 0 && e == EPERM, "chmod 04755 refused (%s)",
	      r < 0 ? strerror(e) : "it succeeded");
	close(fd);
	unlink(path);
}

int main(int argc, char **argv)
{
	char cg[256] = "";
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: sd-probe OUTFILE\n");
		return 1;
	}
	out = fopen(argv[1], "w");
	if (!out) {
		fprintf(stderr, "sd-probe: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* cgroup v2: one line, "0::PATH". */
	f = fopen("/proc/self/cgroup", "r");
	if (f) {
		if (!fgets(cg, sizeof(cg), f))
			cg[0] = '\0';
		fclose(f);
	}
	fprintf(out, "cgroup %s", cg[0] ? cg : "?\n");
	f = fopen("/tmp/sd-probe-was-here", "w");
	if (f)
		fclose(f);
	families();
	wx();
	syscalls();
	suid();
	return fclose(out) ? 1 : 0;
}
