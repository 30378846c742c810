// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests: the "linefd" provider (backend/providers/linefd.c) without a
 * GPIO chip. Each line's fd is the read end of a pipe; ioctl() is wrapped
 * (-Wl,--wrap=ioctl) so the GPIO v2 line ioctls on those fds land in a
 * fake line that records the configuration and values it was sent, and
 * edge events are gpio_v2_line_event records written into the pipe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "linefd.h"

/* --- the fake kernel line behind an fd -------------------------------------- */

struct fake {
	int fd; /* the end the provider holds; -1: slot free */
	int wr; /* the end events are written to */
	struct gpio_v2_line_config cfg; /* last SET_CONFIG */
	unsigned int nconfig;
	unsigned int nset; /* SET_VALUES calls */
	unsigned int level; /* what GET_VALUES reads, SET_VALUES drives */
	int fail; /* errno for the next ioctls, 0 = none */
};

static struct fake fakes[8];

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct gpio_v2_line_values *v;
	struct fake *f = NULL;
	unsigned int i;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	for (i = 0; i < VG_ARRAY_SIZE(fakes); i++)
		if (fakes[i].fd >= 0 && fakes[i].fd == fd)
			f = &fakes[i];
	if (!f)
		return __real_ioctl(fd, req, arg);
	if (f->fail) {
		errno = f->fail;
		return -1;
	}
	switch (req) {
	case GPIO_V2_LINE_SET_CONFIG_IOCTL:
		f->cfg = *(struct gpio_v2_line_config *)arg;
		f->nconfig++;
		return 0;
	case GPIO_V2_LINE_GET_VALUES_IOCTL:
		v = arg;
		v->bits = f->level & v->mask;
		return 0;
	case GPIO_V2_LINE_SET_VALUES_IOCTL:
		v = arg;
		f->level = (unsigned int)((f->level & ~v->mask) |
					  (v->bits & v->mask));
		f->nset++;
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

/* --- fixture ------------------------------------------------------------------ */

struct rec {
	unsigned int n;
	unsigned int edges[8];
	/* Set: the callback closes this line (re-entrancy). */
	struct vg_linefd *close_p;
	struct vg_line *close_l;
};

struct t {
	struct vg_linefd *p;
	struct vg_provider prov;
	const struct vg_provider_ops *ops;
	struct vg_log log;
	struct vg_log_sink sink;
	int logpipe[2];
};

static int setup(void **state)
{
	struct t *t = test_calloc(1, sizeof(*t));
	unsigned int i;

	assert_non_null(t);
	for (i = 0; i < VG_ARRAY_SIZE(fakes); i++)
		fakes[i] = (struct fake){.fd = -1, .wr = -1};
	assert_int_equal(pipe2(t->logpipe, O_NONBLOCK | O_CLOEXEC), 0);
	t->sink.level = VG_LOG_DEBUG;
	t->sink.fd = t->logpipe[1];
	vg_log_init(&t->log, &t->sink, "test");
	assert_int_equal(vg_linefd_new(&t->log, &t->p), 0);
	t->prov = vg_linefd_provider(t->p);
	t->ops = t->prov.ops;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	unsigned int i;

	vg_linefd_free(t->p);
	for (i = 0; i < VG_ARRAY_SIZE(fakes); i++)
		if (fakes[i].wr >= 0)
			close(fakes[i].wr);
	close(t->logpipe[0]);
	close(t->logpipe[1]);
	test_free(t);
	return 0;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* A fake line; its fd, not yet given to the provider. */
static struct fake *fake_new(void)
{
	unsigned int i;
	int pfd[2];

	for (i = 0; i < VG_ARRAY_SIZE(fakes); i++)
		if (fakes[i].fd < 0 && fakes[i].wr < 0)
			break;
	assert_true(i < VG_ARRAY_SIZE(fakes));
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	fakes[i] = (struct fake){.fd = pfd[0], .wr = pfd[1]};
	return &fakes[i];
}

/* A fake line given to the provider as @chip @line named @name. */
static struct fake *give(struct t *t, const char *chip, const char *line,
			 const char *name)
{
	struct fake *f = fake_new();

	assert_int_equal(vg_linefd_add(t->p, chip, line, f->fd, name), 0);
	return f;
}

static void rec_cb(void *arg, unsigned int edge)
{
	struct rec *r = arg;

	if (r->n < VG_ARRAY_SIZE(r->edges))
		r->edges[r->n] = edge;
	r->n++;
	if (r->close_l) {
		vg_linefd_provider_ops.line_close(r->close_p, r->close_l);
		r->close_l = NULL;
	}
}

static int try_open(struct t *t, const struct vg_line_spec *spec, struct rec *r,
		    struct vg_line **l)
{
	return t->ops->line_open(t->prov.ctx, spec, "vgpio:test", rec_cb, r, l);
}

static struct vg_line *open_line(struct t *t, const char *chip,
				 const char *line, enum vg_dir dir, int value,
				 struct rec *r)
{
	struct vg_line_spec spec = {.chip = chip,
				    .line = line,
				    .bias = VG_BIAS_PULL_UP,
				    .active_low = true,
				    .debounce_us = 500,
				    .initial_dir = dir,
				    .initial_value = value};
	struct vg_line *l = NULL;

	assert_int_equal(try_open(t, &spec, r, &l), 0);
	assert_non_null(l);
	return l;
}

static void event(struct fake *f, uint32_t id, uint32_t seqno)
{
	struct gpio_v2_line_event ev = {.id = id, .line_seqno = seqno};

	assert_int_equal(write(f->wr, &ev, sizeof(ev)), (ssize_t)sizeof(ev));
}

static bool prov_readable(struct t *t)
{
	struct pollfd pfd = {.fd = t->ops->fd(t->prov.ctx), .events = POLLIN};

	assert_true(pfd.fd >= 0);
	assert_true(poll(&pfd, 1, 0) >= 0);
	return pfd.revents & POLLIN;
}

static void read_log(struct t *t, char *buf, size_t len)
{
	ssize_t r = read(t->logpipe[0], buf, len - 1);

	buf[r > 0 ? r : 0] = '\0';
}

/* The attribute of @id in @cfg for line 0, or NULL. */
static const struct gpio_v2_line_attribute *
attr(const struct gpio_v2_line_config *cfg, uint32_t id)
{
	uint32_t i;

	assert_true(cfg->num_attrs <= GPIO_V2_LINE_NUM_ATTRS_MAX);
	for (i = 0; i < cfg->num_attrs; i++)
		if (cfg->attrs[i].attr.id == id) {
			assert_int_equal(cfg->attrs[i].mask, 1);
			return &cfg->attrs[i].attr;
		}
	return NULL;
}

/* --- the conversion ------------------------------------------------------------- */

static void linefd_config_maps_every_setting(void **state)
{
	static const struct {
		enum vg_bias bias;
		uint64_t flag;
	} biases[] = {
		{VG_BIAS_AS_IS, 0},
		{VG_BIAS_DISABLED, GPIO_V2_LINE_FLAG_BIAS_DISABLED},
		{VG_BIAS_PULL_UP, GPIO_V2_LINE_FLAG_BIAS_PULL_UP},
		{VG_BIAS_PULL_DOWN, GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN},
	};
	static const struct {
		enum vg_drive drive;
		uint64_t flag;
	} drives[] = {
		{VG_DRIVE_PUSH_PULL, 0},
		{VG_DRIVE_OPEN_DRAIN, GPIO_V2_LINE_FLAG_OPEN_DRAIN},
		{VG_DRIVE_OPEN_SOURCE, GPIO_V2_LINE_FLAG_OPEN_SOURCE},
	};
	static const uint64_t edges[] = {
		[VG_EDGE_NONE] = 0,
		[VG_EDGE_RISING] = GPIO_V2_LINE_FLAG_EDGE_RISING,
		[VG_EDGE_FALLING] = GPIO_V2_LINE_FLAG_EDGE_FALLING,
		[VG_EDGE_BOTH] = GPIO_V2_LINE_FLAG_EDGE_RISING |
				 GPIO_V2_LINE_FLAG_EDGE_FALLING,
	};
	struct vg_line_spec spec = {.debounce_us = 0};
	struct gpio_v2_line_config cfg;
	const struct gpio_v2_line_attribute *a;
	unsigned int b, d, e, low;

	(void)state;
	for (b = 0; b < VG_ARRAY_SIZE(biases); b++)
		for (d = 0; d < VG_ARRAY_SIZE(drives); d++)
			for (low = 0; low < 2; low++) {
				uint64_t common =
					biases[b].flag |
					(low ? GPIO_V2_LINE_FLAG_ACTIVE_LOW
					     : 0);

				spec.bias = biases[b].bias;
				spec.drive = drives[d].drive;
				spec.active_low = low;
				/* Output: drive and value, no debounce. */
				spec.debounce_us = 250;
				assert_int_equal(vg_linefd_config(&spec,
								  VG_DIR_OUT, 7,
								  0, &cfg),
						 0);
				assert_int_equal(cfg.flags,
						 GPIO_V2_LINE_FLAG_OUTPUT |
							 common |
							 drives[d].flag);
				assert_int_equal(cfg.num_attrs, 1);
				a = attr(&cfg,
					 GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES);
				assert_non_null(a);
				assert_int_equal(a->values, 1);
				assert_int_equal(vg_linefd_config(&spec,
								  VG_DIR_OUT, 0,
								  0, &cfg),
						 0);
				assert_int_equal(
					attr(&cfg,
					     GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES)
						->values,
					0);
				/* Input: edges and debounce, never drive. */
				for (e = 0; e < VG_ARRAY_SIZE(edges); e++) {
					assert_int_equal(
						vg_linefd_config(&spec,
								 VG_DIR_IN, 1,
								 e, &cfg),
						0);
					assert_int_equal(
						cfg.flags,
						GPIO_V2_LINE_FLAG_INPUT |
							common | edges[e]);
					assert_int_equal(cfg.num_attrs, 1);
					a = attr(&cfg,
						 GPIO_V2_LINE_ATTR_ID_DEBOUNCE);
					assert_non_null(a);
					assert_int_equal(a->debounce_period_us,
							 250);
				}
				/* No debounce: no attribute at all. */
				spec.debounce_us = 0;
				assert_int_equal(vg_linefd_config(&spec,
								  VG_DIR_IN, 0,
								  0, &cfg),
						 0);
				assert_int_equal(cfg.num_attrs, 0);
			}
}

static void linefd_config_refuses_out_of_range(void **state)
{
	struct vg_line_spec spec = {.bias = VG_BIAS_AS_IS};
	struct gpio_v2_line_config cfg;

	(void)state;
	assert_int_equal(vg_linefd_config(&spec, (enum vg_dir)0, 0, 0, &cfg),
			 -EINVAL);
	assert_int_equal(vg_linefd_config(&spec, (enum vg_dir)3, 0, 0, &cfg),
			 -EINVAL);
	/* Edge detection on an output. */
	assert_int_equal(
		vg_linefd_config(&spec, VG_DIR_OUT, 0, VG_EDGE_RISING, &cfg),
		-EINVAL);
	assert_int_equal(vg_linefd_config(&spec, VG_DIR_IN, 0, 4, &cfg),
			 -EINVAL);
	spec.bias = (enum vg_bias)(VG_BIAS_PULL_DOWN + 1);
	assert_int_equal(vg_linefd_config(&spec, VG_DIR_IN, 0, 0, &cfg),
			 -EINVAL);
	spec.bias = VG_BIAS_AS_IS;
	spec.drive = (enum vg_drive)(VG_DRIVE_OPEN_SOURCE + 1);
	assert_int_equal(vg_linefd_config(&spec, VG_DIR_IN, 0, 0, &cfg),
			 -EINVAL);
	spec.drive = (enum vg_drive) - 1;
	assert_int_equal(vg_linefd_config(&spec, VG_DIR_OUT, 0, 0, &cfg),
			 -EINVAL);
}

/* --- lookup, refusals, fd ownership --------------------------------------------- */

static int stub_lend(void *prov, struct vg_line *l)
{
	(void)prov;
	(void)l;
	return -ENOSYS;
}

static void linefd_ops_valid(void **state)
{
	struct vg_provider_ops ops = vg_linefd_provider_ops;

	(void)state;
	assert_true(vg_provider_ops_valid(&vg_linefd_provider_ops));
	/* It lends nothing: the optional pair is absent. */
	assert_null(vg_linefd_provider_ops.line_lend);
	assert_null(vg_linefd_provider_ops.line_reclaim);
	/* The optional ops come in pairs. */
	ops.line_lend = stub_lend;
	assert_false(vg_provider_ops_valid(&ops));
	ops.line_reclaim = stub_lend;
	assert_true(vg_provider_ops_valid(&ops));
	ops.line_lend = NULL;
	assert_false(vg_provider_ops_valid(&ops));
}

static void linefd_add_takes_the_fd_on_failure(void **state)
{
	struct t *t = *state;
	char longname[VG_LINEFD_NAME_MAX + 1];
	struct fake *f;
	char log[512];

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	f = fake_new();
	assert_int_equal(vg_linefd_add(t->p, "", "0", f->fd, NULL), -EINVAL);
	assert_false(fd_open(f->fd));
	f->fd = -1;
	f = fake_new();
	assert_int_equal(vg_linefd_add(t->p, "chip", longname, f->fd, NULL),
			 -EINVAL);
	assert_false(fd_open(f->fd));
	f->fd = -1;
	f = fake_new();
	assert_int_equal(vg_linefd_add(t->p, NULL, "0", f->fd, NULL), -EINVAL);
	assert_false(fd_open(f->fd));
	f->fd = -1;
	assert_int_equal(vg_linefd_add(t->p, "chip", "0", -1, NULL), -EINVAL);

	/* Given once; a second fd for the same line is refused and closed. */
	give(t, "chip", "0", "led");
	f = fake_new();
	assert_int_equal(vg_linefd_add(t->p, "chip", "0", f->fd, NULL),
			 -EEXIST);
	assert_false(fd_open(f->fd));
	f->fd = -1;
	assert_int_equal(vg_linefd_lines(t->p), 1);
	read_log(t, log, sizeof(log));
	assert_non_null(strstr(log, "chip chip line 0: given twice"));
}

static void linefd_free_closes_every_fd(void **state)
{
	struct t *t = *state;
	struct fake *a = give(t, "chip", "0", NULL);
	struct fake *b = give(t, "chip", "1", NULL);
	struct rec r = {0};

	open_line(t, "chip", "1", VG_DIR_IN, 0, &r);
	assert_true(fd_open(a->fd) && fd_open(b->fd));
	vg_linefd_free(t->p);
	t->p = NULL;
	/* Open or only given: both closed. */
	assert_false(fd_open(a->fd));
	assert_false(fd_open(b->fd));
	a->fd = b->fd = -1;
}

static void linefd_claims_only_chips_given(void **state)
{
	struct t *t = *state;

	assert_false(t->ops->claims(t->prov.ctx, "board"));
	give(t, "board", "led", NULL);
	assert_true(t->ops->claims(t->prov.ctx, "board"));
	assert_false(t->ops->claims(t->prov.ctx, "boar"));
	assert_false(t->ops->claims(t->prov.ctx, "other"));
}

static void linefd_open_refuses_lines_not_given(void **state)
{
	struct t *t = *state;
	struct fake *f = give(t, "board", "led", "host-led");
	struct vg_line_spec spec = {
		.chip = "board", .line = "3", .initial_dir = VG_DIR_IN};
	struct vg_line *l = (struct vg_line *)&spec;
	char log[512];

	/* Another line of the same chip, the same line of another chip. */
	assert_int_equal(try_open(t, &spec, NULL, &l), -ENOENT);
	assert_null(l);
	spec.chip = "other";
	spec.line = "led";
	assert_int_equal(try_open(t, &spec, NULL, &l), -ENOENT);
	assert_int_equal(f->nconfig, 0);
	read_log(t, log, sizeof(log));
	assert_non_null(
		strstr(log, "chip other line led: not given to this process"));

	/* Invalid settings: nothing sent, the line stays available. */
	spec.chip = "board";
	spec.initial_dir = (enum vg_dir)0;
	assert_int_equal(try_open(t, &spec, NULL, &l), -EINVAL);
	assert_int_equal(f->nconfig, 0);
	spec.initial_dir = VG_DIR_IN;
	assert_int_equal(try_open(t, &spec, NULL, &l), 0);
	assert_string_equal(t->ops->line_name(t->prov.ctx, l), "host-led");
	/* Once. */
	assert_int_equal(try_open(t, &spec, NULL, &l), -EBUSY);
}

static void linefd_close_forgets_the_line(void **state)
{
	struct t *t = *state;
	struct fake *f = give(t, "board", "led", NULL);
	struct vg_line_spec spec = {
		.chip = "board", .line = "led", .initial_dir = VG_DIR_IN};
	struct vg_line *l = NULL;
	int fd = f->fd;

	l = open_line(t, "board", "led", VG_DIR_IN, 0, NULL);
	t->ops->line_close(t->prov.ctx, l);
	assert_false(fd_open(fd));
	f->fd = -1;
	assert_int_equal(vg_linefd_lines(t->p), 0);
	assert_false(t->ops->claims(t->prov.ctx, "board"));
	/* It never opens anything: gone is gone, until given again. */
	assert_int_equal(try_open(t, &spec, NULL, &l), -ENOENT);
	give(t, "board", "led", NULL);
	assert_int_equal(try_open(t, &spec, NULL, &l), 0);
}

/* --- the ioctls ------------------------------------------------------------------ */

static void linefd_open_applies_the_whole_spec(void **state)
{
	struct t *t = *state;
	struct fake *out = give(t, "board", "led", NULL);
	struct fake *in = give(t, "board", "btn", NULL);
	const struct gpio_v2_line_attribute *a;

	open_line(t, "board", "led", VG_DIR_OUT, 1, NULL);
	assert_int_equal(out->nconfig, 1);
	assert_int_equal(out->cfg.flags,
			 GPIO_V2_LINE_FLAG_OUTPUT |
				 GPIO_V2_LINE_FLAG_ACTIVE_LOW |
				 GPIO_V2_LINE_FLAG_BIAS_PULL_UP);
	a = attr(&out->cfg, GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES);
	assert_non_null(a);
	assert_int_equal(a->values, 1);

	open_line(t, "board", "btn", VG_DIR_IN, 1, NULL);
	assert_int_equal(in->nconfig, 1);
	assert_int_equal(in->cfg.flags, GPIO_V2_LINE_FLAG_INPUT |
						GPIO_V2_LINE_FLAG_ACTIVE_LOW |
						GPIO_V2_LINE_FLAG_BIAS_PULL_UP);
	a = attr(&in->cfg, GPIO_V2_LINE_ATTR_ID_DEBOUNCE);
	assert_non_null(a);
	assert_int_equal(a->debounce_period_us, 500);
}

static void linefd_every_change_sends_a_complete_config(void **state)
{
	struct t *t = *state;
	struct fake *f = give(t, "board", "led", NULL);
	struct vg_line *l = open_line(t, "board", "led", VG_DIR_IN, 0, NULL);
	const uint64_t opts =
		GPIO_V2_LINE_FLAG_ACTIVE_LOW | GPIO_V2_LINE_FLAG_BIAS_PULL_UP;

	assert_int_equal(t->ops->set_edge(t->prov.ctx, l, VG_EDGE_BOTH), 0);
	assert_int_equal(f->nconfig, 2);
	assert_int_equal(f->cfg.flags, GPIO_V2_LINE_FLAG_INPUT | opts |
					       GPIO_V2_LINE_FLAG_EDGE_RISING |
					       GPIO_V2_LINE_FLAG_EDGE_FALLING);
	assert_non_null(attr(&f->cfg, GPIO_V2_LINE_ATTR_ID_DEBOUNCE));
	/* The same edges again: nothing to send. */
	assert_int_equal(t->ops->set_edge(t->prov.ctx, l, VG_EDGE_BOTH), 0);
	assert_int_equal(f->nconfig, 2);
	/* Input again keeps the edges, the options, the debounce. */
	assert_int_equal(t->ops->set_direction(t->prov.ctx, l, VG_DIR_IN, 1),
			 0);
	assert_int_equal(f->nconfig, 3);
	assert_int_equal(f->cfg.flags, GPIO_V2_LINE_FLAG_INPUT | opts |
					       GPIO_V2_LINE_FLAG_EDGE_RISING |
					       GPIO_V2_LINE_FLAG_EDGE_FALLING);
	assert_non_null(attr(&f->cfg, GPIO_V2_LINE_ATTR_ID_DEBOUNCE));
	/* Output: value with the switch, edges off. */
	assert_int_equal(t->ops->set_direction(t->prov.ctx, l, VG_DIR_OUT, 1),
			 0);
	assert_int_equal(f->cfg.flags, GPIO_V2_LINE_FLAG_OUTPUT | opts);
	assert_int_equal(
		attr(&f->cfg, GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES)->values, 1);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, l, VG_EDGE_RISING),
			 -EPERM);
	/* Back to input: edges stay off. */
	assert_int_equal(t->ops->set_direction(t->prov.ctx, l, VG_DIR_IN, 0),
			 0);
	assert_int_equal(f->cfg.flags, GPIO_V2_LINE_FLAG_INPUT | opts);
	assert_int_equal(
		t->ops->set_direction(t->prov.ctx, l, (enum vg_dir)0, 0),
		-EINVAL);
	assert_int_equal(f->nconfig, 5);
}

