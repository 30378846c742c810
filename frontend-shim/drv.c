// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vgpio/loop_proto.h>
#include <vgpio/virtio_ring.h>
#include "drv.h"

#define PAGE_SIZE VG_GRANT_PAGE_SIZE

static uint64_t round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

static struct vg_grant_entry *grant_entry(const struct vg_drv_mem *m,
					  uint32_t gref)
{
	return (struct vg_grant_entry *)vg_drv_ptr(m, m->gnttab) + gref;
}

int vg_drv_mem_init(struct vg_drv_mem *m, uint64_t base, size_t size,
		    bool grants)
{
	uint64_t npages = size / PAGE_SIZE;
	void *p;
	int rc;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (!size || size % PAGE_SIZE || base % PAGE_SIZE ||
	    base > UINT64_MAX - size)
		return -EINVAL;
	/* Grant frames are 32-bit page numbers. */
	if (grants && ((base + size - 1) >> VG_GRANT_PAGE_SHIFT) > UINT32_MAX)
		return -EINVAL;
	if (grants && (2 * npages > UINT32_MAX ||
		       2 * npages * sizeof(struct vg_grant_entry) >= size))
		return -EINVAL;

	/* Sealable: vgpiod seals the RAM it maps against shrinking. */
	m->fd = memfd_create("vgpio-guest-ram",
			     MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (m->fd < 0)
		return -errno;
	if (ftruncate(m->fd, (off_t)size) < 0) {
		rc = -errno;
		goto err_fd;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		goto err_fd;
	}
	m->host = p;
	m->base = base;
	m->size = size;
	m->brk = base;
	m->grants = grants;
	if (grants) {
		uint32_t n = (uint32_t)npages;

		m->gnttab = base;
		m->nr_grants = 2 * n;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t frame =
				(uint32_t)((base >> VG_GRANT_PAGE_SHIFT) + i);

			grant_entry(m, i)->frame = vg_le32_put(frame);
			grant_entry(m, i)->flags =
				vg_le16_put(VG_GTF_PERMIT_ACCESS);
			grant_entry(m, n + i)->frame = vg_le32_put(frame);
			grant_entry(m, n + i)->flags = vg_le16_put(
				VG_GTF_PERMIT_ACCESS | VG_GTF_READONLY);
		}
		m->brk = base +
			 round_up(m->nr_grants * sizeof(struct vg_grant_entry),
				  PAGE_SIZE);
	}
	/* Guest address 0 is vg_drv_alloc()'s failure value: never hand it out. */
	if (m->brk == 0)
		m->brk = PAGE_SIZE;
	return 0;

err_fd:
	close(m->fd);
	m->fd = -1;
	return rc;
}

void vg_drv_mem_dispose(struct vg_drv_mem *m)
{
	if (!m)
		return;
	if (m->host)
		munmap(m->host, m->size);
	if (m->fd >= 0)
		close(m->fd);
	m->host = NULL;
	m->fd = -1;
}

uint64_t vg_drv_alloc(struct vg_drv_mem *m, size_t len, size_t align)
{
	uint64_t end = m->base + m->size;
	uint64_t a;

	if (align == 0)
		align = 1;
	if (align & (align - 1))
		return 0;
	a = round_up(m->brk, align);
	if (a < m->brk || a > end || len > end - a)
		return 0;
	memset(vg_drv_ptr(m, a), 0, len);
	m->brk = a + len;
	return a;
}

void *vg_drv_ptr(const struct vg_drv_mem *m, uint64_t gpa)
{
	if (gpa < m->base || gpa - m->base >= m->size)
		return NULL;
	return m->host + (gpa - m->base);
}

uint64_t vg_drv_dma(const struct vg_drv_mem *m, uint64_t gpa, bool ro)
{
	uint64_t page = (gpa - m->base) >> VG_GRANT_PAGE_SHIFT;

	if (!m->grants)
		return gpa;
	if (ro)
		page += m->nr_grants / 2;
	return VG_GRANT_ADDR(page, gpa);
}

