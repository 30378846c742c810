// SPDX-License-Identifier: BSD-3-Clause
/*
 * The worker sandbox (see sandbox.h; docs/security.md, "The worker
 * sandbox"). The only user of libseccomp. No libcap: the capability sets
 * are cleared with the raw capset(2) and prctl(2) calls.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "sandbox.h"

/*
 * The base allow-list: what an event-loop worker that already holds its
 * fds calls, and what glibc calls underneath (found with strace on the
 * test programs). Names, not numbers, so the list is the same on every
 * architecture; a name the native architecture lacks (epoll_wait on
 * arm64) is skipped. Calls with argument checks are in sb_cond_rules.
 */
static const char *const sb_base[] = {
	/* The event loop (evloop.c, the gpiod provider's own epoll fd). */
	"epoll_wait",
	"epoll_pwait", /* glibc's epoll_wait() on arm64 */
	"epoll_ctl",
	/* fds it holds: rings' event fds, line requests, sockets, pipes. */
	"read",
	"readv",
	"write",
	"writev",
	/* The loop transport: connections and their memfds (SCM_RIGHTS). */
	"recvmsg",
	"sendmsg",
	"recvfrom", /* glibc's recv() */
	"close",
	/*
	 * GPIO line requests, Xen privcmd/evtchn/gntdev: ioctl is allowed as
	 * a whole (security.md says what that leaves reachable).
	 */
	"ioctl",
	/* Memory: malloc, and guest memory mapped per request. */
	"munmap",
	"madvise",
	"mremap",
	"brk",
	/* Time: the log's rate limiter, timerfds made before entering. */
	"clock_gettime",
	/*
	 * A zero-timeout poll of a held fd: the linefd provider drains a
	 * lent line's stale events (its fd's blocking flag is shared with
	 * the parent's copy, so it cannot be made non-blocking).
	 */
	"poll",
	"ppoll",
	"clock_nanosleep",
	"nanosleep",
	"timerfd_settime",
	"timerfd_gettime",
	/* glibc: raise() and abort() (getpid, tgkill below), locks. */
	"getpid",
	"gettid",
	"rt_sigprocmask",
	"rt_sigreturn",
	"futex",
	"restart_syscall",
	"getrandom", /* malloc's tcache seeding, arc4random */
	/* fd-only metadata: stdio's first write; the loop's memfd check. */
	"fstat",
	"fstatfs",
	/*
	 * This thread's own signal stack: the sanitizer runtimes (make
	 * check-san) query it at exit and in abort().
	 */
	"sigaltstack",
	"exit",
	"exit_group",
};

/* A base call allowed only with these arguments (each row is an "and"). */
struct sb_cond_rule {
	const char *name;
	unsigned int ncmp;
	struct scmp_arg_cmp cmp[2];
};

#define SB_CMP(a, o, x, y)                                            \
	{                                                             \
		.arg = (a), .op = (o), .datum_a = (x), .datum_b = (y) \
	}

static const struct sb_cond_rule sb_cond_rules[] = {
	/* Never executable memory: no PROT_EXEC in mmap or mprotect. */
	{"mmap", 1, {SB_CMP(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)}},
	{"mprotect", 1, {SB_CMP(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)}},
	/* Flags of fds it holds; the loop transport's memfd seals. */
	{"fcntl", 1, {SB_CMP(1, SCMP_CMP_EQ, F_GETFL, 0)}},
	{"fcntl", 1, {SB_CMP(1, SCMP_CMP_EQ, F_SETFL, 0)}},
	{"fcntl", 1, {SB_CMP(1, SCMP_CMP_EQ, F_GETFD, 0)}},
	{"fcntl", 1, {SB_CMP(1, SCMP_CMP_EQ, F_SETFD, 0)}},
	{"fcntl", 1, {SB_CMP(1, SCMP_CMP_EQ, F_GET_SEALS, 0)}},
	{"fcntl", 1, {SB_CMP(1, SCMP_CMP_EQ, F_ADD_SEALS, 0)}},
	/*
	 * glibc's fstat() is newfstatat(fd, "", buf, AT_EMPTY_PATH). The
	 * path cannot be checked, only the flags.
	 */
	{"newfstatat", 1, {SB_CMP(3, SCMP_CMP_EQ, AT_EMPTY_PATH, 0)}},
	/*
	 * A socket's type only: the loop transport checks that a guest
	 * connection handed over by the parent is a SOCK_SEQPACKET socket.
	 */
	{"getsockopt",
	 2,
	 {SB_CMP(1, SCMP_CMP_EQ, SOL_SOCKET, 0),
	  SB_CMP(2, SCMP_CMP_EQ, SO_TYPE, 0)}},
	/* send() on a connected socket: no address. */
	{"sendto", 1, {SB_CMP(4, SCMP_CMP_EQ, 0, 0)}},
	/* tgkill on itself only (pid set at load): abort() and raise(). */
	{"tgkill", 1, {SB_CMP(0, SCMP_CMP_EQ, 0, 0)}},
};

