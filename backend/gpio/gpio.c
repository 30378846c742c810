// SPDX-License-Identifier: BSD-3-Clause
/*
 * The virtio-gpio device (OASIS virtio 1.2 section 5.18) as a vdev class.
 * "Spec" below means device-types/gpio/description.tex; "Vn" is a rule of
 * docs/validation.md.
 *
 * Choices the spec leaves open, made here:
 * - Every chain is answered in the order it was popped, one at a time, so
 *   messages for the same line are processed and answered in order (V27).
 * - Fields a message does not use (gpio and value of GET_LINE_NAMES, value
 *   of the GET_* messages) are ignored.
 * - A requestq chain without a single writable byte, or an eventq chain
 *   without one, cannot be answered at all: that is a protocol violation
 *   and puts the device into NEEDS_RESET (V22). A chain that is merely
 *   short gets STATUS_ERR (resp. IRQ_STATUS_INVALID) in what fits.
 * - Validate, then act: a request reaches the provider only once it has
 *   been copied in and the bytes of its answer are mapped for writing
 *   (vg_chain_hold). A response area the device cannot write is a
 *   protocol violation found before any line changes (V26); an eventq
 *   buffer's status byte is checked when the buffer arrives (V29).
 * - GET_DIRECTION reports what the guest configured (NONE until it does),
 *   not the host line's direction: a line parked at an output safe value
 *   is still "not in use" for the guest.
 * - A SET_VALUE on a line that is not an output is kept and driven from
 *   the instant of the switch to output (spec, Set Value); without one the
 *   switch drives the last value the guest set, else 0.
 * - SET_IRQ_TYPE with a different type on an enabled line (Linux sends it
 *   on irq_set_irq_type() while enabled; docs/protocol.md) is applied in
 *   place instead of being refused: refusing would leave the guest's irq
 *   core and the device disagreeing about the type, and Linux ignores
 *   the status. The latch of the old type is discarded, as for NONE.
 * - Level interrupts are built from both edges plus get_value(): the
 *   level is sampled when a buffer arrives (spec: notify again if still
 *   active on unmask) and again on every edge while a buffer is held; only
 *   an active level fires. Nothing is latched for level types (spec MUST
 *   NOT), and a stale edge cannot fire after the guest acknowledged.
 * - A line that SET_IRQ_TYPE made an input (no SET_DIRECTION before it)
 *   stays an input after SET_IRQ_TYPE(NONE): disable_irq()/enable_irq()
 *   must not toggle the host line through its safe state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vgpio/virtio_mmio.h>
#include "gpio.h"

#define GPIO_NQUEUES 2u

/* Guest-visible state of one line; all zero/NONE = not in use. */
struct gpio_line {
	uint8_t dir; /* VG_GPIO_DIRECTION_* as the guest configured it */
	uint8_t irq; /* VG_GPIO_IRQ_TYPE_*, NONE = disabled */
	int8_t value; /* value to drive when (or while) output; -1 = none */
	bool latched; /* an edge arrived while masked (edge types only) */
	bool held; /* an eventq buffer is held: the interrupt is unmasked */
	bool dirty; /* the provider may be away from the safe state */
	unsigned int edges; /* edge detection last asked of the provider */
	uint16_t head; /* held buffer: chain head */
	uint64_t status_addr; /* held buffer: guest address of its status */
};

struct vg_gpio {
	struct vg_vdev vd;
	/* Filled once in vg_gpio_new() and never changed afterwards. */
	struct vg_vdev_class cls;
	struct vg_log *log;
	void (*reset_hook)(void *arg, struct vg_gpio *g);
	void *reset_arg;
	/* Change only while in reset (vg_gpio_set_acl). */
	const struct vg_acl *acl;
	uint8_t *names; /* the GET_LINE_NAMES block */
	uint32_t names_size;
	struct gpio_line *lines; /* acl->n entries */
	bool pending[GPIO_NQUEUES]; /* kicked, not known to be drained */
	bool touched[GPIO_NQUEUES]; /* pushed since the last vg_vdev_used */
	struct vg_gpio_stats st;
	struct vg_chain chain; /* scratch for the chain being processed */
};

static bool irq_is_level(unsigned int type)
{
	return type == VG_GPIO_IRQ_TYPE_LEVEL_HIGH ||
	       type == VG_GPIO_IRQ_TYPE_LEVEL_LOW;
}

/* Provider edges an IRQ type needs; 0 for NONE (and invalid types). */
static unsigned int irq_edges(unsigned int type)
{
	switch (type) {
	case VG_GPIO_IRQ_TYPE_EDGE_RISING:
		return VG_EDGE_RISING;
	case VG_GPIO_IRQ_TYPE_EDGE_FALLING:
		return VG_EDGE_FALLING;
	case VG_GPIO_IRQ_TYPE_EDGE_BOTH:
	case VG_GPIO_IRQ_TYPE_LEVEL_HIGH:
	case VG_GPIO_IRQ_TYPE_LEVEL_LOW:
		return VG_EDGE_BOTH;
	}
	return VG_EDGE_NONE;
}

