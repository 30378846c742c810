/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker sandbox: the one call a worker makes, once it holds every fd
 * it will use, to give up what it does not need. docs/security.md ("The
 * worker sandbox") lists what stays allowed and why.
 *
 * The steps, in order (vg_sandbox_drop() does 1-5, vg_sandbox_filter() 6):
 *   1. no_new_privs (PR_SET_NO_NEW_PRIVS): it only changes what execve(2)
 *      may grant, and with it Landlock needs no CAP_SYS_ADMIN;
 *   2. limits: RLIMIT_NOFILE (soft = hard = max_files), RLIMIT_AS;
 *   3. filesystem: chroot(root) and chdir("/"), or with no root a Landlock
 *      domain that handles every filesystem right and grants none, or
 *      nothing where the kernel has no Landlock (reported);
 *   4. the capability bounding set emptied while still privileged, then
 *      setgroups(0), setresgid(gid), setresuid(uid);
 *   5. every capability set cleared: ambient, then capset(2) with empty
 *      effective, permitted and inheritable sets;
 *   6. the seccomp allow-list (libseccomp), default action: kill the
 *      process (SIGSYS). mmap/mprotect with PROT_EXEC also kill.
 *
 * Call it single-threaded: Landlock and no_new_privs apply to the calling
 * thread only. The steps cannot be undone; when one fails, the process is
 * partly restricted and should exit. Log through an fd sink: syslog(3)
 * opens a socket, which the filter refuses by killing the process.
 */
#ifndef VGPIO_SANDBOX_H
#define VGPIO_SANDBOX_H

#include <sys/types.h>
#include "log.h"

/*
 * Keep the process's uid, gid and groups (uid/gid are ignored): for tests
 * and for a worker that already runs unprivileged. Everything else still
 * applies; a root process that keeps its ids has no capabilities left.
 */
#define VG_SANDBOX_KEEP_IDS (1u << 0)

/* At most this many extra syscalls. */
#define VG_SANDBOX_MAX_EXTRA 64u

struct vg_sandbox {
	uid_t uid; /* not 0 (refused) unless VG_SANDBOX_KEEP_IDS */
	gid_t gid; /* not 0 either */
	unsigned int flags; /* VG_SANDBOX_* */
	/*
	 * An empty directory owned by root and writable by no one else, to
	 * chroot into; NULL for Landlock (or nothing, where the kernel has
	 * no Landlock).
	 */
	const char *root;
	unsigned long max_files; /* RLIMIT_NOFILE, soft = hard; at least 1 */
	unsigned long max_as; /* RLIMIT_AS in bytes; 0 leaves it */
	/*
	 * Syscall numbers (native architecture) allowed on top of the base
	 * list, without argument checks. One that is never allowed (execve,
	 * open, socket, fork...: docs/security.md) is refused.
	 */
	const int *extra_syscalls;
	unsigned int nextra;
};

/* What confines the filesystem after vg_sandbox_drop(). */
enum vg_sandbox_fs {
	VG_SANDBOX_FS_NONE = 0, /* no root given and no Landlock here */
	VG_SANDBOX_FS_CHROOT,
	VG_SANDBOX_FS_LANDLOCK,
};

/* "none", "chroot", "landlock". */
const char *vg_sandbox_fs_name(enum vg_sandbox_fs fs);

/*
 * Check @sb without changing anything: ids, limits, the root directory
 * (exists, a directory, root-owned, not group/other-writable, empty) and
 * the extra syscalls. 0 or -errno: -EINVAL for uid/gid 0, an unknown flag,
 * max_files 0, a relative root or a bad, unknown or never-allowed extra
 * syscall; -E2BIG for too many extras; the root's -ENOENT, -ENOTDIR,
 * -ENOTEMPTY or -EPERM (wrong owner or mode). Each failure is logged as a
 * warning on @log (may be NULL), naming what is wrong.
 */
int vg_sandbox_check(const struct vg_sandbox *sb, struct vg_log *log);

/*
 * Steps 1-5 above, after vg_sandbox_check(). Needs root (CAP_SETUID,
 * CAP_SETGID, CAP_SETPCAP, CAP_SYS_CHROOT, CAP_SYS_RESOURCE to raise a
 * limit) unless VG_SANDBOX_KEEP_IDS and no root. Logs at INFO what confines
 * the filesystem, and a warning if nothing does. *@fs (may be NULL) says
 * which. 0 or -errno (logged); on failure, exit.
 */
int vg_sandbox_drop(const struct vg_sandbox *sb, struct vg_log *log,
		    enum vg_sandbox_fs *fs);

/*
 * Step 6: build and load the syscall filter (base list plus @sb's extras).
 * Sets no_new_privs itself (libseccomp does), so it also works alone. 0 or
 * -errno (logged); on failure, exit.
 */
int vg_sandbox_filter(const struct vg_sandbox *sb, struct vg_log *log);

/* vg_sandbox_check(), vg_sandbox_drop() and vg_sandbox_filter(). */
int vg_sandbox_enter(const struct vg_sandbox *sb, struct vg_log *log,
		     enum vg_sandbox_fs *fs);

#endif /* VGPIO_SANDBOX_H */