/*
 * Never allowed, not even as an extra: what would give back a file, a
 * socket, a process, a privilege or the kernel's attack surface.
 */
static const char *const sb_never[] = {
	"open",
	"openat",
	"openat2",
	"creat",
	"open_by_handle_at",
	"name_to_handle_at",
	"open_tree",
	"fsopen",
	"fsmount",
	"fsconfig",
	"move_mount",
	"mount",
	"umount2",
	"pivot_root",
	"chroot",
	"socket",
	"socketpair",
	"connect",
	"bind",
	"listen",
	"accept",
	"accept4",
	"execve",
	"execveat",
	"fork",
	"vfork",
	"clone",
	"clone3",
	"ptrace",
	"kill",
	"tkill",
	"process_vm_readv",
	"process_vm_writev",
	"pidfd_open",
	"pidfd_getfd",
	"pidfd_send_signal",
	"setuid",
	"setgid",
	"setreuid",
	"setregid",
	"setresuid",
	"setresgid",
	"setgroups",
	"setfsuid",
	"setfsgid",
	"capset",
	"prctl",
	"seccomp",
	"bpf",
	"perf_event_open",
	"keyctl",
	"add_key",
	"request_key",
	"unshare",
	"setns",
	"userfaultfd",
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	"init_module",
	"finit_module",
	"delete_module",
	"kexec_load",
	"kexec_file_load",
};

const char *vg_sandbox_fs_name(enum vg_sandbox_fs fs)
{
	switch (fs) {
	case VG_SANDBOX_FS_CHROOT:
		return "chroot";
	case VG_SANDBOX_FS_LANDLOCK:
		return "landlock";
	case VG_SANDBOX_FS_NONE:
		break;
	}
	return "none";
}

/* The name of syscall @nr on this architecture, or NULL. */
static char *sb_syscall_name(int nr)
{
	return seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}

static bool sb_is_never(const char *name)
{
	for (size_t i = 0; i < sizeof(sb_never) / sizeof(sb_never[0]); i++)
		if (!strcmp(name, sb_never[i]))
			return true;
	return false;
}

static int sb_check_extras(const struct vg_sandbox *sb, struct vg_log *log)
{
	if (sb->nextra > VG_SANDBOX_MAX_EXTRA) {
		vg_log_warnx(log, "sandbox: %u extra syscalls, at most %u",
			     sb->nextra, VG_SANDBOX_MAX_EXTRA);
		return -E2BIG;
	}
	if (sb->nextra && !sb->extra_syscalls) {
		vg_log_warnx(log, "sandbox: %u extra syscalls but no list",
			     sb->nextra);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < sb->nextra; i++) {
		int nr = sb->extra_syscalls[i];
		char *name = nr >= 0 ? sb_syscall_name(nr) : NULL;
		bool never;

		if (!name) {
			vg_log_warnx(log,
				     "sandbox: extra syscall %d is not a "
				     "syscall of this architecture",
				     nr);
			return -EINVAL;
		}
		never = sb_is_never(name);
		if (never)
			vg_log_warnx(log,
				     "sandbox: extra syscall %s (%d) is never "
				     "allowed in a worker",
				     name, nr);
		free(name);
		if (never)
			return -EINVAL;
	}
	return 0;
}