void vg_drv_grant_set(struct vg_drv_mem *m, uint64_t gpa, bool permit)
{
	uint32_t page = (uint32_t)((gpa - m->base) >> VG_GRANT_PAGE_SHIFT);
	uint32_t half = m->nr_grants / 2;
	uint32_t grefs[2] = {page, half + page};

	if (!m->grants || page >= half)
		return;
	for (size_t i = 0; i < VG_ARRAY_SIZE(grefs); i++) {
		struct vg_grant_entry *e = grant_entry(m, grefs[i]);
		uint16_t f = vg_le16_get(e->flags);

		if (permit)
			f |= VG_GTF_PERMIT_ACCESS;
		else
			f &= (uint16_t)~VG_GTF_PERMIT_ACCESS;
		/* The device copies entries at any time: one store, no tear. */
		__atomic_store_n(&e->flags.v, vg_le16_put(f).v,
				 __ATOMIC_RELEASE);
	}
}

/* --- split virtqueue ------------------------------------------------------ */

static struct vg_vring_desc *desc_at(const struct vg_drv_vq *vq, uint64_t tbl,
				     uint16_t i)
{
	return (struct vg_vring_desc *)vg_drv_ptr(vq->mem, tbl) + i;
}

static uint16_t *idx16(const struct vg_drv_vq *vq, uint64_t gpa)
{
	return vg_drv_ptr(vq->mem, gpa);
}

static uint16_t load16(const struct vg_drv_vq *vq, uint64_t gpa)
{
	return vg_le16_get((struct vg_le16){
		__atomic_load_n(idx16(vq, gpa), __ATOMIC_RELAXED)});
}

static void store16(const struct vg_drv_vq *vq, uint64_t gpa, uint16_t v)
{
	__atomic_store_n(idx16(vq, gpa), vg_le16_put(v).v, __ATOMIC_RELAXED);
}

int vg_drv_vq_init(struct vg_drv_vq *vq, struct vg_drv_mem *m, uint16_t size,
		   bool indirect, bool event_idx)
{
	memset(vq, 0, sizeof(*vq));
	if (!size || (size & (size - 1)) || size > VG_DRV_VQ_MAX)
		return -EINVAL;
	vq->mem = m;
	vq->size = size;
	vq->indirect = indirect;
	vq->event_idx = event_idx;
	vq->desc = vg_drv_alloc(m, VG_VRING_DESC_BYTES(size), 16);
	vq->avail = vg_drv_alloc(m, VG_VRING_AVAIL_BYTES(size), 2);
	vq->used = vg_drv_alloc(m, VG_VRING_USED_BYTES(size), 4);
	if (!vq->desc || !vq->avail || !vq->used)
		return -ENOMEM;
	for (unsigned int i = 0; indirect && i < size; i++) {
		vq->itable[i] = vg_drv_alloc(m, VG_VRING_DESC_BYTES(size), 16);
		if (!vq->itable[i])
			return -ENOMEM;
	}
	for (unsigned int i = 0; i < size; i++)
		vq->next[i] = (uint16_t)((i + 1) % size);
	vq->free_head = 0;
	vq->num_free = size;
	return 0;
}

static void desc_fill(const struct vg_drv_vq *vq, struct vg_vring_desc *d,
		      const struct vg_drv_sg *sg, bool more, uint16_t next)
{
	uint16_t flags = sg->write ? VG_VRING_DESC_F_WRITE : 0;

	if (more)
		flags |= VG_VRING_DESC_F_NEXT;
	/* Device-readable buffers go through read-only grants. */
	d->addr = vg_le64_put(vg_drv_dma(vq->mem, sg->gpa, !sg->write));
	d->len = vg_le32_put(sg->len);
	d->flags = vg_le16_put(flags);
	d->next = vg_le16_put(more ? next : 0);
}

