// SPDX-License-Identifier: BSD-3-Clause
/*
 * The worker sandbox. Every case that restricts anything does it in a
 * forked child, which then does one thing; the parent reads the child's
 * fate from waitpid(): exit 0 (every check in the child held), or killed
 * by the signal the case expects (SIGSYS from the filter). A failing check
 * in the child writes its line and errno to stderr and exits 1.
 *
 * Cases that change ids or chroot need root and are skipped, saying so,
 * without it; the filter cases keep their ids (VG_SANDBOX_KEEP_IDS) when
 * not root, so they run everywhere. Target ids: 65534 (nobody/nogroup).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/random.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "drain.h"
#include "log.h"
#include "sandbox.h"
#include "tmpdir.h"

#define NOBODY 65534

struct killed_case;
/* A child's exit status when the case does not apply here. */
#define CHILD_SKIP 77

struct fixture {
	char dir[128]; /* an empty root for chroot */
	int logp[2]; /* pipe: [0] read back, [1] the log sink's fd */
	struct vg_log_sink sink;
	struct vg_log log;
	char out[4096];
	int xfd[2]; /* per-case fds made by the parent */
	const struct killed_case *killed; /* the killed cases' call */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(vg_tmpdir_new(f->dir, sizeof(f->dir), "sandbox"), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(pipe2(f->logp, O_NONBLOCK | O_CLOEXEC), 0);
	f->sink.level = VG_LOG_DEBUG;
	f->sink.fd = f->logp[1];
	vg_log_init(&f->log, &f->sink, "vgpiod");
	f->xfd[0] = f->xfd[1] = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->logp[0]);
	close(f->logp[1]);
	for (int i = 0; i < 2; i++)
		if (f->xfd[i] >= 0)
			close(f->xfd[i]);
	vg_tmpdir_remove(f->dir);
	free(f);
	return 0;
}

static const char *drain(struct fixture *f)
{
	return vg_test_drain(f->logp[0], f->out, sizeof(f->out));
}

static void skip_unless_root(void)
{
	if (geteuid() != 0) {
		print_message("not root: cannot change ids or chroot: "
			      "skipped\n");
		skip();
	}
}

/* The sandbox a worker would use: nobody, Landlock, 64 files. */
static struct vg_sandbox worker_sandbox(void)
{
	struct vg_sandbox sb = {
		.uid = NOBODY,
		.gid = NOBODY,
		.max_files = 64,
	};

	if (geteuid() != 0)
		sb.flags = VG_SANDBOX_KEEP_IDS;
	return sb;
}

/* --- the child's side ---------------------------------------------------- */

static _Noreturn void child_fail(int line)
{
	char msg[128];
	int e = errno;
	int n = snprintf(msg, sizeof(msg),
			 "child: check at line %d failed (%s)\n", line,
			 strerror(e));

	if (n > 0 && write(2, msg, (size_t)n) < 0)
		_exit(2);
	_exit(1);
}

#define CHILD_CHECK(cond)                     \
	do {                                  \
		if (!(cond))                  \
			child_fail(__LINE__); \
	} while (0)

/* Log to stderr in the child: its own sink, warnings only. */
static void child_log(struct vg_log_sink *sink, struct vg_log *log)
{
	sink->level = VG_LOG_WARN;
	sink->fd = 2;
	sink->now_ns = NULL;
	vg_log_init(log, sink, "child");
}

static void child_enter(const struct vg_sandbox *sb)
{
	struct vg_log_sink sink;
	struct vg_log log;
	struct rlimit nocore = {0, 0};

	/* A killed child as root keeping its ids could dump core here. */
	CHILD_CHECK(setrlimit(RLIMIT_CORE, &nocore) == 0);
	child_log(&sink, &log);
	CHILD_CHECK(vg_sandbox_enter(sb, &log, NULL) == 0);
}

static void child_drop(const struct vg_sandbox *sb, enum vg_sandbox_fs *fs)
{
	struct vg_log_sink sink;
	struct vg_log log;

	child_log(&sink, &log);
	CHILD_CHECK(vg_sandbox_drop(sb, &log, fs) == 0);
}

/* --- the parent's side ------------------------------------------------- */

typedef void (*child_fn)(struct fixture *f);

