/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The table message: how the parent tells a worker its domain's line
 * table, and hands it the request fds of its real lines, over the worker's
 * table socket (SOCK_SEQPACKET, fd 6 of a worker: worker.h). One packet:
 *
 *   header   u8 version (1), u8 zero, le16 nfds, le32 text length
 *   text     the table as one [domain] policy section (config.h syntax)
 *   map      for each fd, in order: chip NUL line NUL name NUL (chip
 *            and line as the policy names them, not empty; name the
 *            host's, empty for a line without one)
 *   fds      SCM_RIGHTS, nfds of them (at most VG_TABLE_FDS_MAX)
 *
 * The first table starts the worker; each later one is a policy change
 * (an empty text: the domain has no line left)
 * (applied as a reload: revocations at once, additions at the guest's
 * next device reset) and carries only the fds of lines not lent before.
 */
#ifndef VGPIO_TABLE_H
#define VGPIO_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include "dom.h"

#define VG_TABLE_VERSION 1
#define VG_TABLE_FDS_MAX 64u
#define VG_TABLE_MAX (64u * 1024) /* bytes of one packet */
#define VG_TABLE_NAME_MAX 64u /* bytes of a map name, NUL included */

/* One received fd and the line it drives. */
struct vg_table_fd {
	char chip[VG_TABLE_NAME_MAX], line[VG_TABLE_NAME_MAX];
	char name[VG_TABLE_NAME_MAX];
	int fd; /* the receiver's */
};

/*
 * Send @text and the @n fds of @fds (borrowed: not closed). Never
 * blocks. 0, -E2BIG (too many fds, too long), -EAGAIN or -errno.
 */
int vg_table_send(int sock, const char *text, size_t len,
		  const struct vg_dom_fd *fds, unsigned int n);

/*
 * Receive one table: the text (malloc'd, NUL-terminated) and its fds.
 * @wait: block for it (a worker's first table). 1 on a table, 0 if none
 * is waiting, -EPIPE on EOF, -EPROTO for a packet that breaks the format
 * (its fds closed), -errno.
 */
int vg_table_recv(int sock, bool wait, char **text, size_t *len,
		  struct vg_table_fd *fds, unsigned int *n);

#endif /* VGPIO_TABLE_H */
