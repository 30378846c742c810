// SPDX-License-Identifier: BSD-3-Clause
/*
 * "gpiod": host lines through libgpiod v2 (contract in prov-gpiod.h).
 *
 * Why one request per line: a guest's lines come from several chips, each
 * line is reconfigured on its own (libgpiod reconfigures all lines of a
 * request at once), and each may be revoked and released on its own.
 *
 * Settings follow the kernel's rules (gpiolib-cdev flag validation): drive
 * only with output, edge detection and debounce only with input, bias with
 * either. Every reconfiguration rebuilds the line's whole settings from
 * what the policy fixed (bias, drive, active-low, debounce) and what the
 * device asked for (direction, value, edges), so nothing is lost between
 * switches.
 */
#include <dirent.h>
#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "num.h"
#include "prov-gpiod.h"

#define GPIOD_EVBUF 32u /* events read per call */
#define GPIOD_KERNEL_EVBUF 64u /* per-line kernel event buffer */

struct vg_gpiod {
	struct vg_log *log;
	int epfd;
	struct gpiod_edge_event_buffer *evbuf;
	unsigned long lost;
};

struct vg_line {
	struct vg_gpiod *g;
	struct gpiod_line_request *req;
	unsigned int offset;
	struct vg_line_spec spec; /* chip and line strings not kept */
	char where[160]; /* "chip X line Y" for messages */
	char name[64];
	enum vg_dir dir;
	int value; /* last driven (output) */
	unsigned int edges;
	unsigned long seqno; /* last line seqno seen, 0 = none yet */
	bool lent; /* a worker drives it (line_lend) */
	bool unsure; /* the kernel's state may differ from dir/value/edges */
	vg_line_event_fn cb;
	void *cb_arg;
};

/* --- chips and lines -------------------------------------------------------- */

/*
 * Open the chip @name designates: a path, "gpiochipN", or a label that
 * exactly one chip under /dev carries.
 */
static struct gpiod_chip *chip_open(const char *name, char *path, size_t plen,
				    char *err, size_t errlen)
{
	char found[2][sizeof(((struct dirent *)0)->d_name)];
	unsigned int nfound = 0;
	uint64_t n;
	struct dirent *de;
	DIR *dir;

	if (name[0] == '/' || (!strncmp(name, "gpiochip", 8) &&
			       !vg_num(name + 8, 0, UINT32_MAX, &n))) {
		snprintf(path, plen, "%s%s", name[0] == '/' ? "" : "/dev/",
			 name);
		errno = 0;
		if (!gpiod_is_gpiochip_device(path)) {
			int e = errno == ENOENT ? ENOENT : EINVAL;

			snprintf(err, errlen, "chip %s: %s", name,
				 e == ENOENT ? "no such device"
					     : "not a GPIO chip device");
			errno = e;
			return NULL;
		}
		return gpiod_chip_open(path);
	}
	dir = opendir("/dev");
	if (!dir) {
		snprintf(err, errlen, "chip %s: cannot list /dev: %s", name,
			 strerror(errno));
		return NULL;
	}
	while ((de = readdir(dir))) {
		char p[300];
		struct gpiod_chip *c;
		struct gpiod_chip_info *info;
		bool match = false;

		if (strncmp(de->d_name, "gpiochip", 8))
			continue;
		snprintf(p, sizeof(p), "/dev/%s", de->d_name);
		c = gpiod_chip_open(p);
		if (!c)
			continue;
		info = gpiod_chip_get_info(c);
		if (info) {
			match = !strcmp(gpiod_chip_info_get_label(info), name);
			gpiod_chip_info_free(info);
		}
		gpiod_chip_close(c);
		if (match && nfound < 2)
			snprintf(found[nfound], sizeof(found[0]), "%s",
				 de->d_name);
		nfound += match;
	}
	closedir(dir);
	if (nfound == 0) {
		snprintf(err, errlen, "chip %s: no GPIO chip has this label",
			 name);
		errno = ENOENT;
		return NULL;
	}
	if (nfound > 1) {
		snprintf(err, errlen,
			 "chip %s: label carried by %u chips (%s, %s, ...): "
			 "name the chip by its device path",
			 name, nfound, found[0], found[1]);
		errno = EINVAL;
		return NULL;
	}
	snprintf(path, plen, "/dev/%s", found[0]);
	return gpiod_chip_open(path);
}