/* Fork, run @fn in the child (then exit 0), return its wait status. */
static int run_child(struct fixture *f, child_fn fn)
{
	int status;
	pid_t pid;

	/* Nothing buffered may be written twice. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fn(f);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_exit0(int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_SKIP) {
		print_message("not applicable here (see the child's "
			      "message): skipped\n");
		skip();
	}
	if (WIFSIGNALED(status))
		print_message("child killed by signal %d (%s)\n",
			      WTERMSIG(status), strsignal(WTERMSIG(status)));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void expect_signal(int status, int sig)
{
	if (WIFEXITED(status))
		print_message("child exited with %d, expected signal %d\n",
			      WEXITSTATUS(status), sig);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), sig);
}

/* --- refusals: nothing changes ------------------------------------------ */

static void refused(struct fixture *f, const struct vg_sandbox *sb, int err,
		    const char *msg)
{
	const char *log;

	assert_int_equal(vg_sandbox_check(sb, &f->log), err);
	log = drain(f);
	if (!strstr(log, msg))
		print_message("log: %s\n", log);
	assert_non_null(strstr(log, msg));
}

static void sandbox_check_uid0_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_sandbox sb = worker_sandbox();

	sb.flags = 0;
	sb.uid = 0;
	refused(f, &sb, -EINVAL, "refusing uid 0 for a worker");
}

static void sandbox_check_gid0_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_sandbox sb = worker_sandbox();

	sb.flags = 0;
	sb.gid = 0;
	refused(f, &sb, -EINVAL, "refusing gid 0 for a worker");
}

static void sandbox_check_uid_minus1_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_sandbox sb = worker_sandbox();

	sb.flags = 0;
	sb.uid = (uid_t)-1;
	refused(f, &sb, -EINVAL, "refusing uid -1 for a worker");
}

static void sandbox_check_unknown_flag_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_sandbox sb = worker_sandbox();

	sb.flags |= 0x100;
	refused(f, &sb, -EINVAL, "unknown flags");
}

static void sandbox_check_no_files_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_sandbox sb = worker_sandbox();

	sb.max_files = 0;
	refused(f, &sb, -EINVAL, "max_files must be at least 1");
}

static void sandbox_check_missing_root_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_sandbox sb = worker_sandbox();
	char root[160];

	snprintf(root, sizeof(root), "%s/missing", f->dir);
	sb.root = root;
	refused(f, &sb, -ENOENT, "root /tmp/vgpio-test-sandbox-");
	/* ...and the message says why. */
	assert_int_equal(vg_sandbox_check(&sb, &f->log), -ENOENT);
	assert_non_null(strstr(drain(f), "/missing: No such file"));
}

static void sandbox_check_relative_root_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_sandbox sb = worker_sandbox();

	sb.root = "tmp";
	refused(f, &sb, -EINVAL, "root 'tmp' is not an absolute path");
}

static void sandbox_check_file_root_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_sandbox sb = worker_sandbox();

	sb.root = "/dev/null";
	refused(f, &sb, -ENOTDIR, "root /dev/null is not a directory");
}

static void sandbox_check_full_root_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_sandbox sb = worker_sandbox();
	char sub[160];

	snprintf(sub, sizeof(sub), "%s/etc", f->dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	sb.root = f->dir;
	/* Owned by us: as root, the emptiness check is what refuses. */
	if (geteuid() == 0)
		refused(f, &sb, -ENOTEMPTY, "is not empty (has etc)");
	else
		refused(f, &sb, -EPERM, "must be owned by root");
	assert_int_equal(rmdir(sub), 0);
}

static void sandbox_check_writable_root_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_sandbox sb = worker_sandbox();

	assert_int_equal(chmod(f->dir, 0775), 0);
	sb.root = f->dir;
	refused(f, &sb, -EPERM, "writable by no one else");
	assert_int_equal(chmod(f->dir, 0755), 0);
}

static void sandbox_check_never_extra_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_sandbox sb = worker_sandbox();
	const int extra[] = {SYS_getuid, SYS_execve};

	sb.extra_syscalls = extra;
	sb.nextra = 2;
	refused(f, &sb, -EINVAL, "extra syscall execve");
	assert_non_null(strstr(f->out, "is never allowed"));
}

