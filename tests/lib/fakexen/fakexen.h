/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake Xen at the library boundary, for tests on machines without a
 * hypervisor.
 *
 * tests/lib/fakexen/fakexen.c implements, in-process, the functions of
 * libxenctrl, libxendevicemodel, libxenforeignmemory, libxenevtchn,
 * libxengnttab, libxenstore and libxentoolcore that the Xen transport
 * (backend/xen*.c) calls, with the prototypes of the real headers (Xen 4.17,
 * <xenctrl.h> etc.). Test binaries link the real transport objects against
 * this fake instead of the real libraries: the transport code under test is
 * the shipped code, only the hypervisor, the kernel drivers and xenstored
 * are simulated.
 *
 * The other side of the fake -- what the guest, the toolstack (libxl) and
 * the hypervisor do -- is driven by the test through the fx_* functions
 * below. The fake enforces the rules the real Xen and Linux enforce, and
 * records every broken rule as a violation (fx_violations()), so a
 * transport that breaks one fails its test:
 *
 *  - ioreq state machine (xen/common/ioreq.c): a slot is only filled when
 *    its state is NONE; when the backend notifies a vCPU port, the slot must
 *    be IORESP_READY, and Xen then moves it to NONE and takes `data`; a state
 *    that went backwards (NONE while a request was outstanding), a state
 *    outside 0..3, or a changed vp_eport is a domain_crash (violation, and
 *    fx_vcpu_poll() reports FX_IO_CRASHED).
 *  - ioreq servers: at most 8 per domain; created only for a live domain;
 *    handle_bufioreq must be HVM_IOREQSRV_BUFIOREQ_OFF for an Arm domain;
 *    only the creating devicemodel handle's domain (always dom0 here) may
 *    map its frames or ranges; vp_eport is written into the ioreq page only
 *    when the page is mapped (map_resource) and the server is enabled, in
 *    that order of events, like ioreq_server_update_evtchn(); ranges are
 *    inclusive [start, end], start <= end, never overlapping another range
 *    of the same server (EEXIST), at most 256; an access reaches a server
 *    only if it is enabled and one range contains every byte of it.
 *  - resources: XENMEM_resource_ioreq_server, frame
 *    XENMEM_resource_ioreq_server_frame_ioreq(0), 1 frame; the bufioreq
 *    frame is ENOENT (buffered ioreqs are off).
 *  - event channels: a guest-side vCPU port can be bound once, only by
 *    dom0, only with xenevtchn_bind_interdomain(domid of its guest); port 0
 *    is never valid; pending ports are delivered once through the handle's
 *    fd and stay masked until xenevtchn_unmask(); notifications while masked
 *    are latched. A restricted handle (xenevtchn_restrict, once, to a
 *    domid in 1..0x7fef) binds only to its domain (EACCES otherwise, as
 *    Linux's evtchn driver answers).
 *  - restriction (xentoolcore_restrict_all and the per-library calls): a
 *    restricted devicemodel or foreignmemory handle refuses every other
 *    domid with EPERM (Linux's privcmd); restricting again to another
 *    domid is EINVAL. restrict_all restricts every devicemodel,
 *    foreignmemory and evtchn handle open at the time to its domid and
 *    dup2()s /dev/null over the others' fds, as the real libraries'
 *    callbacks do: xenstore calls then fail with EBADF, xenctrl and
 *    gnttab calls with ENOTTY. A handle opened afterwards is not
 *    restricted (nor is it in real Xen).
 *  - foreign memory: every gfn must be guest RAM of a live (or dying)
 *    domain; mappings are real shared mmaps of the guest RAM, PROT_READ
 *    mappings are really read-only; unmap must name exactly one earlier
 *    mapping (start and page count).
 *  - grants: a grant must exist, be granted to dom0, and a read-only grant
 *    mapped with PROT_WRITE fails (NULL, errno EACCES) without mapping
 *    anything; mappings are real shared mmaps of the granted frames.
 *    fx_grant_end() fails with -EBUSY while a grant is mapped, like Linux's
 *    gnttab_end_foreign_access_ref() ("Grant still in use by backend
 *    domain"), and that is recorded as a violation.
 *  - interrupts: xendevicemodel_set_irq_level only for an Arm domain, irq
 *    in [32, 32 + nr_spis), level 0 or 1 (EINVAL otherwise; EOPNOTSUPP for
 *    x86 domains); xendevicemodel_set_isa_irq_level only for x86 domains,
 *    irq < 16; for an x86 PVH domain it is a hypervisor crash (violation;
 *    Xen 4.17 crashes injecting into a PVH guest).
 *  - xenstore: a tree of nodes with values; paths absolute or relative to
 *    /local/domain/0; transactions see a snapshot plus their own writes,
 *    and xs_transaction_end fails with EAGAIN if any node the transaction
 *    read or wrote was changed by someone else since it started; writes
 *    create missing parents; watches fire once at registration, then for
 *    every change at or below the watched path (transaction changes on
 *    commit only), and for @releaseDomain / @introduceDomain.
 *  - domains: a destroyed domain stays a zombie while any of its pages,
 *    grants, ioreq pages or ports is still mapped or bound by anyone
 *    (fx_domain_zombie()).
 *
 * One world per process; fx_reset() starts a new one. Not thread-safe.
 * Errors from the fx_* calls are 0 / -errno unless said otherwise.
 */
#ifndef VGPIO_FAKEXEN_H
#define VGPIO_FAKEXEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ioreq; /* <xen/hvm/ioreq.h> */

/* --- world ---------------------------------------------------------------- */

/*
 * Tear down the current world (domains, xenstore, handles the tests left
 * open) and start an empty one: xenstore holds /local/domain/0/name =
 * "Domain-0" and /local/domain/0/domid = "0". Returns the number of
 * resources that were still held at reset (mappings, bound ports, ioreq
 * servers, open library handles); a well-behaved test sees 0.
 */
unsigned int fx_reset(void);

/* Rule violations recorded since fx_reset(), and the text of the last one. */
unsigned int fx_violations(void);
const char *fx_violation_last(void);

/* Live resources, all domains (see the rules above for what counts). */
struct fx_counts {
	unsigned int foreign_maps; /* xenforeignmemory_map mappings */
	unsigned int foreign_pages; /* pages in those mappings */
	unsigned int grant_maps; /* xengnttab mappings */
	unsigned int resource_maps; /* ioreq pages mapped */
	unsigned int ports; /* bound interdomain ports */
	unsigned int servers; /* ioreq servers not destroyed */
	unsigned int ranges; /* MMIO ranges mapped to servers */
	unsigned int handles; /* open xc/dm/fmem/evtchn/gnttab/xs handles */
};
void fx_counts(struct fx_counts *c);

/*
 * Library calls made since fx_reset(), all domains: cumulative, never
 * decremented. Every call counts, also one that failed (an injected
 * failure, a bad gfn or grant). A test proves with these that a code path
 * maps nothing, where the call log (fx_calls) would have to be parsed.
 */
struct fx_totals {
	unsigned long foreign_map_calls; /* xenforeignmemory_map */
	unsigned long foreign_unmap_calls; /* xenforeignmemory_unmap */
	unsigned long grant_map_calls; /* xengnttab_map_*grant_ref* */
	unsigned long grant_unmap_calls; /* xengnttab_unmap */
};
void fx_totals(struct fx_totals *t);

/*
 * Make the next call of the library function named @fn (e.g.
 * "xendevicemodel_create_ioreq_server", "xs_transaction_end") fail with
 * @err (a positive errno), @count times in a row. For testing unwinding.
 */
void fx_fail_next(const char *fn, int err, unsigned int count);

/* --- library handles ------------------------------------------------------ */

enum fx_handle_kind {
	FX_H_XC, /* xc_interface */
	FX_H_DM, /* xendevicemodel_handle */
	FX_H_FMEM, /* xenforeignmemory_handle */
	FX_H_EVTCHN, /* xenevtchn_handle */
	FX_H_GNTTAB, /* xengnttab_handle */
	FX_H_XS, /* struct xs_handle */
};

/*
 * The @n-th (0: the newest) library handle of @kind open now, as its open
 * call returned it, or NULL: a test can then use a backend's own handles
 * as a compromised backend would.
 */
void *fx_handle_nth(enum fx_handle_kind kind, unsigned int n);

/* --- domains --------------------------------------------------------------- */

enum fx_arch {
	FX_ARM, /* GIC SPIs through set_irq_level; bufioreq refused */
	FX_X86_HVM, /* emulated PIC/IOAPIC: set_isa_irq_level */
	FX_X86_PVH, /* no emulated interrupt controller */
};

struct fx_domain_params {
	unsigned int domid; /* 1..0x7fef; must be free */
	const char *name; /* written to /local/domain/<domid>/name */
	enum fx_arch arch;
	unsigned int nr_vcpus; /* 1..128 */
	uint64_t ram_base; /* guest-physical address of RAM, page aligned */
	uint64_t ram_size; /* bytes, page multiple, <= 64 MiB */
	/*
	 * A memfd (at least ram_size long) to use as the guest's RAM, e.g.
	 * the frontend shim's, so a shim can play this guest; the fake dups
	 * it. 0 or negative: a new zeroed memfd. (0 means "none" so that
	 * designated initializers leave it out.)
	 */
	int ram_fd;
	unsigned int nr_spis; /* Arm: SPIs 32..32+nr_spis-1 exist */
};

/*
 * Create a running domain: guest RAM (zeroed), xenstore
 * /local/domain/<domid>/{name,domid}, then fires @introduceDomain, so a
 * watcher reads the name at once (libxl writes it before it introduces
 * the domain to xenstored, which fires the watch).
 */
int fx_domain_new(const struct fx_domain_params *p);

/*
 * The hypervisor side of domain destruction: the domain is marked dying,
 * its ioreq servers are destroyed by Xen (ioreq_server_destroy_all), its
 * /local/domain/<domid> subtree removed, @releaseDomain fired. It becomes a
 * zombie while anyone still holds a mapping or port of it.
 */
int fx_domain_destroy(unsigned int domid);
/* Mark shut down (XEN_DOMINF_shutdown) and fire @releaseDomain. */
int fx_domain_shutdown(unsigned int domid);
/* Destroyed but still referenced (mappings or ports held). */
bool fx_domain_zombie(unsigned int domid);

/*
 * The guest's view of its RAM: host pointer for guest-physical @gpa, @len
 * bytes inside RAM, or NULL.
 */
void *fx_guest_mem(unsigned int domid, uint64_t gpa, size_t len);

/* --- grants (the guest's grant table) -------------------------------------- */

/* Grant @gref (page at guest frame @gfn) to dom0; -EEXIST if in use. */
int fx_grant(unsigned int domid, uint32_t gref, uint64_t gfn, bool readonly);
/*
 * End the grant (the guest reclaims the buffer). -EBUSY, and a violation,
 * while the backend still has it mapped; the grant stays then.
 */
int fx_grant_end(unsigned int domid, uint32_t gref);
/* How many backend mappings of @gref exist now. */
unsigned int fx_grant_mapped(unsigned int domid, uint32_t gref);

/* --- toolstack (libxl 4.18 generic virtio device) -------------------------- */

struct fx_virtio_dev {
	unsigned int domid;
	unsigned int devid;
	const char *type; /* "virtio,device29" */
	const char *transport; /* "mmio" */
	uint64_t base; /* written as "%#llx" */
	unsigned int irq; /* decimal */
	int grant_usage; /* 0 or 1; -1 leaves the key out */
};

/*
 * What libxl__device_add writes, in one transaction: the backend directory
 * /local/domain/0/backend/virtio/<domid>/<devid>/ (frontend, frontend-id,
 * online=1, state=1, irq, base, type, transport, grant_usage) and the
 * frontend directory /local/domain/<domid>/device/virtio/<devid>/
 * (backend, backend-id, state=1).
 */
int fx_xl_add_virtio(const struct fx_virtio_dev *d);

/*
 * First half of `xl destroy` for every virtio device of @domid
 * (libxl__devices_destroy with force): remove the frontend directory, then
 * in one transaction write online=0 and, unless state is 6, state=5. The
 * test then runs the backend until it writes state=6 (or gives up).
 */
int fx_xl_destroy_devices(unsigned int domid);
/*
 * Second half: remove the backend directories, then fx_domain_destroy().
 * Returns how many of the domain's devices had not reached state 6 (libxl
 * would have waited 10 s for each).
 */
int fx_xl_destroy_finish(unsigned int domid);

/*
 * Read a xenstore node as the toolstack does (malloc'ed, NUL-terminated;
 * NULL if absent); write or remove one (no transaction).
 */
char *fx_xs_read(const char *path);
int fx_xs_write(const char *path, const char *value);
int fx_xs_rm(const char *path);

/* --- vCPUs (guest MMIO through the ioreq servers) -------------------------- */

enum fx_io {
	FX_IO_DONE = 0, /* completed; *data holds the result for reads */
	FX_IO_PENDING, /* delivered, the backend has not completed it yet */
	FX_IO_UNHANDLED, /* no enabled server claims it: data abort */
	FX_IO_CRASHED, /* the backend broke the ioreq protocol */
	FX_IO_BUSY, /* this vCPU already has a request outstanding */
};

/*
 * vCPU @vcpu of @domid accesses [addr, addr + size): an IOREQ_TYPE_COPY
 * ioreq with count 1, data_is_ptr 0, df 0. For a write @data goes into the
 * slot as given (pass junk above @size to play Xen 4.17 on Arm, which does
 * not mask); for a read the slot's data starts as a stale value with every
 * byte non-zero, so a backend that does not fill all 64 bits is caught.
 * Returns FX_IO_PENDING once the backend's port was notified, or
 * FX_IO_UNHANDLED / FX_IO_BUSY.
 */
enum fx_io fx_vcpu_access(unsigned int domid, unsigned int vcpu, uint64_t addr,
			  unsigned int size, bool write, uint64_t data);
/*
 * Send an arbitrary ioreq (any type, size, count, data_is_ptr, dir) on
 * @vcpu to the server selected by @server_of_addr (its range must contain
 * that address), as a hostile or unusual guest/hypervisor would. The
 * state field of @req is ignored (READY is used).
 */
enum fx_io fx_vcpu_raw(unsigned int domid, unsigned int vcpu,
		       const struct ioreq *req, uint64_t server_of_addr);
/*
 * IOREQ_TYPE_INVALIDATE on @vcpu, broadcast to every enabled server of the
 * domain (Xen does this after guest RAM left the p2m). FX_IO_PENDING while
 * any server has not completed it.
 */
enum fx_io fx_vcpu_invalidate(unsigned int domid, unsigned int vcpu);
/* Has the outstanding request of @vcpu completed? (see enum fx_io) */
enum fx_io fx_vcpu_poll(unsigned int domid, unsigned int vcpu, uint64_t *data);

/*
 * Like fx_vcpu_raw(), but to ioreq server @server whatever its ranges, as
 * a hypervisor with a catch-all server would (x86 Xen before 4.12 had a
 * default server): port I/O, and any address or type, reach the backend.
 * FX_IO_UNHANDLED if @server is not an enabled server of @domid.
 */
enum fx_io fx_vcpu_raw_server(unsigned int domid, unsigned int vcpu,
			      const struct ioreq *req, unsigned int server);
/*
 * A stray event: Xen notifies the backend's port of @vcpu on every
 * enabled server without filling the slot (a duplicate or late event).
 * A backend must answer only a slot in state READY, once.
 */
int fx_vcpu_kick(unsigned int domid, unsigned int vcpu);
/*
 * Write @state (0..15) into @vcpu's slot on every server with a page, as
 * a broken hypervisor would; only while @vcpu has nothing outstanding
 * (-EBUSY). READY is refused (-EINVAL): a READY slot is a request, sent
 * with fx_vcpu_raw(). Put NONE back before the next request, or Xen
 * crashes the domain for the state it finds.
 */
int fx_vcpu_set_state(unsigned int domid, unsigned int vcpu,
		      unsigned int state);

/* The ioreq traffic of one vCPU since its domain was created. */
struct fx_vcpu_counts {
	unsigned int sent; /* requests put into one of its slots */
	unsigned int responses; /* IORESP_READY taken back (slot -> NONE) */
	unsigned int notifies; /* backend notifications of its ports */
	int state; /* its slot in the lowest server with a page, or -1 */
};
int fx_vcpu_counts(unsigned int domid, unsigned int vcpu,
		   struct fx_vcpu_counts *c);

/* --- interrupts ------------------------------------------------------------ */

/* set_irq_level(.., @irq, 1) calls accepted so far (Arm rising edges). */
unsigned int fx_irq_edges(unsigned int domid, unsigned int irq);
/* Current ISA IRQ level set through set_isa_irq_level (x86). */
int fx_isa_level(unsigned int domid, unsigned int irq);

/* --- call log -------------------------------------------------------------- */

/*
 * The library calls made for @domid since the domain was created or the
 * log cleared, as space-separated short names in order, e.g.
 * "nr_vcpus create_server map_resource enable_server bind bind map_range".
 * Names: nr_vcpus create_server map_resource unmap_resource enable_server
 * disable_server destroy_server map_range unmap_range bind unbind
 * restrict_all restrict_dm restrict_fmem restrict_evtchn irq isa_irq
 * foreign_map foreign_unmap grant_map grant_unmap getinfo. restrict_all is
 * logged for its domid before the per-handle restrictions it makes.
 */
const char *fx_calls(unsigned int domid);
void fx_calls_clear(unsigned int domid);

#endif /* VGPIO_FAKEXEN_H */