static void linefd_values_through_the_line_ioctls(void **state)
{
	struct t *t = *state;
	struct fake *f = give(t, "board", "led", NULL);
	struct vg_line *l = open_line(t, "board", "led", VG_DIR_IN, 0, NULL);
	int v = -1;

	f->level = 1;
	assert_int_equal(t->ops->get_value(t->prov.ctx, l, &v), 0);
	assert_int_equal(v, 1);
	/* An input is not driven. */
	assert_int_equal(t->ops->set_value(t->prov.ctx, l, 0), -EPERM);
	assert_int_equal(f->nset, 0);
	assert_int_equal(t->ops->set_direction(t->prov.ctx, l, VG_DIR_OUT, 1),
			 0);
	assert_int_equal(t->ops->set_value(t->prov.ctx, l, 0), 0);
	assert_int_equal(f->nset, 1);
	assert_int_equal(f->level, 0);
	assert_int_equal(t->ops->get_value(t->prov.ctx, l, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(t->ops->set_value(t->prov.ctx, l, 5), 0);
	assert_int_equal(f->level, 1);
}

static void linefd_ioctl_failure_keeps_the_record(void **state)
{
	struct t *t = *state;
	struct fake *f = give(t, "board", "led", NULL);
	struct vg_line *l = open_line(t, "board", "led", VG_DIR_IN, 0, NULL);
	int v;

	f->fail = EIO;
	assert_int_equal(t->ops->set_direction(t->prov.ctx, l, VG_DIR_OUT, 1),
			 -EIO);
	assert_int_equal(t->ops->get_value(t->prov.ctx, l, &v), -EIO);
	f->fail = 0;
	/* Still an input as far as the provider knows. */
	assert_int_equal(t->ops->set_value(t->prov.ctx, l, 1), -EPERM);
	/* A failed open leaves the line given, not open. */
	f = give(t, "board", "btn", NULL);
	f->fail = EPERM;
	{
		struct vg_line_spec spec = {.chip = "board",
					    .line = "btn",
					    .initial_dir = VG_DIR_IN};
		struct vg_line *l2 = NULL;

		assert_int_equal(try_open(t, &spec, NULL, &l2), -EPERM);
		f->fail = 0;
		assert_int_equal(try_open(t, &spec, NULL, &l2), 0);
	}
}

/* --- events ------------------------------------------------------------------------ */

static void linefd_events_only_from_dispatch(void **state)
{
	struct t *t = *state;
	struct fake *f = give(t, "board", "btn", NULL);
	struct rec r = {0};
	struct vg_line *l = open_line(t, "board", "btn", VG_DIR_IN, 0, &r);

	assert_int_equal(t->ops->set_edge(t->prov.ctx, l, VG_EDGE_RISING), 0);
	assert_false(prov_readable(t));
	event(f, GPIO_V2_LINE_EVENT_RISING_EDGE, 1);
	/* An op meanwhile delivers nothing. */
	assert_int_equal(t->ops->set_direction(t->prov.ctx, l, VG_DIR_IN, 0),
			 0);
	assert_int_equal(r.n, 0);
	assert_true(prov_readable(t));
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.edges[0], VG_EDGE_RISING);
	assert_false(prov_readable(t));
	/* A falling edge is not asked for. */
	event(f, GPIO_V2_LINE_EVENT_FALLING_EDGE, 2);
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r.n, 1);
	assert_int_equal(vg_linefd_lost_events(t->p), 0);
}