/* The chroot directory: root's, writable by root only, and empty. */
static int sb_check_root(const char *root, struct vg_log *log)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (root[0] != '/') {
		vg_log_warnx(log, "sandbox: root '%s' is not an absolute path",
			     root);
		return -EINVAL;
	}
	if (lstat(root, &st) < 0) {
		rc = -errno;
		vg_log_warn(log, "sandbox: root %s", root);
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		vg_log_warnx(log, "sandbox: root %s is not a directory", root);
		return -ENOTDIR;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		vg_log_warnx(log,
			     "sandbox: root %s must be owned by root and "
			     "writable by no one else (uid %u, mode %04o)",
			     root, (unsigned int)st.st_uid,
			     (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	d = opendir(root);
	if (!d) {
		rc = -errno;
		vg_log_warn(log, "sandbox: root %s", root);
		return rc;
	}
	errno = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			vg_log_warnx(log,
				     "sandbox: root %s is not empty (has %s)",
				     root, de->d_name);
			rc = -ENOTEMPTY;
			break;
		}
	}
	if (!rc && errno) {
		rc = -errno;
		vg_log_warn(log, "sandbox: reading root %s", root);
	}
	closedir(d);
	return rc;
}

int vg_sandbox_check(const struct vg_sandbox *sb, struct vg_log *log)
{
	if (!sb) {
		vg_log_warnx(log, "sandbox: no parameters");
		return -EINVAL;
	}
	if (sb->flags & ~VG_SANDBOX_KEEP_IDS) {
		vg_log_warnx(log, "sandbox: unknown flags %#x", sb->flags);
		return -EINVAL;
	}
	if (!(sb->flags & VG_SANDBOX_KEEP_IDS)) {
		/* (uid_t)-1 would mean "unchanged" to setresuid(2). */
		if (sb->uid == 0 || sb->uid == (uid_t)-1) {
			vg_log_warnx(log,
				     "sandbox: refusing uid %ld for a worker: "
				     "it must be an unprivileged user",
				     (long)(int)sb->uid);
			return -EINVAL;
		}
		if (sb->gid == 0 || sb->gid == (gid_t)-1) {
			vg_log_warnx(log,
				     "sandbox: refusing gid %ld for a worker: "
				     "it must be an unprivileged group",
				     (long)(int)sb->gid);
			return -EINVAL;
		}
	}
	if (sb->max_files == 0) {
		vg_log_warnx(log, "sandbox: max_files must be at least 1");
		return -EINVAL;
	}
	if (sb->root) {
		int rc = sb_check_root(sb->root, log);

		if (rc)
			return rc;
	}
	return sb_check_extras(sb, log);
}

static int sb_limit(int resource, const char *what, unsigned long value,
		    struct vg_log *log)
{
	struct rlimit rl = {.rlim_cur = value, .rlim_max = value};
	int rc;

	if (setrlimit(resource, &rl) < 0) {
		rc = -errno;
		vg_log_warn(log, "sandbox: setrlimit(%s, %lu)", what, value);
		return rc;
	}
	return 0;
}

/*
 * Landlock fs rights by ABI version: 13 in v1, REFER in v2, TRUNCATE in
 * v3, IOCTL_DEV in v5 (v4 and v6 added only network and scope rights).
 * Numbers, not the header's names: the build host's headers may be older
 * than the kernel the worker runs on.
 */
static uint64_t sb_landlock_fs_rights(long abi)
{
	unsigned int n = abi >= 5 ? 16 : abi >= 3 ? 15 : abi == 2 ? 14 : 13;

	return (UINT64_C(1) << n) - 1;
}

/*
 * A Landlock domain that handles every filesystem right and allows none:
 * no file can be opened, created, removed or executed by path. Rights of
 * fds opened before (device ioctls, truncate) are kept with the fd.
 */