static const struct vg_bus *gpio_bus(const struct vg_gpio *g)
{
	return &g->vd.bus;
}

/* A ring or guest-memory violation: the device stops until reset. */
static int gpio_break(struct vg_gpio *g, const char *why)
{
	if (!g->vd.broken)
		g->st.broken++;
	vg_vdev_needs_reset(&g->vd, why);
	return -EPROTO;
}

static int gpio_fault(struct vg_gpio *g)
{
	return gpio_break(g, vg_vring_strerror(VG_VRING_E_ACCESS));
}

/*
 * V21, V22: copy the start of a chain's readable part into @req, once; only
 * the copy is looked at. Returns the bytes copied (short if the guest gave
 * fewer), or -EPROTO with the device broken: a guest memory fault, or no
 * writable byte to answer in (@what names the kind of chain).
 */
static long gpio_copy_in(struct vg_gpio *g, const struct vg_chain *c, void *req,
			 size_t len, const char *what)
{
	long r;

	memset(req, 0, len);
	r = vg_chain_read(gpio_bus(g), c, 0, req, len);
	if (r < 0)
		return gpio_fault(g);
	if (!c->write_len)
		return gpio_break(g, what);
	return r;
}

static int gpio_push(struct vg_gpio *g, unsigned int q, uint16_t head,
		     uint32_t len)
{
	if (vg_vq_push(&g->vd.vq[q], gpio_bus(g), head, len))
		return gpio_fault(g);
	g->touched[q] = true;
	return 0;
}

/* Tell the driver about everything pushed so far: one call per queue. */
static void gpio_flush(struct vg_gpio *g)
{
	unsigned int q;

	for (q = 0; q < GPIO_NQUEUES; q++) {
		if (!g->touched[q])
			continue;
		g->touched[q] = false;
		if (!g->vd.broken)
			vg_vdev_used(&g->vd, q);
	}
}

/*
 * Return line @i's held eventq buffer with @status (VG_GPIO_IRQ_STATUS_*),
 * which masks the interrupt again (spec, eventq Message Flow). Nothing to
 * do without a held buffer. 0 or -EPROTO (device broken).
 */
static int gpio_line_fire(struct vg_gpio *g, unsigned int i, uint8_t status)
{
	struct gpio_line *s = &g->lines[i];

	if (!s->held)
		return 0;
	s->held = false;
	/* A queue the driver took down (or a broken device) gets nothing. */
	if (!vg_vdev_queue_live(&g->vd, VG_GPIO_QUEUE_EVENT))
		return 0;
	if (vg_bus_write(gpio_bus(g), s->status_addr, &status, 1))
		return gpio_fault(g);
	if (status == VG_GPIO_IRQ_STATUS_VALID)
		g->st.events++;
	else
		g->st.invalid++;
	return gpio_push(g, VG_GPIO_QUEUE_EVENT, s->head, 1);
}

static int prov_set_direction(const struct vg_acl_line *l, enum vg_dir dir,
			      int value)
{
	return l->prov.ops->set_direction(l->prov.ctx, l->line, dir, value);
}

static int prov_set_edge(const struct vg_acl_line *l, struct gpio_line *s,
			 unsigned int edges)
{
	int rc;

	/* On failure the provider's state is unknown: keep the union. */
	rc = l->prov.ops->set_edge(l->prov.ctx, l->line, edges);
	if (rc)
		s->edges |= edges;
	else
		s->edges = edges;
	return rc;
}

/*
 * Forget everything the guest did to line @i (spec: "MUST discard all
 * state information" on DIRECTION_NONE): interrupt off, latch and cached
 * value gone, a held buffer returned INVALID if @give_back (else
 * forgotten, as on reset), host line back to its safe state if @touch.
 * Returns the provider's error (the state is discarded anyway) or -EPROTO
 * if returning the buffer broke the device.
 */
static int gpio_line_drop(struct vg_gpio *g, unsigned int i, bool give_back,
			  bool touch)
{
	const struct vg_acl_line *l = &g->acl->lines[i];
	struct gpio_line *s = &g->lines[i];
	int rc = 0, prc = 0;

	if (give_back && gpio_line_fire(g, i, VG_GPIO_IRQ_STATUS_INVALID))
		rc = -EPROTO;
	if (touch && s->dirty && l->line && l->prov.ops)
		prc = vg_acl_safe_state(&l->prov, l->line, l->safe, &s->edges);
	s->dir = VG_GPIO_DIRECTION_NONE;
	s->irq = VG_GPIO_IRQ_TYPE_NONE;
	s->value = -1;
	s->latched = false;
	s->held = false;
	/* A failed safe state is retried at the next drop. */
	s->dirty = touch && prc;
	return rc ? rc : prc;
}

/* Is a level interrupt of @type active on @l right now? */
static bool gpio_level_active(const struct vg_acl_line *l, unsigned int type)
{
	int v = 0;

	if (l->prov.ops->get_value(l->prov.ctx, l->line, &v))
		return false;
	return type == VG_GPIO_IRQ_TYPE_LEVEL_HIGH ? v != 0 : v == 0;
}