static void linefd_sequence_gap_counted_bad_ids_ignored(void **state)
{
	struct t *t = *state;
	struct fake *f = give(t, "board", "btn", NULL);
	struct rec r = {0};
	struct vg_line *l = open_line(t, "board", "btn", VG_DIR_IN, 0, &r);
	char log[1024];

	assert_int_equal(t->ops->set_edge(t->prov.ctx, l, VG_EDGE_BOTH), 0);
	event(f, GPIO_V2_LINE_EVENT_RISING_EDGE, 1);
	event(f, 9, 2);
	event(f, GPIO_V2_LINE_EVENT_FALLING_EDGE, 6);
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.edges[0], VG_EDGE_RISING);
	assert_int_equal(r.edges[1], VG_EDGE_FALLING);
	assert_int_equal(vg_linefd_lost_events(t->p), 3);
	read_log(t, log, sizeof(log));
	assert_non_null(strstr(log, "unknown edge event id 9"));
	assert_non_null(strstr(log, "3 edge events lost"));
}

static void linefd_edge_change_discards_queued_events(void **state)
{
	struct t *t = *state;
	struct fake *f = give(t, "board", "btn", NULL);
	struct rec r = {0};
	struct vg_line *l;

	/* Queued before the open: the previous holder's. */
	event(f, GPIO_V2_LINE_EVENT_RISING_EDGE, 1);
	l = open_line(t, "board", "btn", VG_DIR_IN, 0, &r);
	assert_false(prov_readable(t));
	assert_int_equal(t->ops->set_edge(t->prov.ctx, l, VG_EDGE_BOTH), 0);
	event(f, GPIO_V2_LINE_EVENT_RISING_EDGE, 1);
	event(f, GPIO_V2_LINE_EVENT_FALLING_EDGE, 2);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, l, VG_EDGE_FALLING), 0);
	assert_false(prov_readable(t));
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r.n, 0);
	/* Off: the same. */
	event(f, GPIO_V2_LINE_EVENT_FALLING_EDGE, 1);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, l, VG_EDGE_NONE), 0);
	t->ops->dispatch(t->prov.ctx);
	assert_int_equal(r.n, 0);
}

