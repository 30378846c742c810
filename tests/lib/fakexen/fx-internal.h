/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to the fake Xen (the tests/lib/fakexen C files): the one world every file
 * shares, and the helpers they call on each other.
 *
 * Files: fakexen.c   world, violations, failure injection, call log,
 *                    domains, xenctrl, xentoolcore, fx_reset
 *        fx-mem.c    real shared mmaps; xenforeignmemory (incl. the ioreq
 *                    resource), xengnttab, the guest's grant table
 *        fx-ioreq.c  xendevicemodel, ioreq servers, vCPUs, xenevtchn
 *        fx-store.c  xenstore, xs_*, the toolstack (fx_xl_*)
 */
#ifndef VGPIO_FX_INTERNAL_H
#define VGPIO_FX_INTERNAL_H

#include <xenctrl.h> /* first: defines __XEN_TOOLS__ for the others */
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xentoolcore.h>
#include <xen/hvm/ioreq.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fakexen.h"

#define FX_PAGE 4096UL
#define FX_MAX_SERVERS 8 /* Xen's MAX_NR_IOREQ_SERVERS */
#define FX_MAX_RANGES 256 /* Xen's MAX_NR_IO_RANGES (rangeset limit) */
#define FX_MAX_VCPUS 128 /* one shared_iopage holds 128 slots */
/* Guest-side ports: one per (server, vCPU); port 0 is never valid. */
#define FX_MAX_GPORTS (FX_MAX_SERVERS * FX_MAX_VCPUS)

/* --- library handles ------------------------------------------------------ */

/* First member of every library handle the fake hands out. */
struct fx_handle {
	enum fx_handle_kind kind;
	int restrict_domid; /* -1 while unrestricted */
	/*
	 * xentoolcore_restrict_all() dup2()ed /dev/null over the handle's
	 * fd: xenstore calls then fail with EBADF (EOF on the socket),
	 * privcmd and gntdev ioctls with ENOTTY.
	 */
	bool neutered;
	struct fx_handle *next;
};

/* The xenevtchn handle: a queue of delivered ports behind an eventfd. */
struct xenevtchn_handle {
	struct fx_handle h;
	int fd; /* eventfd, readable exactly while ring is non-empty */
	evtchn_port_t *ring;
	size_t head, len, cap;
};

/* --- domains --------------------------------------------------------------- */

struct fx_grant {
	uint32_t gref;
	uint64_t gfn;
	bool readonly;
	unsigned int mapped; /* backend mappings of it now */
	struct fx_grant *next;
};

struct fx_range {
	uint64_t start, end; /* inclusive */
};

/* A Xen rangeset: sorted, disjoint, adjacent ranges merged. */
struct fx_rangeset {
	struct fx_range r[FX_MAX_RANGES];
	unsigned int n;
};

struct fx_server {
	bool used;
	bool enabled;
	int page_fd; /* memfd of the ioreq page once allocated, else -1 */
	struct shared_iopage *page; /* Xen's own mapping of it */
	evtchn_port_t port[FX_MAX_VCPUS]; /* guest-side port per vCPU */
	struct fx_rangeset rs[2]; /* [0] port I/O, [1] MMIO */
};

struct fx_vcpu {
	bool outstanding;
	uint8_t waiting; /* bit per server whose response is awaited */
	enum fx_io result; /* of the last request once not outstanding */
	uint64_t data;
	struct fx_vcpu_counts counts; /* fx_vcpu_counts() */
};

/* Guest-side event channel, allocated by Xen for an ioreq server. */
struct fx_gport {
	bool used;
	unsigned int server, vcpu;
	struct fx_port *peer; /* dom0's bound end, or NULL */
};

struct fx_dom {
	unsigned int domid;
	char name[64];
	enum fx_arch arch;
	unsigned int nr_vcpus, nr_spis;
	uint64_t ram_base, ram_size;
	int ram_fd; /* memfd holding guest RAM, -1 for dom0 */
	uint8_t *ram; /* the fake's (the guest's) mapping of it */
	bool dying, shutdown, crashed;
	unsigned int shutdown_code; /* SHUTDOWN_* once shut down */
	struct fx_grant *grants;
	struct fx_server srv[FX_MAX_SERVERS];
	struct fx_vcpu vcpu[FX_MAX_VCPUS];
	struct fx_gport gport[FX_MAX_GPORTS + 1];
	unsigned int edges[1024]; /* Arm: accepted level-1 calls per irq */
	int isa_level[16];
	char *calls; /* call log */
	size_t calls_len, calls_cap;
	struct fx_dom *next; /* sorted by domid */
};