int vg_drv_vq_add(struct vg_drv_vq *vq, const struct vg_drv_sg *sg,
		  unsigned int n, void *token)
{
	bool indirect;
	uint16_t head, i;

	if (!n || n > vq->size || !token)
		return -EINVAL;
	indirect = vq->indirect && n > 1 && vq->num_free >= 1;
	if (vq->num_free < (indirect ? 1 : n))
		return -ENOSPC;

	head = vq->free_head;
	if (indirect) {
		struct vg_vring_desc *d = desc_at(vq, vq->desc, head);

		for (i = 0; i < n; i++)
			desc_fill(vq, desc_at(vq, vq->itable[head], i), &sg[i],
				  i + 1u < n, (uint16_t)(i + 1));
		/* The device only reads the table: a read-only grant. */
		d->addr = vg_le64_put(
			vg_drv_dma(vq->mem, vq->itable[head], true));
		d->len = vg_le32_put((uint32_t)(n * sizeof(*d)));
		d->flags = vg_le16_put(VG_VRING_DESC_F_INDIRECT);
		d->next = vg_le16_put(0);
		vq->free_head = vq->next[head];
		vq->num_free--;
		vq->ndesc[head] = 1;
	} else {
		uint16_t cur = head;

		for (i = 0; i < n; i++) {
			desc_fill(vq, desc_at(vq, vq->desc, cur), &sg[i],
				  i + 1u < n, vq->next[cur]);
			cur = vq->next[cur];
		}
		vq->free_head = cur;
		vq->num_free = (uint16_t)(vq->num_free - n);
		vq->ndesc[head] = (uint16_t)n;
	}
	vq->token[head] = token;

	store16(vq, vq->avail + VG_VRING_AVAIL_RING(vq->avail_idx % vq->size),
		head);
	/*
	 * Descriptors and ring entry before the index: a device that sees the
	 * new avail->idx must not read the old ring entry or descriptors.
	 */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->avail_idx++;
	store16(vq, vq->avail + VG_VRING_AVAIL_IDX, vq->avail_idx);
	return 0;
}

bool vg_drv_vq_kick_prepare(struct vg_drv_vq *vq)
{
	uint16_t old = vq->kicked_idx, new_idx = vq->avail_idx;

	/*
	 * Store of avail->idx before the load of the device's suppression
	 * state: otherwise the device may find the ring empty and re-enable
	 * notifications while we read its stale "no notify" and both sleep.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->kicked_idx = new_idx;
	if (vq->event_idx)
		return vg_vring_need_event(
			load16(vq, vq->used + VG_VRING_AVAIL_EVENT(vq->size)),
			new_idx, old);
	return !(load16(vq, vq->used + VG_VRING_USED_FLAGS) &
		 VG_VRING_USED_F_NO_NOTIFY);
}

static void detach(struct vg_drv_vq *vq, uint16_t head)
{
	uint16_t last = head;

	for (unsigned int k = 1; k < vq->ndesc[head]; k++)
		last = vq->next[last];
	vq->next[last] = vq->free_head;
	vq->free_head = head;
	vq->num_free = (uint16_t)(vq->num_free + vq->ndesc[head]);
	vq->ndesc[head] = 0;
	vq->token[head] = NULL;
}

void vg_drv_vq_enable_cb(struct vg_drv_vq *vq)
{
	if (!vq->event_idx)
		return;
	store16(vq, vq->avail + VG_VRING_USED_EVENT(vq->size), vq->last_used);
	/*
	 * used_event before any later look at used->idx: else the device may
	 * publish, read the stale used_event and skip the interrupt while we
	 * read the stale used->idx and wait for it.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void *vg_drv_vq_get(struct vg_drv_vq *vq, uint32_t *len)
{
	struct vg_vring_used_elem e;
	uint32_t id;
	void *token;

	*len = 0;
	if (load16(vq, vq->used + VG_VRING_USED_IDX) == vq->last_used)
		return NULL;
	/* used->idx before the entry it covers: never read a stale entry. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	memcpy(&e,
	       vg_drv_ptr(vq->mem, vq->used + VG_VRING_USED_RING(vq->last_used %
								 vq->size)),
	       sizeof(e));
	vq->last_used++;
	id = vg_le32_get(e.id);
	if (id >= vq->size || !vq->token[id]) {
		*len = UINT32_MAX;
		return NULL;
	}
	token = vq->token[id];
	*len = vg_le32_get(e.len);
	detach(vq, (uint16_t)id);
	vg_drv_vq_enable_cb(vq);
	return token;
}
