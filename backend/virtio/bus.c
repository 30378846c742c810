// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <string.h>
#include <vgpio/transport.h>

bool vg_transport_ops_valid(const struct vg_transport_ops *ops)
{
	return ops && ops->name && ops->map && ops->set_irq;
}

static int copy(const struct vg_bus *bus, uint64_t addr, void *buf, size_t len,
		unsigned int prot)
{
	uint8_t *b = buf;

	while (len) {
		size_t n = 0;
		uint8_t *p = bus->ops->map(bus->ctx, addr, len, prot, &n);

		if (!p)
			return -EFAULT;
		/* A map() breaking its contract still gets its unmap(). */
		if (n == 0 || n > len) {
			if (bus->ops->unmap)
				bus->ops->unmap(bus->ctx, p, n);
			return -EFAULT;
		}
		if (prot & VG_PROT_WRITE)
			memcpy(p, b, n);
		else
			memcpy(b, p, n);
		if (bus->ops->unmap)
			bus->ops->unmap(bus->ctx, p, n);
		b += n;
		len -= n;
		/* V18: a range wrapping past 2^64 is not guest memory. */
		if (len && addr + n < addr)
			return -EFAULT;
		addr += n;
	}
	return 0;
}

int vg_bus_read(const struct vg_bus *bus, uint64_t addr, void *buf, size_t len)
{
	return copy(bus, addr, buf, len, VG_PROT_READ);
}

int vg_bus_write(const struct vg_bus *bus, uint64_t addr, const void *buf,
		 size_t len)
{
	return copy(bus, addr, (void *)(uintptr_t)buf, len, VG_PROT_WRITE);
}

/*
 * Ring indices are shared with a concurrently running driver: one aligned
 * 16-bit load (VG_PROT_READ) or store (VG_PROT_WRITE) of *val, never a
 * byte copy that could be torn (validation.md V19). Only a piece shorter
 * than 2 bytes (the tests' one-byte mode) falls back to a copy.
 */
static int access16(const struct vg_bus *bus, uint64_t addr, uint16_t *val,
		    unsigned int prot)
{
	size_t n = 0;
	uint16_t *p;

	if (addr & 1)
		return -EFAULT;
	p = bus->ops->map(bus->ctx, addr, 2, prot, &n);
	if (!p)
		return -EFAULT;
	if (n < 2 || ((uintptr_t)p & 1)) {
		if (bus->ops->unmap)
			bus->ops->unmap(bus->ctx, p, n);
		return copy(bus, addr, val, 2, prot);
	}
	if (prot & VG_PROT_WRITE)
		__atomic_store_n(p, *val, __ATOMIC_RELAXED);
	else
		*val = __atomic_load_n(p, __ATOMIC_RELAXED);
	if (bus->ops->unmap)
		bus->ops->unmap(bus->ctx, p, n);
	return 0;
}

int vg_bus_read16(const struct vg_bus *bus, uint64_t addr, uint16_t *val)
{
	return access16(bus, addr, val, VG_PROT_READ);
}

int vg_bus_write16(const struct vg_bus *bus, uint64_t addr, uint16_t val)
{
	return access16(bus, addr, &val, VG_PROT_WRITE);
}
