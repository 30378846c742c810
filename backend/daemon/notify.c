// SPDX-License-Identifier: BSD-3-Clause
/*
 * sd_notify(3) without libsystemd (see notify.h). The protocol is stable
 * and documented by systemd: one SOCK_DGRAM datagram per message; the
 * kernel attaches our credentials, which the manager uses to check that
 * the sender is the service's main process (NotifyAccess=main).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "notify.h"

/*
 * Fill @sun from @addr; returns the address length for sendto(2) or
 * -errno. An abstract name is not NUL-terminated: its length is the
 * address length, so no trailing NUL may be counted.
 */
static int notify_addr(struct sockaddr_un *sun, const char *addr)
{
	size_t len = strlen(addr);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (addr[0] == '/') {
		/* Keep room for the NUL: some kernels' paths need it. */
		if (len >= sizeof(sun->sun_path))
			return -ENAMETOOLONG;
		memcpy(sun->sun_path, addr, len);
		return (int)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	if (addr[0] == '@' && len > 1) {
		if (len > sizeof(sun->sun_path))
			return -ENAMETOOLONG;
		/* sun_path[0] stays 0: that selects the abstract namespace. */
		memcpy(sun->sun_path + 1, addr + 1, len - 1);
		return (int)(offsetof(struct sockaddr_un, sun_path) + len);
	}
	return -EINVAL;
}

int vg_notify_send(struct vg_log *log, const char *addr, const char *state)
{
	struct sockaddr_un sun;
	size_t len = strlen(state);
	ssize_t r;
	int fd, rc, alen;

	if (!addr)
		return 0;
	alen = notify_addr(&sun, addr);
	if (alen < 0) {
		rc = alen;
		goto out_log;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto out_log;
	}
	do {
		/* MSG_NOSIGNAL: a vanished manager must not kill us. */
		r = sendto(fd, state, len, MSG_NOSIGNAL,
			   (const struct sockaddr *)&sun, (socklen_t)alen);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		rc = -errno;
	else
		rc = (size_t)r == len ? 0 : -EMSGSIZE; /* datagrams are whole */
	close(fd);
	if (!rc)
		return 0;
out_log:
	vg_log_warnx(log, "service manager notification %s to %s: %s", state,
		     addr, strerror(-rc));
	return rc;
}

int vg_notify_ready(struct vg_log *log)
{
	return vg_notify_send(log, getenv(VG_NOTIFY_ENV), "READY=1");
}

int vg_notify_stopping(struct vg_log *log)
{
	return vg_notify_send(log, getenv(VG_NOTIFY_ENV), "STOPPING=1");
}