/* Resolve @line on @chip to an offset. */
static int line_offset(struct gpiod_chip *chip, struct gpiod_chip_info *info,
		       const char *cname, const char *line, unsigned int *off,
		       char *err, size_t errlen)
{
	size_t n = gpiod_chip_info_get_num_lines(info);
	int r;

	/* One precedence for line references: see base/num.h. */
	if (vg_lineref_offset(line, off)) {
		if (*off < n)
			return 0;
		snprintf(err, errlen,
			 "chip %s line %s: no such offset (%zu lines)", cname,
			 line, n);
		return -ENOENT;
	}
	r = gpiod_chip_get_line_offset_from_name(chip, line);
	if (r < 0) {
		snprintf(err, errlen, "chip %s line %s: no line of that name",
			 cname, line);
		return -ENOENT;
	}
	*off = (unsigned int)r;
	return 0;
}

int vg_gpiod_probe(const char *chip, const char *line, struct vg_gpiod_probe *p,
		   char *err, size_t errlen)
{
	struct gpiod_chip *c;
	struct gpiod_chip_info *ci = NULL;
	struct gpiod_line_info *li = NULL;
	int rc;

	memset(p, 0, sizeof(*p));
	if (errlen)
		err[0] = '\0';
	errno = 0;
	c = chip_open(chip, p->path, sizeof(p->path), err, errlen);
	if (!c) {
		rc = errno ? -errno : -ENOENT;
		if (errlen && !err[0])
			snprintf(err, errlen, "chip %s: %s", chip,
				 strerror(-rc));
		return rc;
	}
	ci = gpiod_chip_get_info(c);
	if (!ci) {
		rc = -errno;
		snprintf(err, errlen, "chip %s: %s", chip, strerror(errno));
		goto out;
	}
	snprintf(p->label, sizeof(p->label), "%s",
		 gpiod_chip_info_get_label(ci));
	rc = line_offset(c, ci, chip, line, &p->offset, err, errlen);
	if (rc)
		goto out;
	li = gpiod_chip_get_line_info(c, p->offset);
	if (!li) {
		rc = -errno;
		snprintf(err, errlen, "chip %s line %s: %s", chip, line,
			 strerror(errno));
		goto out;
	}
	snprintf(p->name, sizeof(p->name), "%s",
		 gpiod_line_info_get_name(li) ? gpiod_line_info_get_name(li)
					      : "");
	p->used = gpiod_line_info_is_used(li);
	snprintf(p->consumer, sizeof(p->consumer), "%s",
		 gpiod_line_info_get_consumer(li)
			 ? gpiod_line_info_get_consumer(li)
			 : "");
	rc = 0;
out:
	gpiod_line_info_free(li);
	gpiod_chip_info_free(ci);
	gpiod_chip_close(c);
	return rc;
}

/* --- settings ----------------------------------------------------------------- */

static enum gpiod_line_bias bias_of(enum vg_bias b)
{
	switch (b) {
	case VG_BIAS_DISABLED:
		return GPIOD_LINE_BIAS_DISABLED;
	case VG_BIAS_PULL_UP:
		return GPIOD_LINE_BIAS_PULL_UP;
	case VG_BIAS_PULL_DOWN:
		return GPIOD_LINE_BIAS_PULL_DOWN;
	default:
		return GPIOD_LINE_BIAS_AS_IS;
	}
}

static enum gpiod_line_drive drive_of(enum vg_drive d)
{
	switch (d) {
	case VG_DRIVE_OPEN_DRAIN:
		return GPIOD_LINE_DRIVE_OPEN_DRAIN;
	case VG_DRIVE_OPEN_SOURCE:
		return GPIOD_LINE_DRIVE_OPEN_SOURCE;
	default:
		return GPIOD_LINE_DRIVE_PUSH_PULL;
	}
}

static enum gpiod_line_edge edge_of(unsigned int edges)
{
	switch (edges & VG_EDGE_BOTH) {
	case VG_EDGE_RISING:
		return GPIOD_LINE_EDGE_RISING;
	case VG_EDGE_FALLING:
		return GPIOD_LINE_EDGE_FALLING;
	case VG_EDGE_BOTH:
		return GPIOD_LINE_EDGE_BOTH;
	default:
		return GPIOD_LINE_EDGE_NONE;
	}
}

