// SPDX-License-Identifier: BSD-3-Clause
/*
 * Split-ring walker. The checks follow docs/validation.md, V10-V20; each
 * rejection names its rule. The driver writes the rings concurrently, so
 * every value is copied out once and only the copy is checked and used
 * (V19).
 */
#include <errno.h>
#include <string.h>
#include "vring.h"

static const char *const vring_errstr[VG_VRING_E_NR] = {
	[VG_VRING_OK] = "no error",
	[VG_VRING_E_AVAIL_IDX] = "avail index ran more than queue size ahead",
	[VG_VRING_E_HEAD] = "chain head out of range",
	[VG_VRING_E_NEXT] = "descriptor next out of range",
	[VG_VRING_E_INDIRECT_NEXT] = "indirect descriptor next out of range",
	[VG_VRING_E_CHAIN_LONG] = "descriptor loop or chain over queue size",
	[VG_VRING_E_INDIRECT_FEATURE] = "indirect descriptor not negotiated",
	[VG_VRING_E_INDIRECT_LEN] = "bad indirect table length",
	[VG_VRING_E_INDIRECT_NESTED] = "nested indirect descriptor",
	[VG_VRING_E_INDIRECT_WITH_NEXT] = "indirect descriptor with NEXT",
	[VG_VRING_E_ORDER] = "readable descriptor after writable one",
	[VG_VRING_E_ZERO_LEN] = "zero-length descriptor",
	[VG_VRING_E_TOTAL_LEN] = "chain longer than 2^32 - 1 bytes",
	[VG_VRING_E_ACCESS] = "ring, table or buffer not in guest memory",
};

const char *vg_vring_strerror(enum vg_vring_err err)
{
	if ((unsigned int)err >= VG_VRING_E_NR)
		return "unknown ring error";
	return vring_errstr[err];
}

void vg_vq_reset(struct vg_vq *vq)
{
	memset(vq, 0, sizeof(*vq));
}

/* [addr, addr + len) must not wrap past 2^64; len >= 1. */
static bool area_ok(uint64_t addr, uint64_t len, uint64_t align)
{
	return !(addr & (align - 1)) && len - 1 <= UINT64_MAX - addr;
}

int vg_vq_enable(struct vg_vq *vq, bool indirect, bool event_idx)
{
	uint16_t n = vq->size;

	/* V5: the queue size is a power of two no larger than offered. */
	if (!n || (n & (n - 1)) || n > VG_VQ_MAX_SIZE)
		return -EINVAL;
	if (!area_ok(vq->desc, VG_VRING_DESC_BYTES(n), 16) ||
	    !area_ok(vq->avail, VG_VRING_AVAIL_BYTES(n), 2) ||
	    !area_ok(vq->used, VG_VRING_USED_BYTES(n), 4))
		return -EINVAL;
	vq->indirect = indirect;
	vq->event_idx = event_idx;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_valid = false;
	vq->need_signal = false;
	vq->broken = VG_VRING_OK;
	vq->ready = true;
	return 0;
}

static int fail(struct vg_vq *vq, enum vg_vring_err e, enum vg_vring_err *err)
{
	vq->broken = e;
	*err = e;
	return -EPROTO;
}

/* Number of chains available, checked against V10; -EPROTO on violation. */
static int avail_count(struct vg_vq *vq, const struct vg_bus *bus,
		       enum vg_vring_err *err)
{
	uint16_t idx, delta;

	*err = VG_VRING_OK;
	if (vq->broken)
		return fail(vq, vq->broken, err);
	if (!vq->ready)
		return 0;
	if (vg_bus_read16(bus, vq->avail + VG_VRING_AVAIL_IDX, &idx))
		return fail(vq, VG_VRING_E_ACCESS, err);
	/* V10: the driver can be at most a full ring ahead of us. */
	delta = (uint16_t)(idx - vq->last_avail);
	if (delta > vq->size)
		return fail(vq, VG_VRING_E_AVAIL_IDX, err);
	return delta;
}

int vg_vq_avail(struct vg_vq *vq, const struct vg_bus *bus,
		enum vg_vring_err *err)
{
	int rc = avail_count(vq, bus, err);

	return rc > 0 ? 1 : rc;
}

/*
 * Where the walk currently reads descriptors: the queue's table, or one
 * indirect table. @n bounds next (V12).
 */
struct walk {
	uint64_t table;
	uint32_t n;
	bool indirect;
};

/* Walk the chain at @head into @c. Returns VG_VRING_OK or the violation. */
static enum vg_vring_err walk_chain(const struct vg_vq *vq,
				    const struct vg_bus *bus, uint16_t head,
				    struct vg_chain *c)
{
	struct walk w = {.table = vq->desc, .n = vq->size};
	uint64_t total = 0;
	unsigned int count = 0;
	uint32_t i = head;

