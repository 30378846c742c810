/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration (policy) file: simulated chips and per-domain line
 * sets. Format in docs/vgpio-policy.5.md; summary:
 *
 *   # comment                      blank lines and comments anywhere
 *   [sim NAME]                     a simulated chip
 *   lines = N                      1..512
 *   names = A B - D                N names, "-" = unnamed (optional)
 *   wire = OUT -> IN               OUT drives IN; [chip:]line, line = name
 *                                  or offset (repeatable)
 *   pull = LINE up|down            initial pull (repeatable)
 *
 *   [domain NAME]                  a guest, by domain name
 *   lines = CHIP L [L ...][, CHIP L ...]   the ordered line set: guest
 *                                  line i is entry i (aggregator syntax)
 *   line REF = OPT ...             per-line options; REF = guest index or
 *                                  the host line as written in "lines"
 *     OPT: name=S allow=in,out,irq safe=input|low|high
 *          bias=as-is|disabled|pull-up|pull-down
 *          drive=push-pull|open-drain|open-source
 *          active-low=yes|no debounce=USEC
 *   xen-device = base=ADDR irq=N [irqtype=isa|spi] [grants=0|1]
 *                                  a Xen device window vgpiod serves to
 *                                  every domain of this name from its
 *                                  creation (after `lines`; optional)
 *
 * The parser is strict: unknown sections and keys, duplicates, trailing
 * garbage, numbers out of range, a host line in two domains and duplicate
 * guest names are errors, reported as a struct vg_config_err (file, line,
 * column, message) or as the text "SOURCE:LINE:COL: message". A
 * xen-device's values follow vgpiod --device's rules (transports/xen/
 * devspec.h: base and irq decimal or 0x hexadecimal, base a multiple of
 * 0x200) with no domid; its irq must fit its irqtype (without one: an ISA
 * IRQ 1..15 or a GIC SPI 32..1019), and an ISA IRQ an HVM guest's
 * firmware routes elsewhere is an error (vg_devspec_isa_use). Two domains
 * may have windows at the same base: they are different guests. Pure code
 * over a buffer (no I/O except vg_config_load), fuzzed.
 */
#ifndef VGPIO_CONFIG_H
#define VGPIO_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <vgpio/provider.h>
#include "acl.h"
#include "devspec.h"

#define VG_CONFIG_NAME_MAX 63 /* chip and domain names, bytes */

struct vg_config_wire {
	char *out_chip, *out_line;
	char *in_chip, *in_line;
};

struct vg_config_pull {
	char *line;
	int value;
};

struct vg_config_sim {
	char *name;
	unsigned int nlines;
	char **names; /* nlines entries, NULL = unnamed; or NULL */
	unsigned int nwires;
	struct vg_config_wire *wires;
	unsigned int npulls;
	struct vg_config_pull *pulls;
};

struct vg_config_line {
	char *chip; /* as written */
	char *line; /* as written: name or offset */
	char name[VG_GPIO_NAME_MAX + 1]; /* guest name; "" = use host name */
	unsigned int allow; /* VG_ALLOW_*, default VG_ALLOW_ALL */
	enum vg_safe safe; /* default VG_SAFE_INPUT */
	enum vg_bias bias;
	enum vg_drive drive;
	bool active_low;
	uint32_t debounce_us;
};

struct vg_config_domain {
	char *name;
	unsigned int nlines;
	struct vg_config_line *lines;
	/*
	 * xen-device: the window every domain of this name gets (domid 0;
	 * irq_kind VG_IRQ_DEFAULT when no irqtype was given).
	 */
	bool has_xen_device;
	struct vg_devspec xen_device;
};

struct vg_config {
	unsigned int nsims;
	struct vg_config_sim *sims;
	unsigned int ndomains;
	struct vg_config_domain *domains;
};

#define VG_CONFIG_ERR_MSG_MAX 256

/*
 * Why a policy was refused, and where: what tools show to people, map to
 * their own arguments, or send on as JSON.
 */