/*
 * The interrupt of line @i was just unmasked (a buffer arrived) or its
 * type changed: deliver at once what is due (spec, eventq Message Flow:
 * a latched edge, or a level that is still active).
 */
static int gpio_line_poll(struct vg_gpio *g, unsigned int i,
			  const struct vg_acl_line *l)
{
	struct gpio_line *s = &g->lines[i];

	if (!s->held || s->irq == VG_GPIO_IRQ_TYPE_NONE)
		return 0;
	if (irq_is_level(s->irq)) {
		if (!gpio_level_active(l, s->irq))
			return 0;
	} else {
		if (!s->latched)
			return 0;
		s->latched = false;
	}
	return gpio_line_fire(g, i, VG_GPIO_IRQ_STATUS_VALID);
}

/* --- requestq ----------------------------------------------------------- */

/* A request that passed its checks, as its handler sees it. */
struct gpio_req {
	const struct vg_chain *c;
	unsigned int gpio;
	const struct vg_acl_line *l; /* NULL if the type names no line */
	uint32_t value;
};

/* A value a request type accepts, and the ACL right it then needs. */
struct gpio_req_value {
	uint32_t value;
	enum vg_acl_op op;
};

/*
 * One requestq message type: what the device checks before it runs the
 * handler, and the handler. gpio_req_types[] is indexed by type, so a new
 * type is one entry there.
 */
struct gpio_req_type {
	/* Allowed only if VIRTIO_GPIO_F_IRQ was negotiated. */
	bool needs_irq;
	/* The gpio field names a line: the ACL check turns it into @l. */
	bool line;
	/* The right the ACL must grant, whatever the value ... */
	enum vg_acl_op op;
	/* ... unless @values lists the only values accepted, with theirs. */
	const struct gpio_req_value *values;
	unsigned int nvalues;
	/*
	 * Bytes of an OK response, if not a struct vg_gpio_response. An
	 * error is always the 2-byte response.
	 */
	uint32_t (*rsp_len)(const struct vg_gpio *g);
	/* Carry it out: the status, and the response's value byte. */
	uint8_t (*run)(struct vg_gpio *g, const struct gpio_req *r,
		       uint8_t *out);
};

/* Status and the names block, or the 2-byte error if there is none. */
static uint32_t gpio_names_rsp_len(const struct vg_gpio *g)
{
	if (!g->names_size)
		return sizeof(struct vg_gpio_response);
	return 1 + g->names_size;
}

/*
 * The block's first byte goes out as the response's value byte, with the
 * status; the rest is written here, behind it.
 */
static uint8_t gpio_get_line_names(struct vg_gpio *g, const struct gpio_req *r,
				   uint8_t *out)
{
	uint32_t rest;

	if (!g->names_size)
		return VG_GPIO_STATUS_ERR;
	rest = g->names_size - 1;
	if (rest && vg_chain_write(gpio_bus(g), r->c, 2, g->names + 1, rest) !=
			    (long)rest) {
		gpio_fault(g);
		return VG_GPIO_STATUS_ERR;
	}
	*out = g->names[0];
	return VG_GPIO_STATUS_OK;
}

static uint8_t gpio_get_direction(struct vg_gpio *g, const struct gpio_req *r,
				  uint8_t *out)
{
	*out = g->lines[r->gpio].dir;
	return VG_GPIO_STATUS_OK;
}

static uint8_t gpio_get_value(struct vg_gpio *g, const struct gpio_req *r,
			      uint8_t *out)
{
	const struct vg_acl_line *l = r->l;
	int v;

	(void)g;
	if (l->prov.ops->get_value(l->prov.ctx, l->line, &v))
		return VG_GPIO_STATUS_ERR;
	*out = v ? 1 : 0;
	return VG_GPIO_STATUS_OK;
}

static uint8_t gpio_set_direction(struct vg_gpio *g, const struct gpio_req *r,
				  uint8_t *out)
{
	const struct vg_acl_line *l = r->l;
	unsigned int i = r->gpio;
	uint32_t dir = r->value;
	struct gpio_line *s = &g->lines[i];
	int v;

	(void)out;
	if (dir == VG_GPIO_DIRECTION_NONE)
		return gpio_line_drop(g, i, true, true) ? VG_GPIO_STATUS_ERR
							: VG_GPIO_STATUS_OK;
	if (dir == VG_GPIO_DIRECTION_IN) {
		if (s->dir != VG_GPIO_DIRECTION_IN) {
			s->dirty = true;
			if (prov_set_direction(l, VG_DIR_IN, 0))
				return VG_GPIO_STATUS_ERR;
		}
		s->dir = VG_GPIO_DIRECTION_IN;
		return VG_GPIO_STATUS_OK;
	}
	/* Spec: no IRQ messages for an output line; the converse holds. */
	if (s->irq != VG_GPIO_IRQ_TYPE_NONE)
		return VG_GPIO_STATUS_ERR;
	v = s->value >= 0 ? s->value : 0;
	s->dirty = true;
	/* The cached value is driven from the switch on: no glitch. */
	if (prov_set_direction(l, VG_DIR_OUT, v))
		return VG_GPIO_STATUS_ERR;
	s->dir = VG_GPIO_DIRECTION_OUT;
	s->value = (int8_t)v;
	return VG_GPIO_STATUS_OK;
}