static int sb_landlock(struct vg_log *log, bool *applied)
{
	struct landlock_ruleset_attr attr;
	long abi;
	int fd, rc = 0;

	*applied = false;
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
		      LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		if (errno == ENOSYS || errno == EOPNOTSUPP)
			return 0;
		rc = -errno;
		vg_log_warn(log, "sandbox: landlock version");
		return rc;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = sb_landlock_fs_rights(abi);
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0) {
		rc = -errno;
		vg_log_warn(log, "sandbox: landlock ruleset (ABI %ld)", abi);
		return rc;
	}
	if (syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
		rc = -errno;
		vg_log_warn(log, "sandbox: landlock restrict_self");
	} else {
		*applied = true;
		vg_log_debug(log, "sandbox: landlock ABI %ld, no fs rights",
			     abi);
	}
	close(fd);
	return rc;
}

static int sb_fs(const struct vg_sandbox *sb, struct vg_log *log,
		 enum vg_sandbox_fs *fs)
{
	bool applied;
	int rc;

	if (sb->root) {
		if (chroot(sb->root) < 0 || chdir("/") < 0) {
			rc = -errno;
			vg_log_warn(log, "sandbox: chroot %s", sb->root);
			return rc;
		}
		*fs = VG_SANDBOX_FS_CHROOT;
		vg_log_info(log, "sandbox: filesystem: chroot to %s", sb->root);
		return 0;
	}
	rc = sb_landlock(log, &applied);
	if (rc)
		return rc;
	if (applied) {
		*fs = VG_SANDBOX_FS_LANDLOCK;
		vg_log_info(log, "sandbox: filesystem: landlock, no rights");
	} else {
		*fs = VG_SANDBOX_FS_NONE;
		vg_log_warnx(log, "sandbox: filesystem: no root given and no "
				  "landlock in this kernel: only the syscall "
				  "filter keeps files closed");
	}
	return 0;
}

/*
 * Empty the bounding set: no execve could give a capability back (no
 * exec is allowed anyway). Needs CAP_SETPCAP; a process that lacks it
 * (VG_SANDBOX_KEEP_IDS, unprivileged) has nothing to bound.
 */
static int sb_bounding_set(const struct vg_sandbox *sb, struct vg_log *log)
{
	for (unsigned long cap = 0;; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0)
			return 0; /* EINVAL: past the kernel's last cap */
		if (r == 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			int rc = -errno;

			if (rc == -EPERM && (sb->flags & VG_SANDBOX_KEEP_IDS)) {
				vg_log_debug(log, "sandbox: bounding set kept "
						  "(no CAP_SETPCAP)");
				return 0;
			}
			vg_log_warn(log,
				    "sandbox: dropping capability %lu "
				    "from the bounding set",
				    cap);
			return rc;
		}
	}
}

static int sb_ids(const struct vg_sandbox *sb, struct vg_log *log)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	int rc;

	if (sb->flags & VG_SANDBOX_KEEP_IDS)
		return 0;
	if (setgroups(0, NULL) < 0 ||
	    setresgid(sb->gid, sb->gid, sb->gid) < 0 ||
	    setresuid(sb->uid, sb->uid, sb->uid) < 0) {
		rc = -errno;
		vg_log_warn(log, "sandbox: changing to uid %u gid %u",
			    (unsigned int)sb->uid, (unsigned int)sb->gid);
		return rc;
	}
	/* glibc changes every thread's ids by signals: check the result. */
	if (getresuid(&ruid, &euid, &suid) < 0 ||
	    getresgid(&rgid, &egid, &sgid) < 0 || ruid != sb->uid ||
	    euid != sb->uid || suid != sb->uid || rgid != sb->gid ||
	    egid != sb->gid || sgid != sb->gid) {
		vg_log_warnx(log, "sandbox: ids did not change to %u:%u",
			     (unsigned int)sb->uid, (unsigned int)sb->gid);
		return -EPERM;
	}
	return 0;
}