	c->head = head;
	c->nread = c->nwrite = 0;
	c->read_len = c->write_len = 0;
	for (;;) {
		struct vg_vring_desc d;
		uint16_t flags, next;
		uint32_t len;

		/* V18, V19: the entry must be guest memory; copy it once. */
		if (vg_bus_read(bus, w.table + 16 * (uint64_t)i, &d, sizeof(d)))
			return VG_VRING_E_ACCESS;
		flags = vg_le16_get(d.flags);
		len = vg_le32_get(d.len);
		next = vg_le16_get(d.next);

		if (flags & VG_VRING_DESC_F_INDIRECT) {
			uint64_t addr = vg_le64_get(d.addr);

			/* V14, in this order: feature, nesting, NEXT, len. */
			if (!vq->indirect)
				return VG_VRING_E_INDIRECT_FEATURE;
			if (w.indirect)
				return VG_VRING_E_INDIRECT_NESTED;
			if (flags & VG_VRING_DESC_F_NEXT)
				return VG_VRING_E_INDIRECT_WITH_NEXT;
			if (len == 0 || len % sizeof(d))
				return VG_VRING_E_INDIRECT_LEN;
			/* Entry addresses are computed: they must not wrap. */
			if (!area_ok(addr, len, 1))
				return VG_VRING_E_ACCESS;
			/*
			 * The WRITE flag of a table descriptor is ignored
			 * (split-ring.tex). The table pointer is not a buffer
			 * and is not counted; its entries are.
			 */
			w.table = addr;
			w.n = len / (uint32_t)sizeof(d);
			w.indirect = true;
			i = 0;
			continue;
		}

		/*
		 * V13: direct and indirect buffers together at most the
		 * queue size. This also ends any loop, in either table.
		 */
		if (++count > vq->size)
			return VG_VRING_E_CHAIN_LONG;
		/* V16, V17: no zero-length buffer, total within 32 bits. */
		if (len == 0)
			return VG_VRING_E_ZERO_LEN;
		/*
		 * V18: a range wrapping past 2^64 never translates; checked
		 * here once so that vg_chain_read/write can add offsets.
		 */
		if (!area_ok(vg_le64_get(d.addr), len, 1))
			return VG_VRING_E_ACCESS;
		total += len;
		if (total > UINT32_MAX)
			return VG_VRING_E_TOTAL_LEN;
		c->iov[c->nread + c->nwrite].addr = vg_le64_get(d.addr);
		c->iov[c->nread + c->nwrite].len = len;
		if (flags & VG_VRING_DESC_F_WRITE) {
			c->nwrite++;
			c->write_len += len;
		} else {
			/* V15: readable buffers all come first. */
			if (c->nwrite)
				return VG_VRING_E_ORDER;
			c->nread++;
			c->read_len += len;
		}

		if (!(flags & VG_VRING_DESC_F_NEXT))
			return VG_VRING_OK;
		/* V12: next indexes the table we are walking. */
		if (next >= w.n)
			return w.indirect ? VG_VRING_E_INDIRECT_NEXT
					  : VG_VRING_E_NEXT;
		i = next;
	}
}

int vg_vq_pop(struct vg_vq *vq, const struct vg_bus *bus, struct vg_chain *c,
	      enum vg_vring_err *err)
{
	enum vg_vring_err e;
	uint16_t head;
	int rc;

	rc = avail_count(vq, bus, err);
	if (rc <= 0)
		return rc;
	/*
	 * avail->idx before the ring entry it covers: otherwise we could read
	 * the slot (and descriptors) as they were before the driver filled
	 * them.
	 */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (vg_bus_read16(
		    bus,
		    vq->avail + VG_VRING_AVAIL_RING(vq->last_avail % vq->size),
		    &head))
		return fail(vq, VG_VRING_E_ACCESS, err);
	/* V11 */
	if (head >= vq->size)
		return fail(vq, VG_VRING_E_HEAD, err);
	e = walk_chain(vq, bus, head, c);
	if (e != VG_VRING_OK)
		return fail(vq, e, err);
	vq->last_avail++;