static uint8_t gpio_set_value(struct vg_gpio *g, const struct gpio_req *r,
			      uint8_t *out)
{
	const struct vg_acl_line *l = r->l;
	uint32_t value = r->value;
	struct gpio_line *s = &g->lines[r->gpio];

	(void)out;
	if (s->dir == VG_GPIO_DIRECTION_OUT) {
		s->dirty = true;
		if (l->prov.ops->set_value(l->prov.ctx, l->line, (int)value))
			return VG_GPIO_STATUS_ERR;
	}
	/* Not an output yet: kept for the switch (spec, Set Value). */
	s->value = (int8_t)value;
	return VG_GPIO_STATUS_OK;
}

static uint8_t gpio_set_irq_type(struct vg_gpio *g, const struct gpio_req *r,
				 uint8_t *out)
{
	const struct vg_acl_line *l = r->l;
	unsigned int i = r->gpio;
	struct gpio_line *s = &g->lines[i];
	uint32_t type = r->value;

	(void)out;
	if (type == s->irq)
		return VG_GPIO_STATUS_OK; /* NONE->NONE, X->X: Linux sends both */
	if (type == VG_GPIO_IRQ_TYPE_NONE) {
		int rc = prov_set_edge(l, s, VG_EDGE_NONE);

		/*
		 * Spec MUSTs: discard the latch, return the held buffer
		 * INVALID now. The device side is disabled even if the
		 * provider failed: later events are ignored for NONE.
		 */
		s->irq = VG_GPIO_IRQ_TYPE_NONE;
		s->latched = false;
		if (gpio_line_fire(g, i, VG_GPIO_IRQ_STATUS_INVALID) || rc)
			return VG_GPIO_STATUS_ERR;
		return VG_GPIO_STATUS_OK;
	}
	if (s->dir == VG_GPIO_DIRECTION_OUT)
		return VG_GPIO_STATUS_ERR;
	if (s->dir == VG_GPIO_DIRECTION_NONE) {
		/*
		 * A device-tree interrupt consumer enables the IRQ without
		 * any SET_DIRECTION (docs/protocol.md): make it an input. The
		 * ACL lets an IRQ line be an input (acl.c).
		 */
		s->dirty = true;
		if (prov_set_direction(l, VG_DIR_IN, 0))
			return VG_GPIO_STATUS_ERR;
		s->dir = VG_GPIO_DIRECTION_IN;
	}
	s->dirty = true;
	if (irq_edges(type) != s->edges && prov_set_edge(l, s, irq_edges(type)))
		return VG_GPIO_STATUS_ERR;
	/* Enabling or changing type: edges count from now on only. */
	s->irq = (uint8_t)type;
	s->latched = false;
	if (gpio_line_poll(g, i, l))
		return VG_GPIO_STATUS_ERR;
	return VG_GPIO_STATUS_OK;
}

/* V24: the values each type allows; any other is STATUS_ERR. */
static const struct gpio_req_value gpio_direction_values[] = {
	{VG_GPIO_DIRECTION_NONE, VG_OP_RELEASE},
	{VG_GPIO_DIRECTION_OUT, VG_OP_OUTPUT},
	{VG_GPIO_DIRECTION_IN, VG_OP_INPUT},
};

static const struct gpio_req_value gpio_level_values[] = {
	{0, VG_OP_OUTPUT},
	{1, VG_OP_OUTPUT},
};

/* Disabling lets go of the line; enabling any type needs the irq right. */
static const struct gpio_req_value gpio_irq_type_values[] = {
	{VG_GPIO_IRQ_TYPE_NONE, VG_OP_RELEASE},
	{VG_GPIO_IRQ_TYPE_EDGE_RISING, VG_OP_IRQ},
	{VG_GPIO_IRQ_TYPE_EDGE_FALLING, VG_OP_IRQ},
	{VG_GPIO_IRQ_TYPE_EDGE_BOTH, VG_OP_IRQ},
	{VG_GPIO_IRQ_TYPE_LEVEL_HIGH, VG_OP_IRQ},
	{VG_GPIO_IRQ_TYPE_LEVEL_LOW, VG_OP_IRQ},
};

#define GPIO_VALUES(a) .values = (a), .nvalues = VG_ARRAY_SIZE(a)

