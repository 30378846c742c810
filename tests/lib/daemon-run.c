// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "daemon-run.h"
#include "shim.h"
#include "slurp.h"
#include "tmpdir.h"

#define DRUN_ARGS_MAX 32
#define DRUN_CTL_TIMEOUT_MS 10000

struct vg_drun {
	pid_t pid;
	pid_t guard; /* 0: none */
	int guard_fd; /* write end of the guard's pipe, or -1 */
	char dir[64];
	char config[96];
	char socket[96];
	char control[96];
	char log[96];
};

static void dump_log(const struct vg_drun *r)
{
	char buf[4096];
	ssize_t n;
	int fd = open(r->log, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	fprintf(stderr, "---- vgpiod log (%s) ----\n", r->log);
	fflush(stderr);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(2, buf, (size_t)n) != n)
			break;
	close(fd);
	fprintf(stderr, "---- end of vgpiod log ----\n");
}

/* Tell the guard all is done (it exits without touching anything). */
static void guard_release(struct vg_drun *r)
{
	if (r->guard_fd >= 0) {
		if (write(r->guard_fd, "x", 1) != 1)
			fprintf(stderr, "daemon-run: guard: %s\n",
				strerror(errno));
		close(r->guard_fd);
	}
	if (r->guard > 0)
		while (waitpid(r->guard, NULL, 0) < 0 && errno == EINTR)
			;
}

/* Remove the temp dir with whatever is in it (also after a crash). */
static void cleanup(struct vg_drun *r)
{
	int rc = vg_tmpdir_remove(r->dir);

	if (rc)
		fprintf(stderr, "daemon-run: cannot remove %s: %s\n", r->dir,
			strerror(-rc));
	guard_release(r);
	free(r);
}

static int write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		rc = -EIO;
	close(fd);
	return rc;
}

/* Wait for the child up to @ms; its status, or -ETIMEDOUT. */
static int wait_child(pid_t pid, int ms)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	int status, i;

	for (i = 0; ms < 0 || i <= ms / 10; i++) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			return status;
		if (w < 0 && errno != EINTR)
			return -errno;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

static _Noreturn void child(struct vg_drun *r, int ready_fd,
			    const char *const *extra, pid_t parent)
{
	const char *argv[DRUN_ARGS_MAX + 12];
	const char *build = getenv("VGPIO_BUILD");
	char bin[256], fdstr[16];
	int n = 0, fd;

	/*
	 * If the test dies without stopping us (a crash, a failed assertion
	 * without teardown), the daemon must not outlive it holding the
	 * test's stdout open: have the kernel send SIGTERM.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(127);
	fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	/* The write end must survive exec; the pipe was made close-on-exec. */
	fcntl(ready_fd, F_SETFD, 0);
	snprintf(bin, sizeof(bin), "%s/vgpiod", build ? build : "build");
	snprintf(fdstr, sizeof(fdstr), "%d", ready_fd);
	argv[n++] = bin;
	argv[n++] = "-c";
	argv[n++] = r->config;
	argv[n++] = "-s";
	argv[n++] = r->socket;
	argv[n++] = "-C";
	argv[n++] = r->control;
	argv[n++] = "--ready-fd";
	argv[n++] = fdstr;
	/* Guests served in the daemon itself (VGPIO_IN_PROCESS=1). */
	if (getenv("VGPIO_IN_PROCESS") &&
	    !strcmp(getenv("VGPIO_IN_PROCESS"), "1"))
		argv[n++] = "--in-process";
	while (extra && *extra && n < DRUN_ARGS_MAX + 10)
		argv[n++] = *extra++;
	argv[n] = NULL;
	execv(bin, (char *const *)argv);
	fprintf(stderr, "daemon-run: exec %s: %s\n", bin, strerror(errno));
	_exit(127);
}

/* Is @pid a live vgpiod? A zombie is not: its parent (the test) is gone. */
static bool daemon_alive(pid_t pid)
{
	char path[64], buf[512], *p, *comm;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "pid (comm) state ...": comm may even hold ')'. */
	comm = strchr(buf, '(');
	p = strrchr(buf, ')');
	if (!comm || !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return false;
	/* The pid may have been reused once the daemon was reaped. */
	return !strncmp(comm, "(vgpiod) ", 9);
}

/*
 * The guard: blocks on its pipe until the test either says it cleaned up
 * itself (one byte) or dies (EOF, the kernel closed the write end). In
 * the second case the daemon already got SIGTERM (PR_SET_PDEATHSIG); wait
 * for it to finish removing its sockets, then remove the temp dir. Its own
 * session keeps it out of a signal sent to the test's process group.
 */
static _Noreturn void guard(const struct vg_drun *r, int fd)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	ssize_t n;
	char c;
	int i;

	setsid();
	/* Hold nothing of the test's: not its stdout, not its sockets. */
	for (i = 0; i < 1024; i++)
		if (i != fd)
			close(i);
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0);
	for (i = 0; i < 1000 && daemon_alive(r->pid); i++)
		nanosleep(&ts, NULL);
	if (daemon_alive(r->pid)) {
		kill(r->pid, SIGKILL);
		for (i = 0; i < 100 && daemon_alive(r->pid); i++)
			nanosleep(&ts, NULL);
	}
	vg_tmpdir_remove(r->dir);
	_exit(0);
}