/* A line config for @l in direction @dir, output @value, edges @edges. */
static struct gpiod_line_config *line_config(const struct vg_line *l,
					     enum vg_dir dir, int value,
					     unsigned int edges)
{
	struct gpiod_line_settings *s = gpiod_line_settings_new();
	struct gpiod_line_config *lc = NULL;
	unsigned int off = l->offset;
	int r = -1;

	if (!s)
		return NULL;
	gpiod_line_settings_set_active_low(s, l->spec.active_low);
	if (gpiod_line_settings_set_bias(s, bias_of(l->spec.bias)))
		goto out;
	if (dir == VG_DIR_OUT) {
		if (gpiod_line_settings_set_direction(
			    s, GPIOD_LINE_DIRECTION_OUTPUT) ||
		    gpiod_line_settings_set_drive(s, drive_of(l->spec.drive)) ||
		    gpiod_line_settings_set_output_value(
			    s, value ? GPIOD_LINE_VALUE_ACTIVE
				     : GPIOD_LINE_VALUE_INACTIVE))
			goto out;
	} else {
		if (gpiod_line_settings_set_direction(
			    s, GPIOD_LINE_DIRECTION_INPUT) ||
		    gpiod_line_settings_set_edge_detection(s, edge_of(edges)))
			goto out;
		gpiod_line_settings_set_debounce_period_us(s,
							   l->spec.debounce_us);
	}
	lc = gpiod_line_config_new();
	if (lc)
		r = gpiod_line_config_add_line_settings(lc, &off, 1, s);
out:
	gpiod_line_settings_free(s);
	if (r) {
		gpiod_line_config_free(lc);
		if (!errno)
			errno = EINVAL;
		return NULL;
	}
	return lc;
}

/* Apply a new state in place; @l's state changes only on success. */
static int line_apply(struct vg_line *l, enum vg_dir dir, int value,
		      unsigned int edges)
{
	struct gpiod_line_config *lc = line_config(l, dir, value, edges);
	int rc = 0;

	if (!lc)
		return -errno;
	if (gpiod_line_request_reconfigure_lines(l->req, lc))
		rc = -errno;
	gpiod_line_config_free(lc);
	if (rc) {
		vg_log_warn(l->g->log, "%s: reconfigure", l->where);
		return rc;
	}
	l->dir = dir;
	l->value = dir == VG_DIR_OUT ? value : 0;
	l->edges = dir == VG_DIR_IN ? edges : VG_EDGE_NONE;
	l->unsure = false;
	return 0;
}

/* --- events --------------------------------------------------------------------- */

/* Read and discard whatever events are queued for @l. */
static void line_drain(struct vg_line *l)
{
	while (gpiod_line_request_wait_edge_events(l->req, 0) > 0)
		if (gpiod_line_request_read_edge_events(l->req, l->g->evbuf,
							GPIOD_EVBUF) <= 0)
			break;
	l->seqno = 0;
}

static void line_read_events(struct vg_gpiod *g, struct vg_line *l)
{
	unsigned long seq, lost;
	int n, i;

	while (gpiod_line_request_wait_edge_events(l->req, 0) > 0) {
		n = gpiod_line_request_read_edge_events(l->req, g->evbuf,
							GPIOD_EVBUF);
		if (n <= 0) {
			vg_log_warn(g->log, "%s: reading edge events",
				    l->where);
			return;
		}
		for (i = 0; i < n; i++) {
			struct gpiod_edge_event *ev =
				gpiod_edge_event_buffer_get_event(
					g->evbuf, (unsigned long)i);
			unsigned int edge =
				gpiod_edge_event_get_event_type(ev) ==
						GPIOD_EDGE_EVENT_RISING_EDGE
					? VG_EDGE_RISING
					: VG_EDGE_FALLING;

			seq = gpiod_edge_event_get_line_seqno(ev);
			/*
			 * The kernel numbers each line's events from 1; a
			 * gap means its buffer overflowed and dropped some.
			 * The device samples levels itself, so a level
			 * interrupt recovers; an edge interrupt still gets
			 * this (later) edge.
			 */
			if (l->seqno && seq > l->seqno + 1) {
				lost = seq - l->seqno - 1;
				g->lost += lost;
				vg_log_warnx(g->log,
					     "%s: %lu edge events lost (kernel "
					     "buffer overflow)",
					     l->where, lost);
			}
			l->seqno = seq;
			if (l->edges & edge)
				l->cb(l->cb_arg, edge);
		}
	}
}

/* --- ops -------------------------------------------------------------------------- */

static int gpiod_line_open(void *prov, const struct vg_line_spec *spec,
			   const char *consumer, vg_line_event_fn cb, void *arg,
			   struct vg_line **out)
{
	struct vg_gpiod *g = prov;
	struct gpiod_request_config *rc_cfg = NULL;
	struct gpiod_line_config *lc = NULL;
	struct gpiod_chip *chip = NULL;
	struct vg_gpiod_probe pr;
	struct epoll_event ev;
	struct vg_line *l;
	char err[256] = "";
	int rc;