/* Every message type the device serves, indexed by type. */
static const struct gpio_req_type gpio_req_types[] = {
	[VG_GPIO_MSG_GET_LINE_NAMES] = {.rsp_len = gpio_names_rsp_len,
					.run = gpio_get_line_names},
	[VG_GPIO_MSG_GET_DIRECTION] = {.line = true,
				       .op = VG_OP_QUERY,
				       .run = gpio_get_direction},
	[VG_GPIO_MSG_SET_DIRECTION] = {.line = true,
				       GPIO_VALUES(gpio_direction_values),
				       .run = gpio_set_direction},
	[VG_GPIO_MSG_GET_VALUE] = {.line = true,
				   .op = VG_OP_QUERY,
				   .run = gpio_get_value},
	[VG_GPIO_MSG_SET_VALUE] = {.line = true,
				   GPIO_VALUES(gpio_level_values),
				   .run = gpio_set_value},
	/* Spec: allowed only if VIRTIO_GPIO_F_IRQ was negotiated. */
	[VG_GPIO_MSG_SET_IRQ_TYPE] = {.needs_irq = true,
				      .line = true,
				      GPIO_VALUES(gpio_irq_type_values),
				      .run = gpio_set_irq_type},
};

/* The entry for message @type; NULL for a type the device does not know. */
static const struct gpio_req_type *gpio_req_type_get(unsigned int type)
{
	if (type >= VG_ARRAY_SIZE(gpio_req_types) || !gpio_req_types[type].run)
		return NULL;
	return &gpio_req_types[type];
}

/* The right value @value of a @t request needs; false if not accepted. */
static bool gpio_req_value_op(const struct gpio_req_type *t, uint32_t value,
			      enum vg_acl_op *op)
{
	unsigned int k;

	if (!t->values) {
		*op = t->op;
		return true;
	}
	for (k = 0; k < t->nvalues; k++) {
		if (t->values[k].value == value) {
			*op = t->values[k].op;
			return true;
		}
	}
	return false;
}

/*
 * A well-formed request of a known type: feature and value (V24), the ACL
 * check (V25, the only place a guest index becomes a line), then the
 * handler. The status; the response's value byte in *out.
 */
static uint8_t gpio_req_run(struct vg_gpio *g, const struct gpio_req_type *t,
			    unsigned int type, const struct vg_chain *c,
			    const struct vg_gpio_request *req, uint8_t *out)
{
	struct gpio_req r = {
		.c = c,
		.gpio = vg_le16_get(req->gpio),
		.value = vg_le32_get(req->value),
	};
	enum vg_acl_op op;

	if (t->needs_irq && !vg_vdev_has_feature(&g->vd, VG_GPIO_F_IRQ))
		return VG_GPIO_STATUS_ERR;
	if (!gpio_req_value_op(t, r.value, &op))
		return VG_GPIO_STATUS_ERR;
	if (t->line) {
		r.l = vg_acl_check(g->acl, r.gpio, op);
		if (!r.l) {
			vg_log_guest(g->log, "line %u: request %u not allowed",
				     r.gpio, type);
			return VG_GPIO_STATUS_ERR;
		}
	}
	return t->run(g, &r, out);
}

/* One requestq chain. 0 or -EPROTO (device broken). */
static int gpio_request(struct vg_gpio *g, const struct vg_chain *c)
{
	struct vg_gpio_request req;
	const struct gpio_req_type *t;
	struct vg_chain_hold h;
	uint8_t rsp[2] = {VG_GPIO_STATUS_ERR, 0};
	uint32_t need, len, used;
	unsigned int type;
	long r;

	r = gpio_copy_in(g, c, &req, sizeof(req),
			 "request without a response buffer");
	if (r < 0)
		return -EPROTO;
	/*
	 * Validate, then act (V26): the request is copied; now map the
	 * bytes of the answer for writing, before anything is decided. A
	 * response area the device cannot write changes no line, and once a
	 * request has acted, answering it cannot fail.
	 */
	len = c->write_len < sizeof(rsp) ? c->write_len : sizeof(rsp);
	if (vg_chain_hold(gpio_bus(g), c, len, &h))
		return gpio_fault(g);
	type = vg_le16_get(req.type);
	t = gpio_req_type_get(type);
	need = t && t->rsp_len ? t->rsp_len(g)
			       : (uint32_t)sizeof(struct vg_gpio_response);

	if ((size_t)r < sizeof(req)) {
		vg_log_guest(g->log, "request of %ld bytes", r);
	} else if (c->write_len < need) {
		/* V23: ERR in what fits, and nothing done. */
		vg_log_guest(g->log, "request %u: %u-byte response buffer",
			     type, c->write_len);
	} else if (t) {
		rsp[0] = gpio_req_run(g, t, type, c, &req, &rsp[1]);
		if (g->vd.broken) {
			vg_chain_release(gpio_bus(g), &h);
			return -EPROTO;
		}
	}

	/* Both bytes always written; used length = what was written. */
	vg_chain_hold_write(&h, rsp, len);
	vg_chain_release(gpio_bus(g), &h);
	used = len;
	g->st.requests++;
	if (rsp[0] != VG_GPIO_STATUS_OK)
		g->st.errors++;
	else if (t->rsp_len) /* OK comes only from a handler */
		used = need; /* which wrote the rest */
	return gpio_push(g, VG_GPIO_QUEUE_REQUEST, c->head, used);
}