static void sandbox_check_unknown_extra_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_sandbox sb = worker_sandbox();
	const int extra[] = {-3};

	sb.extra_syscalls = extra;
	sb.nextra = 1;
	refused(f, &sb, -EINVAL,
		"extra syscall -3 is not a syscall of this architecture");
}

static void sandbox_check_many_extras_refused(void **state)
{
	struct fixture *f = *state;
	struct vg_sandbox sb = worker_sandbox();
	int extra[VG_SANDBOX_MAX_EXTRA + 1];

	for (unsigned int i = 0; i <= VG_SANDBOX_MAX_EXTRA; i++)
		extra[i] = SYS_getuid;
	sb.extra_syscalls = extra;
	sb.nextra = VG_SANDBOX_MAX_EXTRA + 1;
	refused(f, &sb, -E2BIG, "65 extra syscalls, at most 64");
}

/* vg_sandbox_enter() with uid 0 changes nothing: the child stays root. */
static void child_enter_uid0(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();

	(void)f;
	sb.flags = 0;
	sb.uid = 0;
	CHILD_CHECK(vg_sandbox_enter(&sb, NULL, NULL) == -EINVAL);
	CHILD_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
	CHILD_CHECK(getuid() == 0 && getgid() == 0);
	/* Not filtered: open works. */
	CHILD_CHECK(open("/dev/null", O_RDONLY) >= 0);
}

static void sandbox_enter_uid0_changes_nothing(void **state)
{
	skip_unless_root();
	expect_exit0(run_child(*state, child_enter_uid0));
}

/* --- vg_sandbox_drop(): ids, capabilities, limits, filesystem -------------- */

static void child_drop_ids(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
	uid_t r, e, s;
	gid_t rg, eg, sg;
	gid_t groups[4];

	(void)f;
	/* Root in the parent, with supplementary groups to lose. */
	CHILD_CHECK(setgroups(1, (gid_t[]){4}) == 0);
	child_drop(&sb, NULL);
	CHILD_CHECK(getresuid(&r, &e, &s) == 0);
	CHILD_CHECK(r == NOBODY && e == NOBODY && s == NOBODY);
	CHILD_CHECK(getuid() != 0 && geteuid() != 0 && getgid() != 0);
	CHILD_CHECK(getresgid(&rg, &eg, &sg) == 0);
	CHILD_CHECK(rg == NOBODY && eg == NOBODY && sg == NOBODY);
	CHILD_CHECK(getgroups(4, groups) == 0);
	memset(caps, 0xff, sizeof(caps));
	CHILD_CHECK(syscall(SYS_capget, &hdr, caps) == 0);
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		CHILD_CHECK(caps[i].effective == 0 && caps[i].permitted == 0 &&
			    caps[i].inheritable == 0);
	for (unsigned long cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0;
	     cap++)
		CHILD_CHECK(prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 0);
	CHILD_CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 0, 0) <= 0);
	CHILD_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
	/* Root's powers are gone: ids cannot go back. */
	CHILD_CHECK(setuid(0) == -1 && errno == EPERM);
}

static void sandbox_drop_ids_caps_nnp(void **state)
{
	skip_unless_root();
	expect_exit0(run_child(*state, child_drop_ids));
}

static void child_drop_files(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();
	struct rlimit rl;
	int fd, n = 0;

	(void)f;
	sb.max_files = 16;
	child_drop(&sb, NULL);
	CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	CHILD_CHECK(rl.rlim_cur == 16 && rl.rlim_max == 16);
	while ((fd = dup(0)) >= 0) {
		CHILD_CHECK(fd < 16);
		CHILD_CHECK(++n <= 16);
	}
	CHILD_CHECK(errno == EMFILE);
	/* And the hard limit cannot be raised back. */
	rl.rlim_cur = rl.rlim_max = 1024;
	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == -1 && errno == EPERM);
}

static void sandbox_drop_limits_files(void **state)
{
	expect_exit0(run_child(*state, child_drop_files));
}

/* The address space now (VmSize), in bytes; 0 if unknown. */
static unsigned long vm_size(void)
{
	char line[128];
	unsigned long kb = 0;
	FILE *fp = fopen("/proc/self/status", "r");

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
			break;
	fclose(fp);
	return kb * 1024;
}