	*out = NULL;
	rc = vg_gpiod_probe(spec->chip, spec->line, &pr, err, sizeof(err));
	if (rc) {
		vg_log_warnx(g->log, "%s", err);
		return rc;
	}
	if (pr.used) {
		vg_log_warnx(g->log, "chip %s line %s: in use by '%s'",
			     spec->chip, spec->line, pr.consumer);
		return -EBUSY;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->g = g;
	l->offset = pr.offset;
	l->spec = *spec;
	l->spec.chip = l->spec.line = NULL;
	l->cb = cb;
	l->cb_arg = arg;
	snprintf(l->where, sizeof(l->where), "chip %s line %s", spec->chip,
		 spec->line);
	snprintf(l->name, sizeof(l->name), "%s", pr.name);

	chip = gpiod_chip_open(pr.path);
	rc_cfg = gpiod_request_config_new();
	lc = line_config(l, spec->initial_dir, spec->initial_value,
			 VG_EDGE_NONE);
	if (!chip || !rc_cfg || !lc) {
		rc = errno ? -errno : -ENOMEM;
		vg_log_warn(g->log, "%s: preparing the request", l->where);
		goto err;
	}
	gpiod_request_config_set_consumer(rc_cfg, consumer);
	gpiod_request_config_set_event_buffer_size(rc_cfg, GPIOD_KERNEL_EVBUF);
	l->req = gpiod_chip_request_lines(chip, rc_cfg, lc);
	if (!l->req) {
		rc = -errno;
		if (rc == -EBUSY)
			vg_log_warnx(g->log, "%s: in use by another consumer",
				     l->where);
		else
			vg_log_warn(g->log, "%s: request", l->where);
		goto err;
	}
	l->dir = spec->initial_dir;
	l->value = spec->initial_dir == VG_DIR_OUT ? spec->initial_value : 0;
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = l};
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, gpiod_line_request_get_fd(l->req),
		      &ev)) {
		rc = -errno;
		vg_log_warn(g->log, "%s: epoll", l->where);
		goto err;
	}
	gpiod_line_config_free(lc);
	gpiod_request_config_free(rc_cfg);
	gpiod_chip_close(chip);
	*out = l;
	return 0;
err:
	if (l->req)
		gpiod_line_request_release(l->req);
	gpiod_line_config_free(lc);
	gpiod_request_config_free(rc_cfg);
	if (chip)
		gpiod_chip_close(chip);
	free(l);
	return rc ? rc : -EIO;
}

static void gpiod_line_close(void *prov, struct vg_line *l)
{
	struct vg_gpiod *g = prov;

	if (!l)
		return;
	if (!l->lent)
		epoll_ctl(g->epfd, EPOLL_CTL_DEL,
			  gpiod_line_request_get_fd(l->req), NULL);
	gpiod_line_request_release(l->req);
	free(l);
}

static const char *gpiod_line_name(void *prov, struct vg_line *l)
{
	(void)prov;
	return l->name;
}

static int gpiod_set_direction(void *prov, struct vg_line *l, enum vg_dir dir,
			       int value)
{
	(void)prov;
	if (dir != VG_DIR_IN && dir != VG_DIR_OUT)
		return -EINVAL;
	if (l->lent)
		return -EBUSY;
	/* An output has no edge detection; an input keeps what it had. */
	return line_apply(l, dir, dir == VG_DIR_OUT ? !!value : 0,
			  dir == VG_DIR_IN ? l->edges : VG_EDGE_NONE);
}

static int gpiod_get_value(void *prov, struct vg_line *l, int *value)
{
	enum gpiod_line_value v;

	(void)prov;
	v = gpiod_line_request_get_value(l->req, l->offset);
	if (v == GPIOD_LINE_VALUE_ERROR) {
		vg_log_warn(l->g->log, "%s: get value", l->where);
		return -errno;
	}
	*value = v == GPIOD_LINE_VALUE_ACTIVE;
	return 0;
}

static int gpiod_set_value(void *prov, struct vg_line *l, int value)
{
	(void)prov;
	if (l->lent)
		return -EBUSY;
	if (l->dir != VG_DIR_OUT)
		return -EPERM;
	if (gpiod_line_request_set_value(l->req, l->offset,
					 value ? GPIOD_LINE_VALUE_ACTIVE
					       : GPIOD_LINE_VALUE_INACTIVE)) {
		vg_log_warn(l->g->log, "%s: set value", l->where);
		return -errno;
	}
	l->value = !!value;
	return 0;
}