/* --- eventq ------------------------------------------------------------- */

/* One eventq chain: unmask line's interrupt. 0 or -EPROTO. */
static int gpio_event_buffer(struct vg_gpio *g, const struct vg_chain *c)
{
	const struct vg_acl_line *l = NULL;
	struct vg_gpio_irq_request req;
	struct vg_chain_hold h;
	uint8_t status = VG_GPIO_IRQ_STATUS_INVALID;
	struct gpio_line *s = NULL;
	unsigned int gpio = 0, k, end;
	long r;

	r = gpio_copy_in(g, c, &req, sizeof(req),
			 "eventq buffer without a status byte");
	if (r < 0)
		return -EPROTO;
	/*
	 * V29: a buffer whose status byte the device cannot write could
	 * never be answered: refuse it now, before it unmasks anything.
	 */
	if (vg_chain_hold(gpio_bus(g), c, 1, &h))
		return gpio_fault(g);
	if ((size_t)r == sizeof(req)) {
		gpio = vg_le16_get(req.gpio);
		l = vg_acl_check(g->acl, gpio, VG_OP_IRQ);
	} else {
		vg_log_guest(g->log, "eventq request of %ld bytes", r);
	}
	if (l)
		s = &g->lines[gpio];
	/*
	 * V28, spec: a buffer for a line whose interrupt is not enabled goes
	 * back INVALID at once; so does a second one for the same line
	 * (driver MUST NOT; the first stays held).
	 */
	if (!s || s->irq == VG_GPIO_IRQ_TYPE_NONE || s->held) {
		vg_chain_hold_write(&h, &status, 1);
		vg_chain_release(gpio_bus(g), &h);
		g->st.invalid++;
		return gpio_push(g, VG_GPIO_QUEUE_EVENT, c->head, 1);
	}
	/*
	 * Held for later: the byte is written when the line fires, so the
	 * mapping goes now (a guest that revokes it meanwhile gets
	 * NEEDS_RESET then).
	 */
	vg_chain_release(gpio_bus(g), &h);
	/* Keep only what the answer needs: head and the status address. */
	end = (unsigned int)c->nread + c->nwrite;
	for (k = c->nread; k < end && k < VG_VQ_MAX_SIZE; k++)
		if (c->iov[k].len)
			break;
	if (k >= end || k >= VG_VQ_MAX_SIZE)
		return gpio_break(g, "eventq buffer without a status byte");
	s->held = true;
	s->head = c->head;
	s->status_addr = c->iov[k].addr;
	return gpio_line_poll(g, gpio, l);
}

/* --- class ------------------------------------------------------------- */

static unsigned int gpio_num_queues(void *dev)
{
	struct vg_gpio *g = dev;

	return vg_vdev_has_feature(&g->vd, VG_GPIO_F_IRQ) ? 2 : 1;
}

static void gpio_config_read(void *dev, uint8_t *buf)
{
	struct vg_gpio *g = dev;
	struct vg_gpio_config cfg;

	memset(&cfg, 0, sizeof(cfg)); /* padding: "set to zero by the device" */
	cfg.ngpio = vg_le16_put((uint16_t)g->acl->n);
	cfg.gpio_names_size = vg_le32_put(g->names_size);
	memcpy(buf, &cfg, sizeof(cfg));
}

static void gpio_kick(void *dev, unsigned int q)
{
	struct vg_gpio *g = dev;

	if (q < GPIO_NQUEUES)
		g->pending[q] = true;
}

/* Drop every line's state; host lines the guest touched to safe state. */
static void gpio_drop_all(struct vg_gpio *g)
{
	unsigned int i;

	for (i = 0; i < g->acl->n; i++)
		gpio_line_drop(g, i, false, !g->acl->lines[i].revoked);
}

static void gpio_reset(void *dev)
{
	struct vg_gpio *g = dev;

	/* Held buffers belong to the old rings: forgotten, not returned. */
	gpio_drop_all(g);
	memset(g->pending, 0, sizeof(g->pending));
	memset(g->touched, 0, sizeof(g->touched));
	g->st.resets++;
	/* The owner may now give the device a new line table. */
	if (g->reset_hook)
		g->reset_hook(g->reset_arg, g);
}

/* The eventq's ring is gone: its held buffers can never be returned. */
static void gpio_queue_stop(void *dev, unsigned int q)
{
	struct vg_gpio *g = dev;
	unsigned int i;

	g->pending[q] = false;
	if (q != VG_GPIO_QUEUE_EVENT)
		return;
	for (i = 0; i < g->acl->n; i++)
		g->lines[i].held = false;
}