struct vg_config_err {
	/*
	 * The file (the parser's @source, borrowed: valid while it is), or
	 * NULL when the error is not about a place in a file.
	 */
	const char *file;
	unsigned int line, col; /* from 1; 0 when there is no position */
	char msg[VG_CONFIG_ERR_MSG_MAX]; /* why, without file or position */
};

/*
 * The policy's words for a line's safe state, bias and drive, indexed by
 * the enum value (enum vg_safe, vg_bias, vg_drive): what the parser
 * accepts, the writer writes and the tools print.
 */
extern const char *const vg_config_safe_words[3];
extern const char *const vg_config_bias_words[4];
extern const char *const vg_config_drive_words[3];

/*
 * Parse @len bytes of @text (need not be NUL-terminated). On success 0 and
 * *out; on error -EINVAL (or -ENOMEM) and, if @err is not NULL, @err
 * filled: file @source (NULL: "config"), line and column of the offending
 * token (0 for out of memory). Never logs.
 */
int vg_config_parse_err(const char *text, size_t len, const char *source,
			struct vg_config **out, struct vg_config_err *err);
/*
 * Read and parse the file at @path; errors as above (-errno on I/O, then
 * @err has file @path, no position and the errno's text).
 */
int vg_config_load_err(const char *path, struct vg_config **out,
		       struct vg_config_err *err);
/*
 * @e as text into @buf: "FILE:LINE:COL: message", "FILE: message" without
 * a position, "message" without a file.
 */
void vg_config_err_format(const struct vg_config_err *e, char *buf, size_t len);
struct vg_jw;
/*
 * @e as JSON with @w: {"file":F,"line":L,"column":C,"message":M}, null
 * for a file, line and column it does not have.
 */
void vg_config_err_json(struct vg_jw *w, const struct vg_config_err *e);
/* As vg_config_parse_err(), the error formatted into @err (may be NULL). */
int vg_config_parse(const char *text, size_t len, const char *source,
		    struct vg_config **out, char *err, size_t errlen);
/* As vg_config_load_err(), the error formatted into @err (may be NULL). */
int vg_config_load(const char *path, struct vg_config **out, char *err,
		   size_t errlen);
void vg_config_free(struct vg_config *cfg);

const struct vg_config_domain *vg_config_domain(const struct vg_config *cfg,
						const char *name);

/*
 * Can @d be a domain's xen-device (the rules above)? 0, or -EINVAL with
 * why in @err ("irq=5: ..."), as the parser says it.
 */
int vg_config_xen_device_check(const struct vg_devspec *d, char *err,
			       size_t errlen);

/* The built-in demo configuration (a board with LEDs and a button). */
extern const char vg_config_demo[];

/*
 * Writing policy text (backend/policy/cfgwrite.c), for tools that edit the
 * file.
 * Pure code over buffers: no I/O, never logs.
 *
 * vg_config_write_domain: @d as a "[domain NAME]" section ending with a
 * newline: its `lines` key (consecutive lines of one chip in one group),
 * its `xen-device` if it has one (irqtype and grants only when not the
 * default), then a `line INDEX = ...` entry for each line with an option
 * that is not its default, naming only those options. Parsing the text (with the
 * sim sections @d refers to) gives @d back. 0 and a malloc'ed
 * NUL-terminated string in *out (its length in *len if @len is not
 * NULL); -EINVAL if @d cannot be written as a valid section (no lines; a
 * name, chip or line that is not a policy word; an allow mask that is 0
 * or has unknown bits; an option value out of range; a xen-device the
 * parser would refuse); -ENOMEM.
 *
 * vg_config_find_section: where section [@type @name] is in @text (@len
 * bytes that vg_config_parse accepts): *start is the first byte of its
 * header line, *end the byte after the line end of its last key line.
 * Comment and blank lines after the last key stay outside: they usually
 * introduce the next section. 1 if found, 0 if not, -EINVAL if a line
 * does not scan, -ENOMEM.
 */
int vg_config_write_domain(const struct vg_config_domain *d, char **out,
			   size_t *len);
int vg_config_find_section(const char *text, size_t len, const char *type,
			   const char *name, size_t *start, size_t *end);

#endif /* VGPIO_CONFIG_H */