static void child_drop_as(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();
	/* Room for 64 MiB more (sanitizers reserve terabytes first). */
	unsigned long limit = vm_size() + (64ul << 20);
	struct rlimit rl;
	void *p;

	(void)f;
	CHILD_CHECK(limit > (64ul << 20));
	sb.max_as = limit;
	child_drop(&sb, NULL);
	CHILD_CHECK(getrlimit(RLIMIT_AS, &rl) == 0);
	CHILD_CHECK(rl.rlim_cur == limit && rl.rlim_max == limit);
	p = mmap(NULL, 1ul << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHILD_CHECK(p != MAP_FAILED);
	p = mmap(NULL, 1ul << 30, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHILD_CHECK(p == MAP_FAILED && errno == ENOMEM);
}

static void sandbox_drop_limits_as(void **state)
{
	expect_exit0(run_child(*state, child_drop_as));
}

static void child_drop_chroot(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();
	enum vg_sandbox_fs fs = VG_SANDBOX_FS_NONE;
	struct dirent *de;
	struct stat st;
	char cwd[16];
	DIR *d;

	sb.root = f->dir;
	child_drop(&sb, &fs);
	CHILD_CHECK(fs == VG_SANDBOX_FS_CHROOT);
	CHILD_CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, "/"));
	CHILD_CHECK(stat("/etc", &st) == -1 && errno == ENOENT);
	CHILD_CHECK(stat("/tmp", &st) == -1 && errno == ENOENT);
	d = opendir("/");
	CHILD_CHECK(d);
	while ((de = readdir(d)))
		CHILD_CHECK(!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."));
	/* Not writable by nobody either. */
	CHILD_CHECK(mkdir("/x", 0755) == -1 && errno == EACCES);
}

static void sandbox_drop_chroot_root_is_empty(void **state)
{
	skip_unless_root();
	expect_exit0(run_child(*state, child_drop_chroot));
}

static void child_drop_landlock(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();
	enum vg_sandbox_fs fs = VG_SANDBOX_FS_CHROOT;
	int dev = open("/dev/urandom", O_RDONLY | O_CLOEXEC), n;

	(void)f;
	CHILD_CHECK(dev >= 0);
	child_drop(&sb, &fs);
	if (fs == VG_SANDBOX_FS_NONE) {
		static const char msg[] = "child: no landlock in this kernel\n";

		CHILD_CHECK(write(2, msg, sizeof(msg) - 1) > 0);
		_exit(CHILD_SKIP);
	}
	CHILD_CHECK(fs == VG_SANDBOX_FS_LANDLOCK);
	CHILD_CHECK(open("/etc/passwd", O_RDONLY) == -1 && errno == EACCES);
	CHILD_CHECK(open("/tmp", O_RDONLY | O_DIRECTORY) == -1 &&
		    errno == EACCES);
	CHILD_CHECK(mkdir("/tmp/vgpio-test-sandbox-x", 0755) == -1 &&
		    errno == EACCES);
	/* A device opened before keeps its driver's ioctls. */
	CHILD_CHECK(ioctl(dev, RNDGETENTCNT, &n) == 0);
}

/* Landlock needs no root: no_new_privs comes first. */
static void sandbox_drop_landlock_closes_files(void **state)
{
	expect_exit0(run_child(*state, child_drop_landlock));
}

/* --- vg_sandbox_filter(): what still works ------------------------------- */

static void child_loop_calls(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();
	struct epoll_event ev = {.events = EPOLLIN}, got[2];
	int ep = epoll_create1(EPOLL_CLOEXEC), p[2], sv[2];
	char a[3] = "abc", b[3];
	struct iovec iov[2] = {{a, 1}, {a + 1, 2}};
	struct timespec ts;
	int flags;

	(void)f;
	CHILD_CHECK(ep >= 0 && pipe2(p, O_CLOEXEC) == 0);
	CHILD_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	child_enter(&sb);
	CHILD_CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0);
	CHILD_CHECK(epoll_wait(ep, got, 2, 0) == 0);
	CHILD_CHECK(writev(p[1], iov, 2) == 3);
	CHILD_CHECK(epoll_wait(ep, got, 2, -1) == 1);
	CHILD_CHECK(read(p[0], b, 1) == 1 && b[0] == 'a');
	iov[0].iov_base = b;
	iov[0].iov_len = 2;
	CHILD_CHECK(readv(p[0], iov, 1) == 2 && !memcmp(b, "bc", 2));
	flags = fcntl(p[0], F_GETFL);
	CHILD_CHECK(flags >= 0);
	CHILD_CHECK(fcntl(p[0], F_SETFL, flags | O_NONBLOCK) == 0);
	CHILD_CHECK(read(p[0], b, 1) == -1 && errno == EAGAIN);
	CHILD_CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
	CHILD_CHECK(close(p[0]) == 0 && close(p[1]) == 0 && close(ep) == 0);
	/* A handed-over socket's type (the loop transport's check). */
	CHILD_CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &flags,
			       &(socklen_t){sizeof(flags)}) == 0 &&
		    flags == SOCK_SEQPACKET);
}