static int sb_caps(struct vg_log *log)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int rc;

	/* EINVAL: a kernel without ambient capabilities has none. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL) {
		rc = -errno;
		vg_log_warn(log, "sandbox: clearing ambient capabilities");
		return rc;
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0) {
		rc = -errno;
		vg_log_warn(log, "sandbox: capset");
		return rc;
	}
	return 0;
}

int vg_sandbox_drop(const struct vg_sandbox *sb, struct vg_log *log,
		    enum vg_sandbox_fs *fs)
{
	enum vg_sandbox_fs got = VG_SANDBOX_FS_NONE;
	int rc;

	if (fs)
		*fs = VG_SANDBOX_FS_NONE;
	rc = vg_sandbox_check(sb, log);
	if (rc)
		return rc;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		rc = -errno;
		vg_log_warn(log, "sandbox: no_new_privs");
		return rc;
	}
	rc = sb_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", sb->max_files, log);
	if (!rc && sb->max_as)
		rc = sb_limit(RLIMIT_AS, "RLIMIT_AS", sb->max_as, log);
	if (!rc)
		rc = sb_fs(sb, log, &got);
	if (!rc)
		rc = sb_bounding_set(sb, log);
	if (!rc)
		rc = sb_ids(sb, log);
	if (!rc)
		rc = sb_caps(log);
	if (fs)
		*fs = got;
	return rc;
}

static int sb_rule(scmp_filter_ctx ctx, const char *name, unsigned int ncmp,
		   const struct scmp_arg_cmp *cmp, struct vg_log *log)
{
	int nr = seccomp_syscall_resolve_name(name);
	int rc;

	/* Not on this architecture (libseccomp's pseudo numbers < 0). */
	if (nr < 0)
		return 0;
	rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, ncmp, cmp);
	if (rc < 0)
		vg_log_warnx(log, "sandbox: allowing %s: %s", name,
			     strerror(-rc));
	return rc;
}

int vg_sandbox_filter(const struct vg_sandbox *sb, struct vg_log *log)
{
	scmp_filter_ctx ctx;
	int rc;

	/* Not the root: after chroot its path means nothing. */
	if (!sb) {
		vg_log_warnx(log, "sandbox: no parameters");
		return -EINVAL;
	}
	rc = sb_check_extras(sb, log);
	if (rc)
		return rc;
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		vg_log_warnx(log, "sandbox: seccomp_init failed");
		return -ENOMEM;
	}
	/* Another architecture's calling convention (x32, i386) too. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			      SCMP_ACT_KILL_PROCESS);
	if (rc < 0) {
		vg_log_warnx(log, "sandbox: seccomp bad-arch action: %s",
			     strerror(-rc));
		goto out;
	}
	for (size_t i = 0; i < sizeof(sb_base) / sizeof(sb_base[0]); i++) {
		rc = sb_rule(ctx, sb_base[i], 0, NULL, log);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < sizeof(sb_cond_rules) / sizeof(sb_cond_rules[0]);
	     i++) {
		const struct sb_cond_rule *r = &sb_cond_rules[i];
		struct scmp_arg_cmp cmp[sizeof(r->cmp) / sizeof(r->cmp[0])];

		memcpy(cmp, r->cmp, sizeof(cmp));
		if (!strcmp(r->name, "tgkill"))
			cmp[0].datum_a = (scmp_datum_t)getpid();
		rc = sb_rule(ctx, r->name, r->ncmp, cmp, log);
		if (rc < 0)
			goto out;
	}
	for (unsigned int i = 0; i < sb->nextra; i++) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
				      sb->extra_syscalls[i], 0);
		if (rc < 0) {
			vg_log_warnx(log, "sandbox: allowing syscall %d: %s",
				     sb->extra_syscalls[i], strerror(-rc));
			goto out;
		}
	}
	/* Sets no_new_privs first (SCMP_FLTATR_CTL_NNP is on by default). */
	rc = seccomp_load(ctx);
	if (rc < 0)
		vg_log_warnx(log, "sandbox: loading the syscall filter: %s",
			     strerror(-rc));
	else
		vg_log_debug(log, "sandbox: syscall filter loaded");
out:
	seccomp_release(ctx);
	return rc < 0 ? rc : 0;
}

int vg_sandbox_enter(const struct vg_sandbox *sb, struct vg_log *log,
		     enum vg_sandbox_fs *fs)
{
	int rc = vg_sandbox_drop(sb, log, fs);

	return rc ? rc : vg_sandbox_filter(sb, log);
}