unsigned int vg_gpio_run(struct vg_gpio *g, unsigned int budget)
{
	enum vg_vring_err err;
	unsigned int n = 0, cost = 0, q;
	bool progress = true;
	int rc;

	while (cost < budget && progress && !g->vd.broken) {
		progress = false;
		/* Alternate queues so that neither starves the other. */
		for (q = 0; q < GPIO_NQUEUES && cost < budget; q++) {
			if (!g->pending[q])
				continue;
			if (!vg_vdev_queue_live(&g->vd, q)) {
				g->pending[q] = false;
				continue;
			}
			err = VG_VRING_OK;
			rc = vg_vq_pop(&g->vd.vq[q], gpio_bus(g), &g->chain,
				       &err);
			if (rc == 0) {
				g->pending[q] = false;
				continue;
			}
			if (rc < 0) {
				gpio_break(g, vg_vring_strerror(err));
				break;
			}
			n++;
			/* Long chains cost what walking them costs. */
			cost += g->chain.nread + g->chain.nwrite;
			progress = true;
			if (q == VG_GPIO_QUEUE_REQUEST)
				rc = gpio_request(g, &g->chain);
			else
				rc = gpio_event_buffer(g, &g->chain);
			if (rc < 0)
				break;
		}
	}
	if (g->vd.broken)
		memset(g->pending, 0, sizeof(g->pending));
	gpio_flush(g);
	return n;
}

bool vg_gpio_pending(const struct vg_gpio *g)
{
	return !g->vd.broken && (g->pending[0] || g->pending[1]);
}

void vg_gpio_line_event(struct vg_gpio *g, unsigned int gpio, unsigned int edge)
{
	const struct vg_acl_line *l;
	struct gpio_line *s;

	if (!g || g->vd.broken)
		return;
	l = vg_acl_check(g->acl, gpio, VG_OP_IRQ);
	if (!l)
		return;
	s = &g->lines[gpio];
	if (s->irq == VG_GPIO_IRQ_TYPE_NONE || !(irq_edges(s->irq) & edge))
		return;
	if (irq_is_level(s->irq)) {
		/*
		 * Never latched (spec MUST NOT). An edge only says the level
		 * may have changed, and it may be stale: queued before the
		 * guest acknowledged at the source and unmasked again. The
		 * live level decides, else that guest sees the spurious
		 * interrupt the spec's eventq flow warns about.
		 */
		if (!s->held || !gpio_level_active(l, s->irq))
			return;
	} else if (!s->held) {
		/* Spec MUST: latch while masked; one latch coalesces all. */
		s->latched = true;
		return;
	}
	gpio_line_fire(g, gpio, VG_GPIO_IRQ_STATUS_VALID);
	gpio_flush(g);
}

void vg_gpio_line_revoked(struct vg_gpio *g, unsigned int gpio)
{
	if (!g || gpio >= g->acl->n)
		return;
	/*
	 * The administrator's path, not the guest's: the line is already
	 * marked revoked, so the ACL would refuse it; go to it directly.
	 */
	g->lines[gpio].dirty = true;
	gpio_line_drop(g, gpio, true, true);
	gpio_flush(g);
}

void vg_gpio_get_stats(const struct vg_gpio *g, struct vg_gpio_stats *st)
{
	*st = g->st;
	st->interrupts = g->vd.interrupts;
}

void vg_gpio_stats_add(struct vg_gpio_stats *to, const struct vg_gpio_stats *s)
{
	to->requests += s->requests;
	to->errors += s->errors;
	to->events += s->events;
	to->invalid += s->invalid;
	to->resets += s->resets;
	to->broken += s->broken;
	to->interrupts += s->interrupts;
}

unsigned int vg_gpio_line_direction(const struct vg_gpio *g, unsigned int gpio)
{
	if (!g || gpio >= g->acl->n)
		return VG_GPIO_DIRECTION_NONE;
	return g->lines[gpio].dir;
}

struct vg_vdev *vg_gpio_vdev(struct vg_gpio *g)
{
	return &g->vd;
}

/* --- names ------------------------------------------------------------ */

struct gpio_name {
	char s[VG_GPIO_NAME_MAX + 1];
	unsigned int idx;
};