static int gpiod_set_edge(void *prov, struct vg_line *l, unsigned int edges)
{
	int rc;

	(void)prov;
	if (l->lent)
		return -EBUSY;
	edges &= VG_EDGE_BOTH;
	if (edges && l->dir != VG_DIR_IN)
		return -EPERM;
	if (edges == l->edges && !l->unsure)
		return 0;
	if (l->dir != VG_DIR_IN) {
		l->edges = edges;
		return 0;
	}
	rc = line_apply(l, VG_DIR_IN, 0, edges);
	/* Events of the old setting must not reach the device (contract). */
	if (!rc)
		line_drain(l);
	return rc;
}

static int gpiod_fd(void *prov)
{
	return ((struct vg_gpiod *)prov)->epfd;
}

static void gpiod_dispatch(void *prov)
{
	struct vg_gpiod *g = prov;
	struct epoll_event evs[16];
	int n, i;

	n = epoll_wait(g->epfd, evs, (int)VG_ARRAY_SIZE(evs), 0);
	for (i = 0; i < n; i++)
		line_read_events(g, evs[i].data.ptr);
}

/*
 * Lending. While a worker has the line, it may reconfigure, drive and read
 * it through its copy of the fd behind this provider's back; libgpiod
 * keeps no copy of a request's settings or values (its request holds only
 * the offsets and the fd), so l->dir/value/edges are the only record that
 * can be stale, and reclaim rewrites the kernel's state from them.
 */
static int gpiod_line_lend(void *prov, struct vg_line *l)
{
	struct vg_gpiod *g = prov;
	int fd = gpiod_line_request_get_fd(l->req);

	if (l->lent)
		return -EBUSY;
	if (epoll_ctl(g->epfd, EPOLL_CTL_DEL, fd, NULL)) {
		int e = errno;

		vg_log_warn(g->log, "%s: epoll", l->where);
		return -e;
	}
	l->lent = true;
	return fd;
}

static int gpiod_line_reclaim(void *prov, struct vg_line *l)
{
	struct vg_gpiod *g = prov;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
	int rc;

	if (!l->lent)
		return 0;
	l->lent = false;
	l->unsure = true;
	/*
	 * Configuration first, then the drain: edges the worker's settings
	 * detected until the switch are stale, later ones are ours.
	 */
	rc = line_apply(l, l->dir, l->value, l->edges);
	line_drain(l);
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, gpiod_line_request_get_fd(l->req),
		      &ev)) {
		int e = errno;

		vg_log_warn(g->log, "%s: epoll", l->where);
		if (!rc)
			rc = -e;
	}
	return rc;
}

/* Any chip: a label or path that names no host chip fails at line_open(). */
static bool gpiod_claims(void *prov, const char *chip)
{
	(void)prov;
	(void)chip;
	return true;
}

const struct vg_provider_ops vg_gpiod_provider_ops = {
	.name = "gpiod",
	.claims = gpiod_claims,
	.line_open = gpiod_line_open,
	.line_close = gpiod_line_close,
	.line_name = gpiod_line_name,
	.set_direction = gpiod_set_direction,
	.get_value = gpiod_get_value,
	.set_value = gpiod_set_value,
	.set_edge = gpiod_set_edge,
	.fd = gpiod_fd,
	.dispatch = gpiod_dispatch,
	.line_lend = gpiod_line_lend,
	.line_reclaim = gpiod_line_reclaim,
};

/* --- life ------------------------------------------------------------------------- */

int vg_gpiod_new(struct vg_log *log, struct vg_gpiod **out)
{
	struct vg_gpiod *g = calloc(1, sizeof(*g));
	int rc;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	g->log = log;
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	g->evbuf = gpiod_edge_event_buffer_new(GPIOD_EVBUF);
	if (g->epfd < 0 || !g->evbuf) {
		rc = errno ? -errno : -ENOMEM;
		vg_gpiod_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

void vg_gpiod_free(struct vg_gpiod *g)
{
	if (!g)
		return;
	if (g->epfd >= 0)
		close(g->epfd);
	gpiod_edge_event_buffer_free(g->evbuf);
	free(g);
}

struct vg_provider vg_gpiod_provider(struct vg_gpiod *g)
{
	return (struct vg_provider){&vg_gpiod_provider_ops, g};
}

unsigned long vg_gpiod_lost_events(const struct vg_gpiod *g)
{
	return g->lost;
}