/* --- dom0's bound event channels ------------------------------------------ */

struct fx_port {
	evtchn_port_t local;
	struct xenevtchn_handle *xce;
	unsigned int remote_domid;
	evtchn_port_t remote; /* 0 once Xen closed the guest end */
	bool masked; /* delivered, not yet unmasked */
	bool latched; /* notified while masked */
	struct fx_port *next;
};

/* --- mappings --------------------------------------------------------------- */

enum fx_map_kind {
	FX_MAP_FOREIGN,
	FX_MAP_GRANT,
	FX_MAP_RESOURCE,
};

struct fx_map {
	enum fx_map_kind kind;
	void *addr;
	size_t pages;
	unsigned int domid; /* foreign / resource */
	unsigned int server; /* resource */
	uint32_t *gdomid, *gref; /* grant: per page */
	void *fres; /* resource: the handle given out, freed with the map */
	struct fx_map *next;
};

/* --- the world ------------------------------------------------------------- */

struct fx_store; /* fx-store.c */

struct fx_fail {
	char fn[64];
	int err;
	unsigned int count;
};

struct fx_world {
	bool ready;
	unsigned int violations;
	char last[512];
	struct fx_fail fail[16];
	struct fx_dom *doms;
	struct fx_handle *handles;
	struct fx_map *maps;
	struct fx_totals totals; /* fx_totals() */
	struct fx_port *ports;
	int restrict_all; /* domid given to xentoolcore_restrict_all, or -1 */
	struct fx_store *store;
};

extern struct fx_world fx_w;

/* Create the world on first use (dom0, xenstore). */
void fx_ensure(void);

void fx_violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True (errno set) if fx_fail_next() armed a failure for @fn. */
bool fx_inject(const char *fn);
#define FX_INJECT() fx_inject(__func__)

void fx_log_call(unsigned int domid, const char *name);

struct fx_dom *fx_dom_find(unsigned int domid);
/* Live (not dying) domain other than dom0, or NULL. */
struct fx_dom *fx_dom_live(unsigned int domid);
/* Free a destroyed domain nobody references any more. */
void fx_dom_reap(unsigned int domid);
/* Mappings and ports anybody holds of @domid. */
unsigned int fx_dom_refs(unsigned int domid);
/* Xen's domain_crash(): shut down with a crash, @releaseDomain. */
void fx_dom_crash(struct fx_dom *d, const char *why);

void fx_handle_add(struct fx_handle *h, enum fx_handle_kind kind);
void fx_handle_del(struct fx_handle *h);
/*
 * Common checks for a privcmd call (devicemodel, foreignmemory) on @h about
 * @domid: -1/ENOTTY if neutered, -1/EPERM if the handle is restricted to
 * another domain (Linux's privcmd.c).
 */
int fx_handle_check(const struct fx_handle *h, unsigned int domid);

/* fx-mem.c */
void *fx_mmap_pages(int prot, size_t pages, const int *fds, const off_t *offs);
void fx_map_add(struct fx_map *m);
void fx_map_free(struct fx_map *m); /* munmap, unlink, release refs */
int fx_memfd(const char *name, size_t size, void **self);
/* Dup the caller's memfd @fd (at least @size long) and map it. */
int fx_memfd_adopt(int fd, size_t size, void **self);
int fx_gfn_ok(const struct fx_dom *d, uint64_t gfn);
void fx_mem_reset(void); /* grants are freed with the domains */

/* fx-ioreq.c */
void fx_server_destroy(struct fx_dom *d, unsigned int id);
void fx_port_free(struct fx_port *p);
void fx_dom_ioreq_free(struct fx_dom *d);

/* fx-store.c */
void fx_store_init(void);
void fx_store_free(void);
void fx_store_fire_special(const char *name); /* @releaseDomain, ... */
int fx_store_write(const char *path, const char *value);
int fx_store_rm(const char *path);

#endif /* VGPIO_FX_INTERNAL_H */