static int guard_start(struct vg_drun *r)
{
	int gfd[2], rc;

	if (pipe2(gfd, O_CLOEXEC) < 0)
		return -errno;
	r->guard = fork();
	if (r->guard < 0) {
		rc = -errno;
		r->guard = 0;
		close(gfd[0]);
		close(gfd[1]);
		return rc;
	}
	if (r->guard == 0)
		guard(r, gfd[0]);
	close(gfd[0]);
	r->guard_fd = gfd[1];
	return 0;
}

/* Wait for "READY\n" on @fd. 0, -ECHILD (EOF: it died) or -ETIMEDOUT. */
static int wait_ready(int fd)
{
	char buf[8];
	size_t len = 0;

	while (len < 6) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, VG_DRUN_READY_TIMEOUT_MS);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -ETIMEDOUT;
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -ECHILD;
		len += (size_t)n;
	}
	return memcmp(buf, "READY\n", 6) ? -EPROTO : 0;
}

int vg_drun_start(const char *config, const char *const *extra_args,
		  struct vg_drun **out)
{
	struct vg_drun *r;
	int pfd[2], rc;
	pid_t parent;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->guard_fd = -1;
	rc = vg_tmpdir_new(r->dir, sizeof(r->dir), "");
	if (rc) {
		free(r);
		return rc;
	}
	snprintf(r->config, sizeof(r->config), "%s/vgpio.conf", r->dir);
	snprintf(r->socket, sizeof(r->socket), "%s/loop.sock", r->dir);
	snprintf(r->control, sizeof(r->control), "%s/control.sock", r->dir);
	snprintf(r->log, sizeof(r->log), "%s/vgpiod.log", r->dir);
	rc = write_file(r->config, config);
	if (rc || pipe2(pfd, O_CLOEXEC) < 0) {
		rc = rc ? rc : -errno;
		cleanup(r);
		return rc;
	}
	parent = getpid();
	r->pid = fork();
	if (r->pid < 0) {
		rc = -errno;
		close(pfd[0]);
		close(pfd[1]);
		cleanup(r);
		return rc;
	}
	if (r->pid == 0) {
		close(pfd[0]);
		child(r, pfd[1], extra_args, parent);
	}
	close(pfd[1]);
	/* After the daemon's fork, so that it never holds the guard's pipe. */
	rc = guard_start(r);
	if (rc) {
		fprintf(stderr, "daemon-run: cannot start the guard: %s\n",
			strerror(-rc));
		close(pfd[0]);
		vg_drun_kill(r);
		return rc;
	}
	rc = wait_ready(pfd[0]);
	close(pfd[0]);
	if (rc) {
		fprintf(stderr, "daemon-run: vgpiod did not get ready: %s\n",
			strerror(-rc));
		vg_drun_kill(r);
		return rc;
	}
	*out = r;
	return 0;
}

const char *vg_drun_socket(const struct vg_drun *r)
{
	return r->socket;
}

const char *vg_drun_control(const struct vg_drun *r)
{
	return r->control;
}

const char *vg_drun_config(const struct vg_drun *r)
{
	return r->config;
}

const char *vg_drun_log(const struct vg_drun *r)
{
	return r->log;
}

pid_t vg_drun_pid(const struct vg_drun *r)
{
	return r->pid;
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

/* Append @len bytes to the malloc'ed string *s. */
static int append(char **s, size_t *slen, const char *p, size_t len)
{
	char *n = realloc(*s, *slen + len + 1);

	if (!n)
		return -ENOMEM;
	memcpy(n + *slen, p, len);
	*slen += len;
	n[*slen] = '\0';
	*s = n;
	return 0;
}

int vg_drun_ctl(struct vg_drun *r, const char *cmd, char **reply)
{
	char buf[4096], *out = NULL, *line, *nl;
	size_t len = 0, olen = 0;
	int fd, rc = -EPROTO;

	if (reply)
		*reply = NULL;
	fd = ctl_connect(r->control);
	if (fd < 0)
		return fd;
	if (send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) != (ssize_t)strlen(cmd) ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, DRUN_CTL_TIMEOUT_MS) <= 0) {
			rc = -ETIMEDOUT;
			goto out;
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			rc = n < 0 ? -errno : -ECONNRESET;
			goto out;
		}
		len += (size_t)n;
		buf[len] = '\0';
		line = buf;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			if (!strcmp(line, "ok")) {
				rc = 0;
				goto out;
			}
			if (append(&out, &olen, line, strlen(line)) ||
			    append(&out, &olen, "\n", 1)) {
				rc = -ENOMEM;
				goto out;
			}
			if (!strncmp(line, "error: ", 7)) {
				rc = 1;
				goto out;
			}
			line = nl + 1;
		}
		len = strlen(line);
		memmove(buf, line, len);
		if (len == sizeof(buf) - 1) {
			rc = -EMSGSIZE;
			goto out;
		}
	}
