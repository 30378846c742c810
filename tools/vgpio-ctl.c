// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-ctl: send one command to vgpiod's control socket and print the
 * reply. Exit 0 on "ok", 1 on "error: ...", 2 on usage or connection
 * errors. Stand-alone on purpose (links no vgpio library).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_DEFAULT "/run/vgpio/control.sock"
#define CTL_CMD_MAX 511
#define CTL_TIMEOUT_MS 10000

static const char usage[] =
	"usage: vgpio-ctl [-C PATH] COMMAND [ARGS...]\n"
	"  -C PATH   control socket (default " CTL_DEFAULT ")\n"
	"  commands: status | sim get CHIP LINE | sim set CHIP LINE 0|1 | "
	"help\n";

static int fail(const char *what, const char *detail)
{
	fprintf(stderr, "vgpio-ctl: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	return 2;
}

static int connect_ctl(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t r = send(fd, buf, len, MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += r;
		len -= (size_t)r;
	}
	return 0;
}

/*
 * Print reply lines until the final one. Returns 0 for "ok", 1 for
 * "error: ...", 2 if the daemon went away or did not answer in time.
 */
static int read_reply(int fd)
{
	char buf[4096];
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		char *nl;
		ssize_t r;

		while ((nl = memchr(buf, '\n', len))) {
			*nl = '\0';
			if (!strcmp(buf, "ok"))
				return 0;
			if (!strncmp(buf, "error: ", 7)) {
				fprintf(stderr, "vgpio-ctl: %s\n", buf);
				return 1;
			}
			puts(buf);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		if (len == sizeof(buf))
			return fail("reply line too long", NULL);
		r = poll(&pfd, 1, CTL_TIMEOUT_MS);
		if (r == 0)
			return fail("no reply from vgpiod", NULL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return fail("poll", strerror(errno));
		}
		r = read(fd, buf + len, sizeof(buf) - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return fail("connection closed before the reply ended",
				    r < 0 ? strerror(errno) : NULL);
		len += (size_t)r;
	}
}

int main(int argc, char **argv)
{
	const char *path = CTL_DEFAULT;
	char cmd[CTL_CMD_MAX + 1];
	size_t len = 0;
	static const struct option opts[] = {
		{"control", required_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, fd, i, rc;

	while ((c = getopt_long(argc, argv, "+C:h", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			path = optarg;
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
	for (i = optind; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (strpbrk(argv[i], "\n\r"))
			return fail("newline in argument", argv[i]);
		if (len + n + 2 > sizeof(cmd))
			return fail("command too long", NULL);
		if (len)
			cmd[len++] = ' ';
		memcpy(cmd + len, argv[i], n);
		len += n;
	}
	cmd[len++] = '\n';

	fd = connect_ctl(path);
	if (fd < 0)
		return fail(path, strerror(errno));
	if (send_all(fd, cmd, len) < 0) {
		rc = fail("send", strerror(errno));
	} else {
		fflush(stdout);
		rc = read_reply(fd);
	}
	close(fd);
	return rc;
}
