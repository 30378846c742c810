/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one strict number parser, for everything a person or a peer writes:
 * policy files, command-line options, xenstore nodes, line references.
 *
 * A decimal number is "0" or a non-zero digit followed by digits: no sign,
 * no spaces, no leading zero (010 would read as octal to some). Where
 * VG_NUM_HEX allows it, "0x" or "0X" and 1 to 16 hexadecimal digits is a
 * number too (leading zeros allowed there: 0x0200). The whole string is
 * the number; a value above @max is out of range, never wrapped.
 *
 * A line reference (a host line in the policy, a sim line, a line a tool
 * names) is an offset if it is a decimal number by this rule, else a
 * name. Sim chips refuse line names that are decimal numbers, so the two
 * readings never compete there; on host chips a line whose name is a
 * decimal number is reached by its offset.
 */
#ifndef VGPIO_NUM_H
#define VGPIO_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VG_NUM_HEX 0x1u /* also accept 0x-prefixed hexadecimal */

/*
 * Parse the @len bytes at @s. 0 and *out; -EINVAL if they are not a
 * number (empty, a sign, a space, another character); -EDOM for a
 * decimal number with a leading zero; -ERANGE if above @max. *out is
 * untouched on failure.
 */
int vg_num_parse(const char *s, size_t len, unsigned int flags, uint64_t max,
		 uint64_t *out);

/* The same for a NUL-terminated string. */
int vg_num(const char *s, unsigned int flags, uint64_t max, uint64_t *out);

/* True if @ref is a line offset (a decimal number), stored in *off. */
bool vg_lineref_offset(const char *ref, unsigned int *off);

#endif /* VGPIO_NUM_H */