static void linefd_close_from_a_callback(void **state)
{
	struct t *t = *state;
	struct fake *a = give(t, "board", "a", NULL);
	struct fake *b = give(t, "board", "b", NULL);
	struct rec ra = {0}, rb = {0};
	struct vg_line *la = open_line(t, "board", "a", VG_DIR_IN, 0, &ra);
	struct vg_line *lb = open_line(t, "board", "b", VG_DIR_IN, 0, &rb);
	int fda = a->fd, fdb = b->fd;

	assert_int_equal(t->ops->set_edge(t->prov.ctx, la, VG_EDGE_BOTH), 0);
	assert_int_equal(t->ops->set_edge(t->prov.ctx, lb, VG_EDGE_BOTH), 0);
	/* Each line's first callback closes both lines. */
	ra.close_p = rb.close_p = t->p;
	ra.close_l = la;
	rb.close_l = lb;
	event(a, GPIO_V2_LINE_EVENT_RISING_EDGE, 1);
	event(a, GPIO_V2_LINE_EVENT_FALLING_EDGE, 2);
	event(b, GPIO_V2_LINE_EVENT_RISING_EDGE, 1);
	event(b, GPIO_V2_LINE_EVENT_FALLING_EDGE, 2);
	t->ops->dispatch(t->prov.ctx);
	/* One callback per line, then nothing of a closed line. */
	assert_int_equal(ra.n, 1);
	assert_int_equal(rb.n, 1);
	assert_false(fd_open(fda));
	assert_false(fd_open(fdb));
	a->fd = b->fd = -1;
	assert_int_equal(vg_linefd_lines(t->p), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linefd_config_maps_every_setting),
		cmocka_unit_test(linefd_config_refuses_out_of_range),
		cmocka_unit_test(linefd_ops_valid),
		T(linefd_add_takes_the_fd_on_failure),
		T(linefd_free_closes_every_fd),
		T(linefd_claims_only_chips_given),
		T(linefd_open_refuses_lines_not_given),
		T(linefd_close_forgets_the_line),
		T(linefd_open_applies_the_whole_spec),
		T(linefd_every_change_sends_a_complete_config),
		T(linefd_values_through_the_line_ioctls),
		T(linefd_ioctl_failure_keeps_the_record),
		T(linefd_events_only_from_dispatch),
		T(linefd_sequence_gap_counted_bad_ids_ignored),
		T(linefd_edge_change_discards_queued_events),
		T(linefd_close_from_a_callback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