	if (vq->event_idx) {
		if (vg_bus_write16(bus,
				   vq->used + VG_VRING_AVAIL_EVENT(vq->size),
				   vq->last_avail))
			return fail(vq, VG_VRING_E_ACCESS, err);
		/*
		 * avail_event before our next read of avail->idx: else the
		 * driver may add a chain, read the old avail_event and not
		 * kick, while we read the old avail->idx and go idle.
		 */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	return 1;
}

int vg_vq_push(struct vg_vq *vq, const struct vg_bus *bus, uint16_t head,
	       uint32_t len)
{
	struct vg_vring_used_elem e = {
		.id = vg_le32_put(head),
		.len = vg_le32_put(len),
	};

	if (!vq->ready || head >= vq->size)
		return -EINVAL;
	if (vg_bus_write(bus,
			 vq->used + VG_VRING_USED_RING(vq->used_idx % vq->size),
			 &e, sizeof(e)))
		return -EFAULT;
	/*
	 * The used element before used->idx: a driver that sees the new
	 * index must find the element filled in.
	 */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (vg_bus_write16(bus, vq->used + VG_VRING_USED_IDX,
			   (uint16_t)(vq->used_idx + 1)))
		return -EFAULT;
	vq->used_idx++;
	vq->need_signal = true;
	return 0;
}

bool vg_vq_should_notify(struct vg_vq *vq, const struct vg_bus *bus)
{
	uint16_t old, v;
	bool valid;

	if (!vq->need_signal)
		return false;
	vq->need_signal = false;
	/*
	 * used->idx before used_event / avail->flags: else the driver may
	 * re-enable interrupts and re-check used->idx (old), while we read
	 * its stale suppression and skip the interrupt: a lost wake-up.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx) {
		/* Unreadable flags: notify, a spurious interrupt is harmless. */
		if (vg_bus_read16(bus, vq->avail + VG_VRING_AVAIL_FLAGS, &v))
			return true;
		return !(v & VG_VRING_AVAIL_F_NO_INTERRUPT);
	}
	old = vq->signalled_used;
	valid = vq->signalled_valid;
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	if (vg_bus_read16(bus, vq->avail + VG_VRING_USED_EVENT(vq->size), &v))
		return true;
	return !valid || vg_vring_need_event(v, vq->used_idx, old);
}

/*
 * Copy between @buf and the part [first, first + n) of the chain's iovs,
 * starting @off bytes into that part. V20: no assumption on how the
 * driver split the bytes over descriptors.
 */
static long chain_copy(const struct vg_bus *bus, const struct vg_chain *c,
		       unsigned int first, unsigned int n, uint32_t off,
		       void *buf, size_t len, bool write)
{
	uint8_t *b = buf;
	size_t done = 0;

	for (unsigned int k = first; k < first + n && done < len; k++) {
		const struct vg_iov *iov = &c->iov[k];
		size_t chunk;
		int rc;

		if (off >= iov->len) {
			off -= iov->len;
			continue;
		}
		chunk = iov->len - off;
		if (chunk > len - done)
			chunk = len - done;
		if (write)
			rc = vg_bus_write(bus, iov->addr + off, b + done,
					  chunk);
		else
			rc = vg_bus_read(bus, iov->addr + off, b + done, chunk);
		if (rc)
			return -EFAULT;
		done += chunk;
		off = 0;
	}
	return (long)done;
}

long vg_chain_read(const struct vg_bus *bus, const struct vg_chain *c,
		   uint32_t off, void *buf, size_t len)
{
	return chain_copy(bus, c, 0, c->nread, off, buf, len, false);
}

long vg_chain_write(const struct vg_bus *bus, const struct vg_chain *c,
		    uint32_t off, const void *buf, size_t len)
{
	return chain_copy(bus, c, c->nread, c->nwrite, off,
			  (void *)(uintptr_t)buf, len, true);
}

void vg_chain_release(const struct vg_bus *bus, struct vg_chain_hold *h)
{
	unsigned int i;

	for (i = 0; i < h->n; i++)
		if (bus->ops->unmap)
			bus->ops->unmap(bus->ctx, h->ptr[i], h->plen[i]);
	h->n = 0;
	h->len = 0;
}

int vg_chain_hold(const struct vg_bus *bus, const struct vg_chain *c,
		  size_t len, struct vg_chain_hold *h)
{
	unsigned int k, end = (unsigned int)c->nread + c->nwrite;
	size_t done = 0;

	h->n = 0;
	h->len = 0;
	if (!len || len > VG_CHAIN_HOLD_MAX || len > c->write_len)
		return -EINVAL;
	for (k = c->nread; k < end && done < len; k++) {
		const struct vg_iov *iov = &c->iov[k];
		uint32_t off = 0;

		while (off < iov->len && done < len) {
			size_t want = iov->len - off, n = 0;
			uint8_t *p;

			if (want > len - done)
				want = len - done;
			/* Cannot wrap: the walker checked every buffer. */
			p = bus->ops->map(bus->ctx, iov->addr + off, want,
					  VG_PROT_WRITE, &n);
			if (!p)
				goto fail;
			/*
			 * Fewer than VG_CHAIN_HOLD_MAX bytes are held yet,
			 * each piece at least one: there is a free slot. A
			 * map() breaking its contract still gets its unmap().
			 */
			h->ptr[h->n] = p;
			h->plen[h->n] = n;
			h->n++;
			if (n == 0 || n > want)
				goto fail;
			off += (uint32_t)n;
			done += n;
		}
	}
	h->len = done;
	return 0;
fail:
	vg_chain_release(bus, h);
	return -EFAULT;
}

void vg_chain_hold_write(struct vg_chain_hold *h, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	unsigned int i;

	for (i = 0; i < h->n && len; i++) {
		size_t n = h->plen[i] < len ? h->plen[i] : len;

		memcpy(h->ptr[i], b, n);
		b += n;
		len -= n;
	}
}