static void sandbox_filter_allows_loop_calls(void **state)
{
	expect_exit0(run_child(*state, child_loop_calls));
}

/* The parent hands the worker an fd after it has entered. */
static void child_recv_fd(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	int fd;

	close(f->xfd[0]);
	child_enter(&sb);
	CHILD_CHECK(recvmsg(f->xfd[1], &msg, MSG_CMSG_CLOEXEC) == 1);
	c = CMSG_FIRSTHDR(&msg);
	CHILD_CHECK(c && c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	/* The received fd is a pipe's write end: answer through it. */
	CHILD_CHECK(write(fd, "ok", 2) == 2);
	/* sendmsg too, without fds. */
	byte = 'k';
	msg.msg_control = NULL;
	msg.msg_controllen = 0;
	CHILD_CHECK(sendmsg(f->xfd[1], &msg, 0) == 1);
}

static void sandbox_filter_allows_scm_rights(void **state)
{
	struct fixture *f = *state;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 'x', got[3] = "";
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	int p[2], status;
	pid_t pid;

	/* Made before the child enters, as the parent's channel would be. */
	assert_int_equal(
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->xfd),
		0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		close(p[1]);
		child_recv_fd(f);
		_exit(0);
	}
	close(f->xfd[1]);
	f->xfd[1] = -1;
	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	/* (If the child died first this fails; its status says why.) */
	(void)sendmsg(f->xfd[0], &msg, MSG_NOSIGNAL);
	close(p[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	expect_exit0(status);
	assert_int_equal(read(p[0], got, 2), 2);
	assert_memory_equal(got, "ok", 2);
	assert_int_equal(recv(f->xfd[0], &byte, 1, MSG_DONTWAIT), 1);
	assert_int_equal(byte, 'k');
	close(p[0]);
}

static void child_memory(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();
	const size_t len = 1u << 20;
	char *p, *q;

	(void)f;
	child_enter(&sb);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	CHILD_CHECK(p != MAP_FAILED);
	memset(p, 1, len);
	CHILD_CHECK(madvise(p, len, MADV_DONTNEED) == 0);
	CHILD_CHECK(mprotect(p, len, PROT_READ) == 0 && p[0] == 0);
	p = mremap(p, len, 2 * len, MREMAP_MAYMOVE);
	CHILD_CHECK(p != MAP_FAILED);
	CHILD_CHECK(munmap(p, 2 * len) == 0);
	/* malloc: brk for small blocks, mmap for big ones. */
	q = malloc(100);
	p = malloc(4 * len);
	CHILD_CHECK(p && q);
	memset(p, 2, 4 * len);
	free(p);
	free(q);
}

static void sandbox_filter_allows_memory_without_exec(void **state)
{
	expect_exit0(run_child(*state, child_memory));
}

/* stdio's first write stats its fd; a device ioctl; getrandom. */
static void child_misc(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();
	int dev = open("/dev/urandom", O_RDONLY | O_CLOEXEC), n, p[2];
	struct timespec ts = {0, 1000};
	unsigned int r;
	struct stat st;
	FILE *fp;
	char buf[8];

	(void)f;
	CHILD_CHECK(dev >= 0 && pipe2(p, O_CLOEXEC) == 0);
	fp = fdopen(p[1], "w");
	CHILD_CHECK(fp);
	child_enter(&sb);
	CHILD_CHECK(fprintf(fp, "x%d", 1) == 2 && fflush(fp) == 0);
	CHILD_CHECK(read(p[0], buf, sizeof(buf)) == 2 && !memcmp(buf, "x1", 2));
	CHILD_CHECK(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode));
	CHILD_CHECK(ioctl(dev, RNDGETENTCNT, &n) == 0);
	CHILD_CHECK(getrandom(&r, sizeof(r), 0) == sizeof(r));
	CHILD_CHECK(nanosleep(&ts, NULL) == 0);
	CHILD_CHECK(getpid() > 1 && gettid() > 1);
}

static void sandbox_filter_allows_stdio_ioctl_random(void **state)
{
	expect_exit0(run_child(*state, child_misc));
}

/* The base list is enough to log through an fd. */
static void child_log_line(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();
	struct vg_log_sink sink = {.level = VG_LOG_INFO, .fd = f->logp[1]};
	struct vg_log log;

	vg_log_init(&log, &sink, "worker");
	child_enter(&sb);
	vg_log_info(&log, "inside %d", 1);
	vg_log_guest(&log, "guest %s", "message");
}

static void sandbox_filter_allows_logging(void **state)
{
	struct fixture *f = *state;
	const char *log;

	expect_exit0(run_child(f, child_log_line));
	log = drain(f);
	assert_non_null(strstr(log, "worker: inside 1\n"));
	assert_non_null(strstr(log, "worker: guest message\n"));
}

/* abort() still dies of SIGABRT, not SIGSYS: tgkill on itself works. */
static void child_abort(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();

	(void)f;
	child_enter(&sb);
	abort();
}

static void sandbox_filter_abort_is_sigabrt(void **state)
{
	expect_signal(run_child(*state, child_abort), SIGABRT);
}

/* An extra syscall (getuid is not in the base list) is allowed. */
static void child_extra(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();
	const int extra[] = {SYS_getuid};
	uid_t want = geteuid() == 0 ? NOBODY : getuid();

	(void)f;
	sb.extra_syscalls = extra;
	sb.nextra = 1;
	child_enter(&sb);
	CHILD_CHECK(getuid() == want);
}

static void sandbox_filter_allows_extra(void **state)
{
	expect_exit0(run_child(*state, child_extra));
}

/* --- vg_sandbox_filter(): what kills (SIGSYS) ---------------------------- */

struct killed_case {
	const char *name;
	child_fn fn;
};

static void do_openat(struct fixture *f)
{
	(void)f;
	(void)openat(AT_FDCWD, "/dev/null", O_RDONLY);
}

static void do_open(struct fixture *f)
{
	(void)f;
#ifdef SYS_open
	(void)syscall(SYS_open, "/dev/null", O_RDONLY);
#else
	(void)open("/dev/null", O_RDONLY); /* openat on this architecture */
#endif
}

static void do_socket(struct fixture *f)
{
	(void)f;
	(void)socket(AF_UNIX, SOCK_STREAM, 0);
}

static void do_socketpair(struct fixture *f)
{
	int sv[2];

	(void)f;
	(void)socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
}

static void do_execve(struct fixture *f)
{
	static char name[] = "true";
	char *const argv[] = {name, NULL};

	(void)f;
	(void)execve("/bin/true", argv, argv + 1);
}

static void do_fork(struct fixture *f)
{
	(void)f;
	/* A child that survived would exit 0: the parent sees no signal. */
	if (fork() == 0)
		_exit(0);
}

static void do_mmap_exec(struct fixture *f)
{
	(void)f;
	(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void do_mprotect_exec(struct fixture *f)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)f;
	if (p == MAP_FAILED)
		_exit(3);
	(void)mprotect(p, 4096, PROT_READ | PROT_EXEC);
}

static void do_fcntl_dup(struct fixture *f)
{
	(void)f;
	(void)fcntl(0, F_DUPFD_CLOEXEC, 0);
}

static void do_stat_path(struct fixture *f)
{
	struct stat st;

	(void)f;
	(void)stat("/", &st);
}

static void do_kill(struct fixture *f)
{
	(void)f;
	(void)kill(getpid(), 0);
}

static void do_prctl(struct fixture *f)
{
	(void)f;
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static void do_setuid(struct fixture *f)
{
	(void)f;
	(void)setuid(0);
}

static void do_sendto_addr(struct fixture *f)
{
	struct sockaddr sa = {.sa_family = AF_UNIX};

	(void)f;
	(void)sendto(1, "x", 1, 0, &sa, sizeof(sa));
}

static void do_getsockopt_other(struct fixture *f)
{
	int v;
	socklen_t len = sizeof(v);

	(void)f;
	(void)getsockopt(1, SOL_SOCKET, SO_RCVBUF, &v, &len);
}

static const struct killed_case killed_cases[] = {
	{"sandbox_filter_kills_open", do_open},
	{"sandbox_filter_kills_openat", do_openat},
	{"sandbox_filter_kills_socket", do_socket},
	{"sandbox_filter_kills_socketpair", do_socketpair},
	{"sandbox_filter_kills_execve", do_execve},
	{"sandbox_filter_kills_fork", do_fork},
	{"sandbox_filter_kills_mmap_exec", do_mmap_exec},
	{"sandbox_filter_kills_mprotect_exec", do_mprotect_exec},
	{"sandbox_filter_kills_fcntl_dupfd", do_fcntl_dup},
	{"sandbox_filter_kills_stat_path", do_stat_path},
	{"sandbox_filter_kills_kill", do_kill},
	{"sandbox_filter_kills_prctl", do_prctl},
	{"sandbox_filter_kills_setuid", do_setuid},
	{"sandbox_filter_kills_sendto_address", do_sendto_addr},
	{"sandbox_filter_kills_getsockopt_other", do_getsockopt_other},
};
#define NKILLED (sizeof(killed_cases) / sizeof(killed_cases[0]))

static void child_killed(struct fixture *f)
{
	struct vg_sandbox sb = worker_sandbox();

	child_enter(&sb);
	f->killed->fn(f);
	/* Still alive: the parent sees exit status 0 and fails. */
}

static void sandbox_filter_kills(void **state)
{
	struct fixture *f = *state;

	expect_signal(run_child(f, child_killed), SIGSYS);
}

/* The killed cases' setup: the case comes in as the initial state. */
static int setup_killed(void **state)
{
	const struct killed_case *kc = *state;
	struct fixture *f;

	setup(state);
	f = *state;
	f->killed = kc;
	return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest fixed[] = {
		T(sandbox_check_uid0_refused),
		T(sandbox_check_gid0_refused),
		T(sandbox_check_uid_minus1_refused),
		T(sandbox_check_unknown_flag_refused),
		T(sandbox_check_no_files_refused),
		T(sandbox_check_missing_root_refused),
		T(sandbox_check_relative_root_refused),
		T(sandbox_check_file_root_refused),
		T(sandbox_check_full_root_refused),
		T(sandbox_check_writable_root_refused),
		T(sandbox_check_never_extra_refused),
		T(sandbox_check_unknown_extra_refused),
		T(sandbox_check_many_extras_refused),
		T(sandbox_enter_uid0_changes_nothing),
		T(sandbox_drop_ids_caps_nnp),
		T(sandbox_drop_limits_files),
		T(sandbox_drop_limits_as),
		T(sandbox_drop_chroot_root_is_empty),
		T(sandbox_drop_landlock_closes_files),
		T(sandbox_filter_allows_loop_calls),
		T(sandbox_filter_allows_scm_rights),
		T(sandbox_filter_allows_memory_without_exec),
		T(sandbox_filter_allows_stdio_ioctl_random),
		T(sandbox_filter_allows_logging),
		T(sandbox_filter_abort_is_sigabrt),
		T(sandbox_filter_allows_extra),
	};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest tests[sizeof(fixed) / sizeof(fixed[0]) + NKILLED];

	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < NKILLED; i++)
		tests[nfixed + i] = (struct CMUnitTest){
			.name = killed_cases[i].name,
			.test_func = sandbox_filter_kills,
			.setup_func = setup_killed,
			.teardown_func = teardown,
			.initial_state = (void *)&killed_cases[i],
		};
	return _cmocka_run_group_tests("test-sandbox", tests,
				       sizeof(tests) / sizeof(tests[0]), NULL,
				       NULL);
}
