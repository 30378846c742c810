/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A domain's entry in the daemon's `status` result (docs/vgpiod.8.md,
 * "The status result"), from the daemon's own view or from the worker
 * that serves the domain (docs/architecture.md, "Parent and workers").
 *
 * A worker may be compromised, so its status result is untrusted input:
 * vg_wstatus_write() takes from it only the documented members of its
 * one domain object and of its device windows, checks each one's type,
 * range and size, and writes them again with the JSON writer into the
 * parent's result; nothing of the worker's bytes is copied. A result that
 * fails any check is not used at all: the parent writes its own view of
 * the domain and a "worker_error" member saying what was wrong.
 *
 * Pure code over parsed JSON and the writer: no I/O, never logs.
 */
#ifndef VGPIO_WSTATUS_H
#define VGPIO_WSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vgpio/virtio_gpio.h>
#include "config.h"
#include "gpio.h"
#include "guest.h"
#include "json.h"

/*
 * Lines a worker may report: as many as it may hold as remote lines
 * (VG_REMOTE_LINES_MAX); its whole reply is bounded anyway
 * (VG_CTL_PEER_LINE_MAX). Not the parent's table size: a worker's device
 * keeps its old table, revoked lines included, until the guest's next
 * reset, while the parent's table has changed already.
 */
#define VG_WSTATUS_LINES_MAX 512u
/* Device windows one worker may report (it serves one guest at a time). */
#define VG_WSTATUS_DEVICES_MAX 4u
/* Bytes of a "worker_error" message, NUL included. */
#define VG_WSTATUS_WHY_MAX 160u

/* One line of a domain's table as status shows it. */
struct vg_status_line {
	char name[VG_GPIO_NAME_MAX + 1]; /* "" for an unnamed line */
	char chip[VG_CONFIG_NAME_MAX + 1];
	char line[VG_GPIO_NAME_MAX + 1];
	unsigned int allow; /* VG_ALLOW_* */
	unsigned int dir; /* VG_GPIO_DIRECTION_* */
	bool revoked;
	int value; /* 0, 1, or -1 when it cannot be read (null) */
};

/* One device window (guest.h); strings are static, never the worker's. */
struct vg_status_device {
	struct vg_guest_info info;
	bool attached;
	bool has_counters; /* else "counters" is null */
	struct vg_gpio_stats st;
};

/* A domain as one process sees it. */
struct vg_status_dom {
	bool connected;
	bool pending;
	struct vg_gpio_stats st;
	unsigned int nlines;
	struct vg_status_line *lines; /* nlines, malloc'd */
	unsigned int ndevices; /* a worker's view only */
	struct vg_status_device devices[VG_WSTATUS_DEVICES_MAX];
};

/* Free what @v holds (not @v) and empty it. NULL is fine. */
void vg_status_dom_dispose(struct vg_status_dom *v);

/* "counters": the COUNTERS object. */
void vg_status_write_counters(struct vg_jw *w, const struct vg_gpio_stats *st);
/*
 * A DOMAIN object from @v; "worker" when @pid > 0, "worker_error" when
 * @worker_error is not NULL.
 */
void vg_status_write_dom(struct vg_jw *w, const char *name,
			 const struct vg_status_dom *v, long pid,
			 const char *worker_error);
/* A DEVICE object: @dev of domain @domain (NULL: null). */
void vg_status_write_device(struct vg_jw *w, const char *domain,
			    const struct vg_status_device *dev);

/*
 * Add @done to @v's counters, the domain's and each attached window's
 * (saturating): the counters of the domain's earlier workers.
 */
void vg_status_dom_add(struct vg_status_dom *v,
		       const struct vg_gpio_stats *done);
/* @to += @st, each counter saturating at UINT64_MAX. */
void vg_status_stats_add(struct vg_gpio_stats *to,
			 const struct vg_gpio_stats *st);

/*
 * Check @result, the status result a worker serving domain @domain sent
 * (untrusted), into @out: its one domain object (named @domain) with at
 * most @max_lines lines, and its device windows (each of @domain). 0, or
 * -EPROTO and @why (@whylen bytes) says what is wrong, or -ENOMEM; on
 * error @out is empty. A caller that cannot use the result writes its
 * own view of the domain with @why as "worker_error".
 */
int vg_wstatus_check(const struct vg_json *result, const char *domain,
		     unsigned int max_lines, struct vg_status_dom *out,
		     char *why, size_t whylen);

#endif /* VGPIO_WSTATUS_H */