out:
	close(fd);
	if (reply && rc >= 0)
		*reply = out ? out : strdup("");
	else
		free(out);
	return rc;
}

int vg_drun_status(struct vg_drun *r, const char *domain,
		   struct vg_drun_dom *st)
{
	char *reply = NULL, *line, *save = NULL, name[64], conn[4];
	int rc = vg_drun_ctl(r, "status", &reply);

	if (rc)
		return rc < 0 ? rc : -EIO;
	rc = -ENOENT;
	for (line = strtok_r(reply, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line,
			   "domain %63s connected %3s requests %llu errors "
			   "%llu "
			   "events %llu invalid %llu resets %llu broken %llu "
			   "lines %u",
			   name, conn, &st->requests, &st->errors, &st->events,
			   &st->invalid, &st->resets, &st->broken,
			   &st->lines) != 9 ||
		    strcmp(name, domain))
			continue;
		st->connected = !strcmp(conn, "yes");
		rc = 0;
		break;
	}
	free(reply);
	return rc;
}

int vg_drun_wait_disconnected(struct vg_drun *r, const char *domain)
{
	struct vg_drun_dom st;
	int i, rc;

	for (i = 0; i < VG_DRUN_READY_TIMEOUT_MS / 10; i++) {
		rc = vg_drun_status(r, domain, &st);
		if (rc || !st.connected)
			return rc;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

int vg_drun_sim_get(struct vg_drun *r, const char *chip, const char *line,
		    int *value)
{
	char cmd[160], *reply = NULL;
	int rc;

	snprintf(cmd, sizeof(cmd), "sim get %s %s", chip, line);
	rc = vg_drun_ctl(r, cmd, &reply);
	if (!rc && sscanf(reply, "value %d", value) != 1)
		rc = -EPROTO;
	free(reply);
	return rc > 0 ? -EIO : rc;
}

int vg_drun_sim_set(struct vg_drun *r, const char *chip, const char *line,
		    int value)
{
	char cmd[160];
	int rc;

	snprintf(cmd, sizeof(cmd), "sim set %s %s %d", chip, line, value);
	rc = vg_drun_ctl(r, cmd, NULL);
	return rc > 0 ? -EIO : rc;
}

int vg_drun_guest(struct vg_drun *r, const char *domain,
		  const struct vg_shim_opts *o, struct vg_shim **out)
{
	struct vg_shim *s;
	int rc = vg_shim_new(o, &s);

	if (rc)
		return rc;
	rc = vg_shim_connect_loop(s, r->socket, domain);
	if (!rc)
		rc = vg_shim_probe(s);
	if (rc) {
		fprintf(stderr, "daemon-run: guest %s: %s\n", domain,
			vg_shim_error(s));
		vg_shim_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int vg_drun_stop(struct vg_drun *r)
{
	int status;

	kill(r->pid, SIGTERM);
	status = wait_child(r->pid, 10000);
	if (status == -ETIMEDOUT) {
		fprintf(stderr,
			"daemon-run: vgpiod ignored SIGTERM, killing\n");
		kill(r->pid, SIGKILL);
		status = wait_child(r->pid, -1);
	}
	status = status < 0 ? 255 : exit_code(status);
	if (status)
		dump_log(r);
	cleanup(r);
	return status;
}

void vg_drun_kill(struct vg_drun *r)
{
	if (!r)
		return;
	kill(r->pid, SIGKILL);
	wait_child(r->pid, -1);
	dump_log(r);
	cleanup(r);
}

bool vg_drun_log_has(const struct vg_drun *r, const char *what)
{
	char *log = vg_slurp(vg_drun_log(r), NULL);
	bool has = log && strstr(log, what);

	free(log);
	return has;
}

pid_t vg_drun_worker_pid(const struct vg_drun *r, const char *domain)
{
	char *log, key[80], *p, *last = NULL;
	long pid = -1;

	snprintf(key, sizeof(key), "domain %s: worker pid ", domain);
	log = vg_slurp(vg_drun_log(r), NULL);
	for (p = log ? strstr(log, key) : NULL; p; p = strstr(p + 1, key))
		last = p;
	if (last)
		pid = strtol(last + strlen(key), NULL, 10);
	free(log);
	return (pid_t)pid;
}