static int gpio_name_cmp(const void *a, const void *b)
{
	const struct gpio_name *x = a, *y = b;
	int c = strcmp(x->s, y->s);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * The GET_LINE_NAMES block (spec, Get Line Names): one NUL-terminated
 * name per line, 7-bit ASCII, unique. Administrator's name, else the
 * host's; unprintable bytes become '_', at most VG_GPIO_NAME_MAX bytes;
 * a later duplicate is blanked. Size 0 (no block) if no line has a name.
 */
static int gpio_names_build(const struct vg_acl *acl, uint8_t **names,
			    uint32_t *names_size)
{
	struct gpio_name *nm, *sorted;
	unsigned int i, j;
	size_t size = 0;
	uint8_t *p;

	*names = NULL;
	*names_size = 0;
	if (!acl->n)
		return 0;
	nm = calloc(acl->n, sizeof(*nm));
	sorted = calloc(acl->n, sizeof(*sorted));
	if (!nm || !sorted) {
		free(nm);
		free(sorted);
		return -ENOMEM;
	}
	for (i = 0; i < acl->n; i++) {
		const struct vg_acl_line *l = &acl->lines[i];
		const char *src = l->name;

		if (!src[0] && l->line && l->prov.ops)
			src = l->prov.ops->line_name(l->prov.ctx, l->line);
		for (j = 0; src && src[j] && j < VG_GPIO_NAME_MAX; j++) {
			unsigned char ch = (unsigned char)src[j];

			nm[i].s[j] = ch >= 0x20 && ch < 0x7f ? (char)ch : '_';
		}
		nm[i].idx = i;
	}
	/* Sort to find duplicates in O(n log n); keep the lowest index. */
	memcpy(sorted, nm, acl->n * sizeof(*nm));
	qsort(sorted, acl->n, sizeof(*sorted), gpio_name_cmp);
	for (i = 1; i < acl->n; i++)
		if (sorted[i].s[0] && !strcmp(sorted[i].s, sorted[i - 1].s))
			nm[sorted[i].idx].s[0] = '\0';
	free(sorted);

	for (i = 0; i < acl->n; i++)
		size += strlen(nm[i].s);
	if (size) {
		size += acl->n;
		*names = malloc(size);
		if (!*names) {
			free(nm);
			return -ENOMEM;
		}
		p = *names;
		for (i = 0; i < acl->n; i++) {
			size_t len = strlen(nm[i].s) + 1;

			memcpy(p, nm[i].s, len);
			p += len;
		}
		*names_size = (uint32_t)size;
	}
	free(nm);
	return 0;
}

/* --- life -------------------------------------------------------------- */

/* A table the device can serve: 1..65535 lines, valid providers. */
static bool gpio_acl_valid(const struct vg_acl *acl)
{
	unsigned int i;

	/* ngpio is a le16, and Linux refuses to probe a device with none. */
	if (!acl || !acl->n || acl->n > UINT16_MAX || !acl->lines)
		return false;
	for (i = 0; i < acl->n; i++) {
		const struct vg_acl_line *l = &acl->lines[i];

		if (l->line && !vg_provider_ops_valid(l->prov.ops))
			return false;
	}
	return true;
}

int vg_gpio_new(const struct vg_gpio_params *p, struct vg_gpio **out)
{
	struct vg_gpio *g;
	unsigned int i;
	int rc;

	*out = NULL;
	if (!p || !gpio_acl_valid(p->acl))
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->acl = p->acl;
	g->log = p->log;
	g->reset_hook = p->reset_hook;
	g->reset_arg = p->reset_arg;
	g->cls.name = "virtio-gpio";
	g->cls.device_id = VG_VIRTIO_ID_GPIO;
	g->cls.features = VG_BIT(VG_F_VERSION_1) | VG_BIT(VG_F_ACCESS_PLATFORM);
	if (!p->no_irq)
		g->cls.features |= VG_BIT(VG_GPIO_F_IRQ);
	if (!p->no_indirect)
		g->cls.features |= VG_BIT(VG_F_RING_INDIRECT_DESC);
	if (!p->no_event_idx)
		g->cls.features |= VG_BIT(VG_F_RING_EVENT_IDX);
	g->cls.config_size = sizeof(struct vg_gpio_config);
	g->cls.num_queues = gpio_num_queues;
	g->cls.config_read = gpio_config_read;
	g->cls.kick = gpio_kick;
	g->cls.reset = gpio_reset;
	g->cls.queue_stop = gpio_queue_stop;

	g->lines = calloc(p->acl->n ? p->acl->n : 1, sizeof(*g->lines));
	if (!g->lines) {
		rc = -ENOMEM;
		goto err;
	}
	rc = gpio_names_build(p->acl, &g->names, &g->names_size);
	if (rc)
		goto err;
	rc = vg_vdev_init(&g->vd, &g->cls, g, &p->bus, p->log);
	if (rc)
		goto err;
	/* Every line starts at its safe state, whatever it was opened in. */
	for (i = 0; i < p->acl->n; i++)
		g->lines[i].dirty = true;
	gpio_drop_all(g);
	*out = g;
	return 0;
err:
	free(g->names);
	free(g->lines);
	free(g);
	return rc;
}

int vg_gpio_set_acl(struct vg_gpio *g, const struct vg_acl *acl)
{
	struct gpio_line *lines;
	uint8_t *names;
	uint32_t names_size;
	int rc;

	if (!gpio_acl_valid(acl))
		return -EINVAL;
	if (g->vd.status != 0)
		return -EBUSY;
	lines = calloc(acl->n, sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	rc = gpio_names_build(acl, &names, &names_size);
	if (rc) {
		free(lines);
		return rc;
	}
	/* Lines the old table held were dropped by the reset. */
	free(g->lines);
	free(g->names);
	g->acl = acl;
	g->lines = lines;
	g->names = names;
	g->names_size = names_size;
	return 0;
}

void vg_gpio_free(struct vg_gpio *g)
{
	unsigned int i;

	if (!g)
		return;
	for (i = 0; i < g->acl->n; i++)
		g->lines[i].dirty = true;
	gpio_drop_all(g);
	free(g->names);
	free(g->lines);
	free(g);
}
