/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Typed little-endian wire fields and small helpers shared by every module.
 *
 * Wire structures never use plain integers for multi-byte fields: they use
 * struct-wrapped little-endian types, so a field cannot be used without
 * going through vg_le*_get()/vg_le*_put(), and the compiler rejects mixing
 * wire and host values.
 */
#ifndef VGPIO_TYPES_H
#define VGPIO_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <endian.h>

struct vg_le16 {
	uint16_t v;
};
struct vg_le32 {
	uint32_t v;
};
struct vg_le64 {
	uint64_t v;
};

static inline uint16_t vg_le16_get(struct vg_le16 x)
{
	return le16toh(x.v);
}
static inline uint32_t vg_le32_get(struct vg_le32 x)
{
	return le32toh(x.v);
}
static inline uint64_t vg_le64_get(struct vg_le64 x)
{
	return le64toh(x.v);
}
static inline struct vg_le16 vg_le16_put(uint16_t v)
{
	struct vg_le16 x = {htole16(v)};
	return x;
}
static inline struct vg_le32 vg_le32_put(uint32_t v)
{
	struct vg_le32 x = {htole32(v)};
	return x;
}
static inline struct vg_le64 vg_le64_put(uint64_t v)
{
	struct vg_le64 x = {htole64(v)};
	return x;
}

#define VG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define VG_UNUSED __attribute__((unused))
#define VG_STATIC_ASSERT(e, msg) _Static_assert(e, msg)

/* Bit n of a 64-bit feature word. */
#define VG_BIT(n) (1ULL << (n))

#endif /* VGPIO_TYPES_H */
