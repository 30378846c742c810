// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fake Xen enforces its own rules: these tests call the Xen library
 * functions directly, as a backend would, and check what the fake lets
 * through, refuses, and records as a violation.
 */
#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xentoolcore.h>
#include <xen/hvm/ioreq.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fakexen.h"

#define DOM 5
#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (1ULL << 20)
#define MMIO 0x02000000ULL
#define PAGE 4096UL

struct be {
	xendevicemodel_handle *dm;
	xenforeignmemory_handle *fmem;
	xenevtchn_handle *xce;
	xenforeignmemory_resource_handle *fres;
	struct shared_iopage *page;
	ioservid_t id;
	unsigned int nr;
	evtchn_port_t local[4];
};

static int setup(void **state)
{
	(void)state;
	fx_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fx_reset();
	return 0;
}

static void dom_new(unsigned int domid, enum fx_arch arch, unsigned int vcpus)
{
	struct fx_domain_params p = {
		.domid = domid,
		.name = "guest",
		.arch = arch,
		.nr_vcpus = vcpus,
		.ram_base = RAM_BASE,
		.ram_size = RAM_SIZE,
		.nr_spis = 32,
	};

	assert_int_equal(fx_domain_new(&p), 0);
}

static bool fd_readable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

static void be_open(struct be *b)
{
	memset(b, 0, sizeof(*b));
	b->dm = xendevicemodel_open(NULL, 0);
	b->fmem = xenforeignmemory_open(NULL, 0);
	b->xce = xenevtchn_open(NULL, 0);
	assert_non_null(b->dm);
	assert_non_null(b->fmem);
	assert_non_null(b->xce);
}

/* Drain every port the fd offers, unmasking each. */
static unsigned int be_drain(struct be *b)
{
	unsigned int n = 0;
	int port;

	while ((port = xenevtchn_pending(b->xce)) >= 0) {
		assert_int_equal(xenevtchn_unmask(b->xce, (evtchn_port_t)port),
				 0);
		n++;
	}
	assert_int_equal(errno, EAGAIN);
	return n;
}

/* The bring-up order the transport uses. */
static void be_up(struct be *b, unsigned int domid)
{
	void *addr = NULL;

	be_open(b);
	assert_int_equal(xendevicemodel_nr_vcpus(b->dm, domid, &b->nr), 0);
	assert_int_equal(
		xendevicemodel_create_ioreq_server(
			b->dm, domid, HVM_IOREQSRV_BUFIOREQ_OFF, &b->id),
		0);
	b->fres = xenforeignmemory_map_resource(
		b->fmem, domid, XENMEM_resource_ioreq_server, b->id,
		XENMEM_resource_ioreq_server_frame_ioreq(0), 1, &addr,
		PROT_READ | PROT_WRITE, 0);
	assert_non_null(b->fres);
	b->page = addr;
	assert_int_equal(
		xendevicemodel_set_ioreq_server_state(b->dm, domid, b->id, 1),
		0);
	for (unsigned int v = 0; v < b->nr; v++) {
		evtchn_port_t eport = b->page->vcpu_ioreq[v].vp_eport;
		int port;

		assert_int_not_equal(eport, 0);
		port = xenevtchn_bind_interdomain(b->xce, domid, eport);
		assert_true(port > 0);
		b->local[v] = (evtchn_port_t)port;
	}
	assert_int_equal(xendevicemodel_map_io_range_to_ioreq_server(
				 b->dm, domid, b->id, 1, MMIO, MMIO + 0x1ff),
			 0);
	be_drain(b); /* Xen sets each freshly bound port pending */
}

static void be_down(struct be *b, unsigned int domid)
{
	assert_int_equal(xendevicemodel_unmap_io_range_from_ioreq_server(
				 b->dm, domid, b->id, 1, MMIO, MMIO + 0x1ff),
			 0);
	assert_int_equal(
		xendevicemodel_set_ioreq_server_state(b->dm, domid, b->id, 0),
		0);
	for (unsigned int v = 0; v < b->nr; v++)
		assert_int_equal(xenevtchn_unbind(b->xce, b->local[v]), 0);
	assert_int_equal(xenforeignmemory_unmap_resource(b->fmem, b->fres), 0);
	assert_int_equal(
		xendevicemodel_destroy_ioreq_server(b->dm, domid, b->id), 0);
	xenevtchn_close(b->xce);
	xenforeignmemory_close(b->fmem);
	xendevicemodel_close(b->dm);
}

/* Answer vCPU @v's request: data, state last after a barrier, notify. */
static void be_respond(struct be *b, unsigned int v, uint64_t data,
		       unsigned int state)
{
	volatile struct ioreq *p = &b->page->vcpu_ioreq[v];

	p->data = data;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	p->state = state & 0xf;
	assert_int_equal(xenevtchn_notify(b->xce, b->local[v]), 0);
}

/* --- ioreq servers -------------------------------------------------------- */

static void fakexen_bringup_access_completes(void **state)
{
	struct fx_counts c;
	uint64_t data = 0;
	struct be b;
	int port;

	(void)state;
	dom_new(DOM, FX_ARM, 2);
	be_up(&b, DOM);
	assert_string_equal(fx_calls(DOM),
			    "nr_vcpus create_server map_resource "
			    "enable_server bind bind map_range");

	assert_int_equal(fx_vcpu_access(DOM, 1, MMIO + 0x10, 4, false, 0),
			 FX_IO_PENDING);
	assert_int_equal(fx_vcpu_access(DOM, 1, MMIO + 0x10, 4, false, 0),
			 FX_IO_BUSY);
	assert_true(fd_readable(xenevtchn_fd(b.xce)));
	port = xenevtchn_pending(b.xce);
	assert_int_equal(port, b.local[1]);
	assert_false(fd_readable(xenevtchn_fd(b.xce)));
	assert_int_equal(xenevtchn_unmask(b.xce, (evtchn_port_t)port), 0);

	struct ioreq req = b.page->vcpu_ioreq[1];

	assert_int_equal(req.state, STATE_IOREQ_READY);
	assert_int_equal(req.addr, MMIO + 0x10);
	assert_int_equal(req.size, 4);
	assert_int_equal(req.dir, IOREQ_READ);
	assert_int_equal(req.type, IOREQ_TYPE_COPY);
	assert_int_equal(req.count, 1);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_not_equal((req.data >> (8 * i)) & 0xff, 0);

	/* INPROCESS + notify is spurious: still pending. */
	be_respond(&b, 1, 0, STATE_IOREQ_INPROCESS);
	assert_int_equal(fx_vcpu_poll(DOM, 1, &data), FX_IO_PENDING);
	be_respond(&b, 1, 0x1234, STATE_IORESP_READY);
	assert_int_equal(fx_vcpu_poll(DOM, 1, &data), FX_IO_DONE);
	assert_int_equal(data, 0x1234);
	assert_int_equal(b.page->vcpu_ioreq[1].state, STATE_IOREQ_NONE);

	/* A write carries its data. */
	assert_int_equal(fx_vcpu_access(DOM, 0, MMIO + 0x1f8, 8, true, 42),
			 FX_IO_PENDING);
	assert_int_equal(b.page->vcpu_ioreq[0].data, 42);
	assert_int_equal(b.page->vcpu_ioreq[0].dir, IOREQ_WRITE);
	be_respond(&b, 0, 42, STATE_IORESP_READY);
	assert_int_equal(fx_vcpu_poll(DOM, 0, NULL), FX_IO_DONE);

	be_down(&b, DOM);
	fx_counts(&c);
	assert_int_equal(c.servers + c.ports + c.resource_maps + c.handles +
				 c.ranges,
			 0);
	assert_int_equal(fx_violations(), 0);
	assert_int_equal(fx_reset(), 0);
}

static void fakexen_eport_read_before_enable_zero(void **state)
{
	void *addr = NULL;
	struct be b;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	be_open(&b);
	assert_int_equal(
		xendevicemodel_create_ioreq_server(b.dm, DOM, 0, &b.id), 0);
	b.fres = xenforeignmemory_map_resource(
		b.fmem, DOM, XENMEM_resource_ioreq_server, b.id,
		XENMEM_resource_ioreq_server_frame_ioreq(0), 1, &addr,
		PROT_READ | PROT_WRITE, 0);
	assert_non_null(b.fres);
	b.page = addr;
	assert_int_equal(b.page->vcpu_ioreq[0].vp_eport, 0);
	/* Binding the port 0 it read fails: port 0 is never valid. */
	assert_int_equal(xenevtchn_bind_interdomain(b.xce, DOM, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(
		xendevicemodel_set_ioreq_server_state(b.dm, DOM, b.id, 1), 0);
	assert_int_not_equal(b.page->vcpu_ioreq[0].vp_eport, 0);
	/* The bufioreq frame does not exist. */
	assert_null(xenforeignmemory_map_resource(
		b.fmem, DOM, XENMEM_resource_ioreq_server, b.id,
		XENMEM_resource_ioreq_server_frame_bufioreq, 1, &addr,
		PROT_READ | PROT_WRITE, 0));
	assert_int_equal(errno, ENOENT);
}

static void fakexen_eport_enabled_before_map_stays_zero(void **state)
{
	void *addr = NULL;
	struct be b;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	be_open(&b);
	assert_int_equal(
		xendevicemodel_create_ioreq_server(b.dm, DOM, 0, &b.id), 0);
	assert_int_equal(
		xendevicemodel_set_ioreq_server_state(b.dm, DOM, b.id, 1), 0);
	b.fres = xenforeignmemory_map_resource(
		b.fmem, DOM, XENMEM_resource_ioreq_server, b.id,
		XENMEM_resource_ioreq_server_frame_ioreq(0), 1, &addr,
		PROT_READ | PROT_WRITE, 0);
	assert_non_null(b.fres);
	b.page = addr;
	assert_int_equal(b.page->vcpu_ioreq[0].vp_eport, 0);
}

static void fakexen_create_bufioreq_arm_refused(void **state)
{
	xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);
	ioservid_t id;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	dom_new(DOM + 1, FX_X86_HVM, 1);
	assert_int_equal(xendevicemodel_create_ioreq_server(
				 dm, DOM, HVM_IOREQSRV_BUFIOREQ_ATOMIC, &id),
			 -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(
		xendevicemodel_create_ioreq_server(
			dm, DOM + 1, HVM_IOREQSRV_BUFIOREQ_ATOMIC, &id),
		0);
	/* No such domain. */
	assert_int_equal(xendevicemodel_create_ioreq_server(dm, 77, 0, &id),
			 -1);
	assert_int_equal(errno, ESRCH);
}

static void fakexen_create_ninth_server_refused(void **state)
{
	xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);
	ioservid_t id;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	for (unsigned int i = 0; i < 8; i++) {
		assert_int_equal(
			xendevicemodel_create_ioreq_server(dm, DOM, 0, &id), 0);
		assert_int_equal(id, i);
	}
	assert_int_equal(xendevicemodel_create_ioreq_server(dm, DOM, 0, &id),
			 -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(xendevicemodel_destroy_ioreq_server(dm, DOM, 3), 0);
	assert_int_equal(xendevicemodel_create_ioreq_server(dm, DOM, 0, &id),
			 0);
	assert_int_equal(id, 3);
}

static void fakexen_map_range_overlap_eexist(void **state)
{
	xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);
	struct fx_counts c;
	ioservid_t id;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	assert_int_equal(xendevicemodel_create_ioreq_server(dm, DOM, 0, &id),
			 0);
	assert_int_equal(xendevicemodel_map_io_range_to_ioreq_server(
				 dm, DOM, id, 1, 0x1000, 0x1fff),
			 0);
	assert_int_equal(xendevicemodel_map_io_range_to_ioreq_server(
				 dm, DOM, id, 1, 0x1fff, 0x2fff),
			 -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(xendevicemodel_map_io_range_to_ioreq_server(
				 dm, DOM, id, 1, 0x0, 0x1000),
			 -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(xendevicemodel_map_io_range_to_ioreq_server(
				 dm, DOM, id, 1, 0x3000, 0x2000),
			 -1);
	assert_int_equal(errno, EINVAL);
	/* Port ranges are a separate set. */
	assert_int_equal(xendevicemodel_map_io_range_to_ioreq_server(
				 dm, DOM, id, 0, 0x1000, 0x1fff),
			 0);
	/* Unmap must be contained in what is mapped. */
	assert_int_equal(xendevicemodel_unmap_io_range_from_ioreq_server(
				 dm, DOM, id, 1, 0x1000, 0x2fff),
			 -1);
	assert_int_equal(errno, ENOENT);
	fx_counts(&c);
	assert_int_equal(c.ranges, 2);
	assert_int_equal(xendevicemodel_map_io_range_to_ioreq_server(
				 dm, DOM, id, 2, 0x1000, 0x1fff),
			 -1);
	assert_int_equal(errno, EEXIST); /* is_mmio != 0 means MMIO */
}

static void fakexen_access_outside_ranges_unhandled(void **state)
{
	struct be b;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	be_up(&b, DOM);
	assert_int_equal(fx_vcpu_access(DOM, 0, MMIO - 4, 4, false, 0),
			 FX_IO_UNHANDLED);
	/* Straddles the end of the range: no range holds every byte. */
	assert_int_equal(fx_vcpu_access(DOM, 0, MMIO + 0x1fe, 4, false, 0),
			 FX_IO_UNHANDLED);
	assert_int_equal(fx_vcpu_access(DOM, 0, MMIO + 0x200, 1, true, 0),
			 FX_IO_UNHANDLED);
	assert_false(fd_readable(xenevtchn_fd(b.xce)));
	be_down(&b, DOM);
	assert_int_equal(fx_reset(), 0);
}

static void fakexen_access_server_disabled_unhandled(void **state)
{
	struct be b;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	be_up(&b, DOM);
	assert_int_equal(
		xendevicemodel_set_ioreq_server_state(b.dm, DOM, b.id, 0), 0);
	assert_int_equal(fx_vcpu_access(DOM, 0, MMIO, 4, false, 0),
			 FX_IO_UNHANDLED);
	assert_int_equal(
		xendevicemodel_set_ioreq_server_state(b.dm, DOM, b.id, 1), 0);
	assert_int_equal(fx_vcpu_access(DOM, 0, MMIO, 4, false, 0),
			 FX_IO_PENDING);
	be_respond(&b, 0, 7, STATE_IORESP_READY);
	assert_int_equal(fx_vcpu_poll(DOM, 0, NULL), FX_IO_DONE);
	be_down(&b, DOM);
	assert_int_equal(fx_violations(), 0);
}

static void fakexen_complete_wrong_state_crashes(void **state)
{
	struct be b;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	be_up(&b, DOM);
	assert_int_equal(fx_vcpu_access(DOM, 0, MMIO, 4, false, 0),
			 FX_IO_PENDING);
	/* Back to NONE with the request outstanding: domain_crash. */
	be_respond(&b, 0, 1, STATE_IOREQ_NONE);
	assert_int_equal(fx_vcpu_poll(DOM, 0, NULL), FX_IO_CRASHED);
	assert_int_equal(fx_violations(), 1);
	assert_non_null(strstr(fx_violation_last(), "domain_crash"));
	assert_int_equal(fx_vcpu_access(DOM, 0, MMIO, 4, false, 0),
			 FX_IO_CRASHED);
}

static void fakexen_complete_bad_state_value_crashes(void **state)
{
	struct be b;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	be_up(&b, DOM);
	assert_int_equal(fx_vcpu_access(DOM, 0, MMIO, 4, true, 3),
			 FX_IO_PENDING);
	be_respond(&b, 0, 1, 9);
	assert_int_equal(fx_vcpu_poll(DOM, 0, NULL), FX_IO_CRASHED);
	assert_int_equal(fx_violations(), 1);
}

static void fakexen_send_slot_busy_crashes(void **state)
{
	struct be b;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	be_up(&b, DOM);
	/* The backend scribbled on an idle slot: the next send crashes. */
	b.page->vcpu_ioreq[0].state = STATE_IORESP_READY;
	assert_int_equal(fx_vcpu_access(DOM, 0, MMIO, 4, true, 3),
			 FX_IO_CRASHED);
	assert_int_equal(fx_violations(), 1);
}

static void fakexen_invalidate_waits_all_servers(void **state)
{
	struct be b;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	be_up(&b, DOM);
	assert_int_equal(fx_vcpu_invalidate(DOM, 0), FX_IO_PENDING);
	assert_int_equal(b.page->vcpu_ioreq[0].type, IOREQ_TYPE_INVALIDATE);
	be_respond(&b, 0, 0, STATE_IORESP_READY);
	assert_int_equal(fx_vcpu_poll(DOM, 0, NULL), FX_IO_DONE);
	be_down(&b, DOM);
	/* No server left: nothing to wait for. */
	assert_int_equal(fx_vcpu_invalidate(DOM, 0), FX_IO_DONE);
}

/* --- grants and foreign memory -------------------------------------------- */

/* Run @fn in a child; true if the child died of a memory fault. */
static void child_segv(int sig)
{
	(void)sig;
	_exit(99);
}

static bool faults(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction sa = {.sa_handler = child_segv};

		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		fn(arg);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return (WIFEXITED(status) && WEXITSTATUS(status) == 99) ||
	       (WIFSIGNALED(status) &&
		(WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS));
}

static void poke(void *p)
{
	*(volatile uint8_t *)p = 1;
}

static void peek(void *p)
{
	(void)*(volatile uint8_t *)p;
}

static void fakexen_grant_readonly_write_map_fails(void **state)
{
	xengnttab_handle *xgt = xengnttab_open(NULL, 0);
	uint64_t gfn = RAM_BASE / PAGE + 3;
	struct fx_counts c;
	uint8_t *p;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	assert_int_equal(fx_grant(DOM, 8, gfn, true), 0);
	assert_null(
		xengnttab_map_grant_ref(xgt, DOM, 8, PROT_READ | PROT_WRITE));
	assert_int_equal(errno, EACCES);
	fx_counts(&c);
	assert_int_equal(c.grant_maps, 0);
	assert_int_equal(fx_grant_mapped(DOM, 8), 0);
	/* Unknown grant. */
	assert_null(xengnttab_map_grant_ref(xgt, DOM, 9, PROT_READ));
	assert_int_equal(errno, EINVAL);

	memcpy(fx_guest_mem(DOM, gfn * PAGE + 5, 3), "abc", 3);
	p = xengnttab_map_grant_ref(xgt, DOM, 8, PROT_READ);
	assert_non_null(p);
	assert_memory_equal(p + 5, "abc", 3);
	assert_int_equal(fx_grant_mapped(DOM, 8), 1);
	assert_true(faults(poke, p));
	assert_false(faults(peek, p));
	assert_int_equal(xengnttab_unmap(xgt, p, 1), 0);
	assert_true(faults(peek, p));
	assert_int_equal(fx_grant_mapped(DOM, 8), 0);
	assert_int_equal(fx_grant_end(DOM, 8), 0);
	xengnttab_close(xgt);
	assert_int_equal(fx_violations(), 0);
}

static void fakexen_grant_end_mapped_ebusy(void **state)
{
	xengnttab_handle *xgt = xengnttab_open(NULL, 0);
	uint32_t refs[2] = {1, 2};
	uint8_t *p;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	assert_int_equal(fx_grant(DOM, 1, RAM_BASE / PAGE, false), 0);
	assert_int_equal(fx_grant(DOM, 2, RAM_BASE / PAGE + 7, false), 0);
	assert_int_equal(fx_grant(DOM, 2, RAM_BASE / PAGE, false), -EEXIST);
	p = xengnttab_map_domain_grant_refs(xgt, 2, DOM, refs,
					    PROT_READ | PROT_WRITE);
	assert_non_null(p);
	p[PAGE + 1] = 0x5a; /* second page is guest frame +7 */
	assert_int_equal(
		*(uint8_t *)fx_guest_mem(DOM, RAM_BASE + 7 * PAGE + 1, 1),
		0x5a);
	assert_int_equal(fx_grant_end(DOM, 2), -EBUSY);
	assert_int_equal(fx_violations(), 1);
	assert_non_null(strstr(fx_violation_last(), "grant 2"));
	/* Unmap must name the whole mapping. */
	assert_int_equal(xengnttab_unmap(xgt, p, 1), -1);
	assert_int_equal(fx_violations(), 2);
	assert_int_equal(xengnttab_unmap(xgt, p, 2), 0);
	assert_string_equal(fx_calls(DOM), "grant_map grant_unmap");
	assert_int_equal(fx_grant_end(DOM, 2), 0);
	assert_int_equal(fx_grant_end(DOM, 1), 0);
	xengnttab_close(xgt);
	assert_int_equal(fx_reset(), 0);
}

static void fakexen_grant_copy_readonly_dest_refused(void **state)
{
	xengnttab_handle *xgt = xengnttab_open(NULL, 0);
	xengnttab_grant_copy_segment_t seg[3];
	char buf[8] = "hello";

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	assert_int_equal(fx_grant(DOM, 4, RAM_BASE / PAGE, true), 0);
	assert_int_equal(fx_grant(DOM, 5, RAM_BASE / PAGE + 1, false), 0);
	memset(seg, 0, sizeof(seg));
	seg[0].source.virt = buf;
	seg[0].dest.foreign.ref = 4;
	seg[0].dest.foreign.domid = DOM;
	seg[0].flags = GNTCOPY_dest_gref;
	seg[0].len = 5;
	seg[1] = seg[0];
	seg[1].dest.foreign.ref = 5;
	seg[1].dest.foreign.offset = 10;
	seg[2] = seg[1];
	seg[2].dest.foreign.offset = PAGE - 2; /* crosses the page end */
	assert_int_equal(xengnttab_set_max_grants(xgt, 16), 0);
	assert_int_equal(xengnttab_grant_copy(xgt, 3, seg), 0);
	assert_int_equal(seg[0].status, GNTST_permission_denied);
	assert_int_equal(seg[1].status, GNTST_okay);
	assert_int_equal(seg[2].status, GNTST_bad_copy_arg);
	assert_memory_equal(fx_guest_mem(DOM, RAM_BASE + PAGE + 10, 5), "hello",
			    5);
	/* Reading from a read-only grant is fine. */
	memset(&seg[0], 0, sizeof(seg[0]));
	seg[0].source.foreign.ref = 5;
	seg[0].source.foreign.domid = DOM;
	seg[0].source.foreign.offset = 10;
	seg[0].dest.virt = buf;
	seg[0].flags = GNTCOPY_source_gref;
	seg[0].len = 3;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(xengnttab_grant_copy(xgt, 1, seg), 0);
	assert_int_equal(seg[0].status, GNTST_okay);
	assert_string_equal(buf, "hel");
	xengnttab_close(xgt);
}

static void fakexen_foreign_map_outside_ram_fails(void **state)
{
	xenforeignmemory_handle *fmem = xenforeignmemory_open(NULL, 0);
	xen_pfn_t pfn[2] = {RAM_BASE / PAGE, RAM_BASE / PAGE + 256};
	struct fx_counts c;
	int err[2];
	uint8_t *p;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	assert_null(xenforeignmemory_map(fmem, DOM, PROT_READ, 2, pfn, NULL));
	assert_int_equal(errno, EINVAL);
	/* With err[], the good pages are mapped, the bad ones are not. */
	p = xenforeignmemory_map(fmem, DOM, PROT_READ, 2, pfn, err);
	assert_non_null(p);
	assert_int_equal(err[0], 0);
	assert_int_equal(err[1], -EINVAL);
	assert_false(faults(peek, p));
	assert_true(faults(peek, p + PAGE));
	assert_true(faults(poke, p));
	assert_int_equal(xenforeignmemory_unmap(fmem, p, 2), 0);
	/* Not a domain. */
	assert_null(xenforeignmemory_map(fmem, 99, PROT_READ, 1, pfn, NULL));
	assert_int_equal(errno, ESRCH);
	fx_counts(&c);
	assert_int_equal(c.foreign_maps, 0);
	xenforeignmemory_close(fmem);
}

/*
 * fx_totals counts every map and unmap call, failed ones too, and only
 * fx_reset() starts it again; fx_counts has the pages mapped now.
 */
static void fakexen_totals_count_every_call(void **state)
{
	xenforeignmemory_handle *fmem = xenforeignmemory_open(NULL, 0);
	xengnttab_handle *xgt = xengnttab_open(NULL, 0);
	xen_pfn_t pfn[3] = {RAM_BASE / PAGE, RAM_BASE / PAGE + 1,
			    RAM_BASE / PAGE + 256};
	struct fx_totals t;
	struct fx_counts c;
	void *p, *q, *gp;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	assert_int_equal(fx_grant(DOM, 8, pfn[0], false), 0);
	fx_totals(&t);
	assert_int_equal(t.foreign_map_calls + t.foreign_unmap_calls +
				 t.grant_map_calls + t.grant_unmap_calls,
			 0);
	p = xenforeignmemory_map(fmem, DOM, PROT_READ, 2, pfn, NULL);
	q = xenforeignmemory_map(fmem, DOM, PROT_READ, 1, pfn, NULL);
	assert_non_null(p);
	assert_non_null(q);
	/* Outside RAM, and an injected failure: calls all the same. */
	assert_null(
		xenforeignmemory_map(fmem, DOM, PROT_READ, 1, &pfn[2], NULL));
	fx_fail_next("xenforeignmemory_map", ENOMEM, 1);
	assert_null(xenforeignmemory_map(fmem, DOM, PROT_READ, 1, pfn, NULL));
	fx_counts(&c);
	assert_int_equal(c.foreign_maps, 2);
	assert_int_equal(c.foreign_pages, 3);
	gp = xengnttab_map_grant_ref(xgt, DOM, 8, PROT_READ);
	assert_non_null(gp);
	assert_null(xengnttab_map_grant_ref(xgt, DOM, 9, PROT_READ));
	assert_int_equal(xengnttab_unmap(xgt, gp, 1), 0);
	assert_int_equal(xenforeignmemory_unmap(fmem, p, 2), 0);
	fx_counts(&c);
	assert_int_equal(c.foreign_pages, 1);
	assert_int_equal(xenforeignmemory_unmap(fmem, q, 1), 0);
	fx_totals(&t);
	assert_int_equal(t.foreign_map_calls, 4);
	assert_int_equal(t.foreign_unmap_calls, 2);
	assert_int_equal(t.grant_map_calls, 2);
	assert_int_equal(t.grant_unmap_calls, 1);
	assert_int_equal(fx_grant_end(DOM, 8), 0);
	xengnttab_close(xgt);
	xenforeignmemory_close(fmem);
	assert_int_equal(fx_reset(), 0);
	fx_totals(&t);
	assert_int_equal(t.foreign_map_calls + t.grant_map_calls, 0);
}

static void fakexen_domain_zombie_while_mapped(void **state)
{
	xenforeignmemory_handle *fmem = xenforeignmemory_open(NULL, 0);
	xen_pfn_t pfn = RAM_BASE / PAGE + 1;
	xc_interface *xch = xc_interface_open(NULL, NULL, 0);
	xc_domaininfo_t info[4];
	uint8_t *p;

	(void)state;
	dom_new(DOM, FX_X86_PVH, 3);
	p = xenforeignmemory_map(fmem, DOM, PROT_READ | PROT_WRITE, 1, &pfn,
				 NULL);
	assert_non_null(p);
	p[0] = 9;
	assert_int_equal(xc_domain_getinfolist(xch, 0, 4, info), 2);
	assert_int_equal(info[0].domain, 0);
	assert_int_equal(info[1].domain, DOM);
	assert_int_equal(info[1].max_vcpu_id, 2);
	assert_int_equal(info[1].nr_online_vcpus, 3);
	assert_true(info[1].flags & XEN_DOMINF_hvm_guest);
	assert_int_equal(info[1].arch_config.emulation_flags,
			 XEN_X86_EMU_LAPIC);

	assert_int_equal(fx_domain_destroy(DOM), 0);
	assert_true(fx_domain_zombie(DOM));
	assert_int_equal(xc_domain_getinfolist(xch, DOM, 4, info), 1);
	assert_true(info[0].flags & XEN_DOMINF_dying);
	assert_int_equal(p[0], 9); /* the page is still there */
	assert_int_equal(xenforeignmemory_unmap(fmem, p, 1), 0);
	assert_false(fx_domain_zombie(DOM));
	assert_int_equal(xc_domain_getinfolist(xch, DOM, 4, info), 0);
	xenforeignmemory_close(fmem);
	xc_interface_close(xch);
}

static void fakexen_domain_zombie_while_port_bound(void **state)
{
	struct be b;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	be_up(&b, DOM);
	assert_int_equal(fx_domain_destroy(DOM), 0);
	assert_true(fx_domain_zombie(DOM));
	/* Xen destroyed the server; the backend still holds port + page. */
	assert_int_equal(xenevtchn_unbind(b.xce, b.local[0]), 0);
	assert_true(fx_domain_zombie(DOM));
	assert_int_equal(xenforeignmemory_unmap_resource(b.fmem, b.fres), 0);
	assert_false(fx_domain_zombie(DOM));
	assert_int_equal(xendevicemodel_destroy_ioreq_server(b.dm, DOM, b.id),
			 -1);
	assert_int_equal(errno, ESRCH);
	xenevtchn_close(b.xce);
	xenforeignmemory_close(b.fmem);
	xendevicemodel_close(b.dm);
	assert_int_equal(fx_reset(), 0);
}

/* --- xenstore ------------------------------------------------------------- */

static void expect_watch(struct xs_handle *xs, const char *path,
			 const char *token)
{
	char **vec;

	assert_true(fd_readable(xs_fileno(xs)));
	vec = xs_check_watch(xs);
	assert_non_null(vec);
	assert_string_equal(vec[XS_WATCH_PATH], path);
	assert_string_equal(vec[XS_WATCH_TOKEN], token);
	free(vec);
}

static void expect_no_watch(struct xs_handle *xs)
{
	assert_false(fd_readable(xs_fileno(xs)));
	assert_null(xs_check_watch(xs));
	assert_int_equal(errno, EAGAIN);
}

static void fakexen_xs_transaction_conflict_eagain(void **state)
{
	struct xs_handle *xs = xs_open(0);
	xs_transaction_t t;
	unsigned int len;
	char *v;

	(void)state;
	assert_true(xs_write(xs, XBT_NULL, "backend/x/state", "1", 1));
	t = xs_transaction_start(xs);
	assert_int_not_equal(t, XBT_NULL);
	v = xs_read(xs, t, "backend/x/state", &len);
	assert_string_equal(v, "1");
	free(v);
	assert_true(xs_write(xs, t, "backend/x/state", "4", 1));
	/* Not visible outside before commit. */
	v = fx_xs_read("/local/domain/0/backend/x/state");
	assert_string_equal(v, "1");
	free(v);
	assert_int_equal(fx_xs_write("/local/domain/0/backend/x/state", "5"),
			 0);
	assert_false(xs_transaction_end(xs, t, false));
	assert_int_equal(errno, EAGAIN);
	v = fx_xs_read("/local/domain/0/backend/x/state");
	assert_string_equal(v, "5");
	free(v);

	/* A change elsewhere does not conflict. */
	t = xs_transaction_start(xs);
	assert_true(xs_write(xs, t, "backend/x/state", "6", 1));
	assert_int_equal(fx_xs_write("/local/domain/0/other", "1"), 0);
	assert_true(xs_transaction_end(xs, t, false));
	v = xs_read(xs, XBT_NULL, "/local/domain/0/backend/x/state", &len);
	assert_string_equal(v, "6");
	assert_int_equal(len, 1);
	free(v);
	/* Unknown transaction. */
	assert_false(xs_transaction_end(xs, 12345, false));
	assert_int_equal(errno, ENOENT);
	xs_close(xs);
}

static void fakexen_watch_fires_registration_and_commit(void **state)
{
	struct xs_handle *xs = xs_open(0);
	struct xs_handle *other = xs_open(0);
	xs_transaction_t t;

	(void)state;
	assert_true(xs_watch(xs, "backend/virtio", "be"));
	expect_watch(xs, "backend/virtio", "be");
	expect_no_watch(xs);
	assert_true(xs_watch(xs, "/local/domain/5/device", "fe"));
	expect_watch(xs, "/local/domain/5/device", "fe");
	assert_false(xs_watch(xs, "backend/virtio", "be"));
	assert_int_equal(errno, EEXIST);

	/* Nothing while the transaction runs, everything at commit. */
	t = xs_transaction_start(other);
	assert_true(xs_write(other, t, "backend/virtio/5/0/state", "1", 1));
	assert_true(xs_write(other, t, "backend/virtio/5/0/state", "2", 1));
	assert_true(xs_write(other, t, "/local/domain/5/device/a", "x", 1));
	expect_no_watch(xs);
	assert_true(xs_transaction_end(other, t, false));
	expect_watch(xs, "backend/virtio/5/0/state", "be");
	expect_watch(xs, "/local/domain/5/device/a", "fe");
	expect_no_watch(xs);

	/* Aborted: nothing. */
	t = xs_transaction_start(other);
	assert_true(xs_write(other, t, "backend/virtio/5/1", "1", 1));
	assert_true(xs_transaction_end(other, t, true));
	expect_no_watch(xs);

	/* Removing a subtree fires watches at and above it. */
	assert_true(xs_rm(other, XBT_NULL, "backend/virtio/5"));
	expect_watch(xs, "backend/virtio/5", "be");
	expect_no_watch(xs);

	/* Unwatch drops the queued events of that watch. */
	assert_int_equal(fx_xs_write("/local/domain/0/backend/virtio/q", "1"),
			 0);
	assert_true(xs_unwatch(xs, "backend/virtio", "be"));
	expect_no_watch(xs);
	assert_false(xs_unwatch(xs, "backend/virtio", "be"));
	assert_int_equal(errno, ENOENT);
	xs_close(other);
	xs_close(xs);
}

static void fakexen_xs_directory_one_allocation(void **state)
{
	struct xs_handle *xs = xs_open(0);
	unsigned int n = 0;
	char **dir, *path;

	(void)state;
	assert_true(xs_write(xs, XBT_NULL, "d/b", "", 0));
	assert_true(xs_write(xs, XBT_NULL, "d/a", "", 0));
	assert_true(xs_mkdir(xs, XBT_NULL, "d/c"));
	dir = xs_directory(xs, XBT_NULL, "/local/domain/0/d", &n);
	assert_non_null(dir);
	assert_int_equal(n, 3);
	assert_string_equal(dir[0], "b");
	assert_string_equal(dir[1], "a");
	assert_string_equal(dir[2], "c");
	free(dir);
	assert_null(xs_directory(xs, XBT_NULL, "nope", &n));
	assert_int_equal(errno, ENOENT);
	assert_null(xs_read(xs, XBT_NULL, "bad//path", NULL));
	assert_int_equal(errno, EINVAL);
	/* Removing a missing node whose parent exists is fine. */
	assert_true(xs_rm(xs, XBT_NULL, "d/zz"));
	assert_false(xs_rm(xs, XBT_NULL, "nope/zz"));
	assert_int_equal(errno, ENOENT);
	path = xs_get_domain_path(xs, 7);
	assert_string_equal(path, "/local/domain/7");
	free(path);
	path = fx_xs_read("/local/domain/0/name");
	assert_string_equal(path, "Domain-0");
	free(path);
	xs_close(xs);
}

static void fakexen_release_domain_fires_on_destroy(void **state)
{
	struct xs_handle *xs = xs_open(0);
	char *v;

	(void)state;
	assert_true(xs_watch(xs, "@releaseDomain", "rel"));
	expect_watch(xs, "@releaseDomain", "rel");
	assert_true(xs_watch(xs, "@introduceDomain", "intro"));
	expect_watch(xs, "@introduceDomain", "intro");
	dom_new(DOM, FX_ARM, 1);
	expect_watch(xs, "@introduceDomain", "intro");
	expect_no_watch(xs);
	v = fx_xs_read("/local/domain/5/name");
	assert_string_equal(v, "guest");
	free(v);
	assert_int_equal(fx_domain_destroy(DOM), 0);
	expect_watch(xs, "@releaseDomain", "rel");
	expect_no_watch(xs);
	assert_null(fx_xs_read("/local/domain/5/name"));
	xs_close(xs);
}

static void fakexen_xl_add_virtio_one_commit(void **state)
{
	struct fx_virtio_dev dev = {
		.domid = DOM,
		.devid = 0,
		.type = "virtio,device29",
		.transport = "mmio",
		.base = 0x2000000,
		.irq = 33,
		.grant_usage = 1,
	};
	struct xs_handle *xs = xs_open(0);
	char *v;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	assert_true(xs_watch(xs, "backend/virtio", "be"));
	expect_watch(xs, "backend/virtio", "be");
	assert_int_equal(fx_xl_add_virtio(&dev), 0);
	/* One commit: one event per node that changed, no repeats. */
	unsigned int n = 0;
	char **vec;

	while ((vec = xs_check_watch(xs))) {
		assert_non_null(
			strstr(vec[XS_WATCH_PATH], "backend/virtio/5/0"));
		free(vec);
		n++;
	}
	assert_int_equal(n, 10); /* the directory and its 9 keys */
	v = fx_xs_read("/local/domain/0/backend/virtio/5/0/base");
	assert_string_equal(v, "0x2000000");
	free(v);
	v = fx_xs_read("/local/domain/5/device/virtio/0/backend");
	assert_string_equal(v, "/local/domain/0/backend/virtio/5/0");
	free(v);

	assert_int_equal(fx_xl_destroy_devices(DOM), 0);
	assert_null(fx_xs_read("/local/domain/5/device/virtio/0/state"));
	v = fx_xs_read("/local/domain/0/backend/virtio/5/0/state");
	assert_string_equal(v, "5");
	free(v);
	assert_int_equal(
		fx_xs_write("/local/domain/0/backend/virtio/5/0/state", "6"),
		0);
	assert_int_equal(fx_xl_destroy_finish(DOM), 0);
	assert_null(fx_xs_read("/local/domain/0/backend/virtio/5"));
	assert_false(fx_domain_zombie(DOM));
	xs_close(xs);
}

/* --- interrupts ----------------------------------------------------------- */

static void fakexen_isa_irq_pvh_violation(void **state)
{
	xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);

	(void)state;
	dom_new(DOM, FX_X86_PVH, 1);
	dom_new(DOM + 1, FX_X86_HVM, 1);
	assert_int_equal(xendevicemodel_set_isa_irq_level(dm, DOM + 1, 5, 1),
			 0);
	assert_int_equal(fx_isa_level(DOM + 1, 5), 1);
	assert_int_equal(xendevicemodel_set_isa_irq_level(dm, DOM + 1, 16, 1),
			 -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fx_violations(), 0);
	assert_int_equal(xendevicemodel_set_isa_irq_level(dm, DOM, 5, 1), -1);
	assert_int_equal(fx_violations(), 1);
	assert_non_null(strstr(fx_violation_last(), "PVH"));
	/* Not on x86: set_irq_level. */
	assert_int_equal(xendevicemodel_set_irq_level(dm, DOM + 1, 40, 1), -1);
	assert_int_equal(errno, EOPNOTSUPP);
}

static void fakexen_set_irq_level_arm_range(void **state)
{
	xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);

	(void)state;
	dom_new(DOM, FX_ARM, 1); /* 32 SPIs: irqs 32..63 */
	assert_int_equal(xendevicemodel_set_irq_level(dm, DOM, 31, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(xendevicemodel_set_irq_level(dm, DOM, 64, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(xendevicemodel_set_irq_level(dm, DOM, 40, 2), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(xendevicemodel_set_irq_level(dm, DOM, 63, 1), 0);
	assert_int_equal(xendevicemodel_set_irq_level(dm, DOM, 63, 0), 0);
	assert_int_equal(xendevicemodel_set_irq_level(dm, DOM, 32, 1), 0);
	assert_int_equal(fx_irq_edges(DOM, 63), 1);
	assert_int_equal(fx_irq_edges(DOM, 32), 1);
	assert_int_equal(xendevicemodel_set_isa_irq_level(dm, DOM, 3, 1), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	assert_int_equal(fx_violations(), 0);
}

/* --- event channels ------------------------------------------------------- */

static void fakexen_evtchn_masked_latches(void **state)
{
	struct be b;
	int fd;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	be_up(&b, DOM);
	fd = xenevtchn_fd(b.xce);
	assert_false(fd_readable(fd));
	/* Deliver one request; do not unmask yet. */
	assert_int_equal(fx_vcpu_access(DOM, 0, MMIO, 4, true, 1),
			 FX_IO_PENDING);
	assert_true(fd_readable(fd));
	assert_int_equal(xenevtchn_pending(b.xce), b.local[0]);
	assert_false(fd_readable(fd));
	be_respond(&b, 0, 0, STATE_IORESP_READY);
	/* A second event while masked is latched, not delivered... */
	assert_int_equal(fx_vcpu_access(DOM, 0, MMIO, 4, true, 2),
			 FX_IO_PENDING);
	assert_false(fd_readable(fd));
	assert_int_equal(xenevtchn_pending(b.xce), -1);
	assert_int_equal(errno, EAGAIN);
	/* ...until the unmask. */
	assert_int_equal(xenevtchn_unmask(b.xce, b.local[0]), 0);
	assert_true(fd_readable(fd));
	assert_int_equal(xenevtchn_pending(b.xce), b.local[0]);
	assert_int_equal(xenevtchn_unmask(b.xce, b.local[0]), 0);
	assert_false(fd_readable(fd));
	be_respond(&b, 0, 0, STATE_IORESP_READY);
	assert_int_equal(fx_vcpu_poll(DOM, 0, NULL), FX_IO_DONE);
	/* Notify of a port this handle does not have. */
	assert_int_equal(xenevtchn_notify(b.xce, 999), -1);
	assert_int_equal(errno, ENOTCONN);
	be_down(&b, DOM);
	assert_int_equal(fx_violations(), 0);
}

static void fakexen_evtchn_bind_twice_refused(void **state)
{
	struct be b;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	be_up(&b, DOM);
	assert_int_equal(xenevtchn_bind_interdomain(
				 b.xce, DOM, b.page->vcpu_ioreq[0].vp_eport),
			 -1);
	assert_int_equal(errno, EINVAL);
	be_down(&b, DOM);
}

/*
 * Linux's evtchn driver: a restricted handle binds only its domain
 * (EACCES), is restricted once (EACCES) and only to a guest (EINVAL).
 */
static void fakexen_evtchn_restrict_other_domain_eacces(void **state)
{
	xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
	struct be b;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	dom_new(DOM + 1, FX_ARM, 1);
	be_open(&b);
	assert_int_equal(
		xendevicemodel_create_ioreq_server(b.dm, DOM, 0, &b.id), 0);
	void *addr;

	b.fres = xenforeignmemory_map_resource(
		b.fmem, DOM, XENMEM_resource_ioreq_server, b.id,
		XENMEM_resource_ioreq_server_frame_ioreq(0), 1, &addr,
		PROT_READ | PROT_WRITE, 0);
	b.page = addr;
	assert_int_equal(
		xendevicemodel_set_ioreq_server_state(b.dm, DOM, b.id, 1), 0);
	assert_int_equal(xenevtchn_restrict(xce, DOM + 1), 0);
	assert_int_equal(xenevtchn_restrict(xce, DOM), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(xenevtchn_bind_interdomain(
				 xce, DOM, b.page->vcpu_ioreq[0].vp_eport),
			 -1);
	assert_int_equal(errno, EACCES);
	/* The unrestricted handle binds the same port. */
	assert_true(xenevtchn_bind_interdomain(
			    b.xce, DOM, b.page->vcpu_ioreq[0].vp_eport) > 0);
	/* Privcmd's rule for a restricted devicemodel handle: EPERM. */
	assert_int_equal(xendevicemodel_restrict(b.dm, DOM + 1), 0);
	assert_int_equal(xendevicemodel_restrict(b.dm, DOM), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(xendevicemodel_nr_vcpus(b.dm, DOM, &b.nr), -1);
	assert_int_equal(errno, EPERM);
	assert_string_equal(fx_calls(DOM + 1), "restrict_evtchn restrict_dm");
	xenevtchn_close(xce);
	/* dom0 and reserved domids are no restriction. */
	xce = xenevtchn_open(NULL, 0);
	assert_int_equal(xenevtchn_restrict(xce, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(xenevtchn_restrict(xce, DOMID_FIRST_RESERVED), -1);
	assert_int_equal(errno, EINVAL);
	xenevtchn_close(xce);
}

static void fakexen_restrict_all_neuters_handles(void **state)
{
	struct xs_handle *xs = xs_open(0);
	xc_interface *xch = xc_interface_open(NULL, NULL, 0);
	xengnttab_handle *xgt = xengnttab_open(NULL, 0);
	xc_domaininfo_t info;
	struct be b;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	dom_new(DOM + 1, FX_ARM, 1);
	be_open(&b);
	assert_int_equal(xentoolcore_restrict_all(DOM), 0);
	assert_null(xs_read(xs, XBT_NULL, "name", NULL));
	assert_int_equal(errno, EBADF);
	assert_int_equal(xc_domain_getinfolist(xch, 0, 1, &info), -1);
	assert_int_equal(errno, ENOTTY);
	assert_int_equal(fx_grant(DOM, 1, RAM_BASE / PAGE, false), 0);
	assert_null(xengnttab_map_grant_ref(xgt, DOM, 1, PROT_READ));
	assert_int_equal(errno, ENOTTY);
	assert_int_equal(xendevicemodel_nr_vcpus(b.dm, DOM, &b.nr), 0);
	assert_int_equal(xendevicemodel_nr_vcpus(b.dm, DOM + 1, &b.nr), -1);
	assert_int_equal(errno, EPERM);
	xen_pfn_t pfn = RAM_BASE / PAGE;

	assert_null(xenforeignmemory_map(b.fmem, DOM + 1, PROT_READ, 1, &pfn,
					 NULL));
	assert_int_equal(errno, EPERM);
	assert_int_equal(xenevtchn_bind_interdomain(b.xce, DOM + 1, 1), -1);
	assert_int_equal(errno, EACCES);
	assert_string_equal(fx_calls(DOM),
			    "restrict_all restrict_evtchn restrict_fmem "
			    "restrict_dm nr_vcpus");
	/* A handle opened afterwards is not restricted. */
	xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);

	assert_int_equal(xendevicemodel_nr_vcpus(dm, DOM + 1, &b.nr), 0);
	xendevicemodel_close(dm);
}

/* fx_handle_nth(): the handles open now, by kind, newest first. */
static void fakexen_handle_nth_lists_open_handles(void **state)
{
	xendevicemodel_handle *dm1 = xendevicemodel_open(NULL, 0);
	xendevicemodel_handle *dm2 = xendevicemodel_open(NULL, 0);
	xenevtchn_handle *xce = xenevtchn_open(NULL, 0);

	(void)state;
	assert_ptr_equal(fx_handle_nth(FX_H_DM, 0), dm2);
	assert_ptr_equal(fx_handle_nth(FX_H_DM, 1), dm1);
	assert_null(fx_handle_nth(FX_H_DM, 2));
	assert_ptr_equal(fx_handle_nth(FX_H_EVTCHN, 0), xce);
	assert_null(fx_handle_nth(FX_H_GNTTAB, 0));
	xendevicemodel_close(dm2);
	assert_ptr_equal(fx_handle_nth(FX_H_DM, 0), dm1);
	xendevicemodel_close(dm1);
	xenevtchn_close(xce);
	assert_null(fx_handle_nth(FX_H_DM, 0));
}

/* --- the world ------------------------------------------------------------ */

static void fakexen_fail_next_injects(void **state)
{
	xendevicemodel_handle *dm = xendevicemodel_open(NULL, 0);
	struct xs_handle *xs = xs_open(0);
	xs_transaction_t t;
	ioservid_t id;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	fx_fail_next("xendevicemodel_create_ioreq_server", ENOMEM, 2);
	assert_int_equal(xendevicemodel_create_ioreq_server(dm, DOM, 0, &id),
			 -1);
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(xendevicemodel_create_ioreq_server(dm, DOM, 0, &id),
			 -1);
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(xendevicemodel_create_ioreq_server(dm, DOM, 0, &id),
			 0);
	fx_fail_next("xs_transaction_end", EAGAIN, 1);
	t = xs_transaction_start(xs);
	assert_true(xs_write(xs, t, "k", "v", 1));
	assert_false(xs_transaction_end(xs, t, false));
	assert_int_equal(errno, EAGAIN);
	assert_null(fx_xs_read("/local/domain/0/k"));
	fx_fail_next("xenevtchn_open", EMFILE, 1);
	assert_null(xenevtchn_open(NULL, 0));
	assert_int_equal(errno, EMFILE);
	xs_close(xs);
}

static void fakexen_reset_counts_leaks(void **state)
{
	xenforeignmemory_handle *fmem;
	xen_pfn_t pfn = RAM_BASE / PAGE;
	struct fx_counts c;
	struct be b;

	(void)state;
	assert_int_equal(fx_reset(), 0);
	dom_new(DOM, FX_ARM, 2);
	be_up(&b, DOM);
	fmem = xenforeignmemory_open(NULL, 0);
	assert_non_null(
		xenforeignmemory_map(fmem, DOM, PROT_READ, 1, &pfn, NULL));
	fx_counts(&c);
	assert_int_equal(c.handles, 4);
	assert_int_equal(c.servers, 1);
	assert_int_equal(c.ranges, 1);
	assert_int_equal(c.ports, 2);
	assert_int_equal(c.resource_maps, 1);
	assert_int_equal(c.foreign_maps, 1);
	/* handles 4 + server 1 + ports 2 + resource 1 + foreign 1 */
	assert_int_equal(fx_reset(), 9);
	fx_counts(&c);
	assert_int_equal(c.handles + c.servers + c.ports + c.foreign_maps, 0);
	assert_int_equal(fx_violations(), 0);
	/* The world starts again: dom0 only. */
	assert_null(fx_guest_mem(DOM, RAM_BASE, 1));
	assert_string_equal(fx_calls(DOM), "");
}

static void fakexen_domain_adopts_ram_fd(void **state)
{
	struct fx_domain_params p = {
		.domid = DOM,
		.name = "shim",
		.arch = FX_ARM,
		.nr_vcpus = 1,
		.ram_base = RAM_BASE,
		.ram_size = 2 * PAGE,
	};
	xenforeignmemory_handle *fmem = xenforeignmemory_open(NULL, 0);
	xen_pfn_t pfn = RAM_BASE / PAGE + 1;
	uint8_t *mine, *theirs;
	int fd = memfd_create("shim-ram", MFD_CLOEXEC);

	(void)state;
	assert_true(fd > 0);
	assert_int_equal(ftruncate(fd, PAGE), 0);
	p.ram_fd = fd;
	assert_int_equal(fx_domain_new(&p), -EINVAL); /* too short */
	assert_int_equal(ftruncate(fd, 2 * PAGE), 0);
	assert_int_equal(fx_domain_new(&p), 0);
	mine = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(mine != MAP_FAILED);
	close(fd); /* the fake holds its own dup */
	mine[PAGE + 3] = 0x77;
	assert_int_equal(*(uint8_t *)fx_guest_mem(DOM, RAM_BASE + PAGE + 3, 1),
			 0x77);
	theirs = xenforeignmemory_map(fmem, DOM, PROT_READ, 1, &pfn, NULL);
	assert_non_null(theirs);
	assert_int_equal(theirs[3], 0x77);
	assert_int_equal(xenforeignmemory_unmap(fmem, theirs, 1), 0);
	munmap(mine, 2 * PAGE);
	xenforeignmemory_close(fmem);
}

static unsigned int count_fds(void)
{
	unsigned int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static void fakexen_reset_closes_fds(void **state)
{
	unsigned int before = count_fds();
	struct xs_handle *xs;
	struct be b;

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		dom_new(DOM, FX_ARM, 2);
		be_up(&b, DOM);
		xs = xs_open(0);
		assert_non_null(xs);
		assert_true(fx_reset() > 0);
	}
	assert_int_equal(count_fds(), before);
}

static void fakexen_crash_reports_shutdown_crash(void **state)
{
	xc_interface *xch = xc_interface_open(NULL, NULL, 0);
	struct xs_handle *xs = xs_open(0);
	xc_domaininfo_t info;
	struct be b;

	(void)state;
	dom_new(DOM, FX_ARM, 1);
	be_up(&b, DOM);
	assert_true(xs_watch(xs, "@releaseDomain", "rel"));
	expect_watch(xs, "@releaseDomain", "rel");
	assert_int_equal(fx_vcpu_access(DOM, 0, MMIO, 4, false, 0),
			 FX_IO_PENDING);
	b.page->vcpu_ioreq[0].vp_eport = 1234;
	be_respond(&b, 0, 0, STATE_IORESP_READY);
	assert_int_equal(fx_vcpu_poll(DOM, 0, NULL), FX_IO_CRASHED);
	assert_non_null(strstr(fx_violation_last(), "vp_eport"));
	expect_watch(xs, "@releaseDomain", "rel");
	assert_int_equal(xc_domain_getinfolist(xch, DOM, 1, &info), 1);
	assert_true(info.flags & XEN_DOMINF_shutdown);
	assert_int_equal((info.flags >> XEN_DOMINF_shutdownshift) &
				 XEN_DOMINF_shutdownmask,
			 SHUTDOWN_crash);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(fakexen_bringup_access_completes),
		T(fakexen_eport_read_before_enable_zero),
		T(fakexen_eport_enabled_before_map_stays_zero),
		T(fakexen_create_bufioreq_arm_refused),
		T(fakexen_create_ninth_server_refused),
		T(fakexen_map_range_overlap_eexist),
		T(fakexen_access_outside_ranges_unhandled),
		T(fakexen_access_server_disabled_unhandled),
		T(fakexen_complete_wrong_state_crashes),
		T(fakexen_complete_bad_state_value_crashes),
		T(fakexen_send_slot_busy_crashes),
		T(fakexen_invalidate_waits_all_servers),
		T(fakexen_grant_readonly_write_map_fails),
		T(fakexen_grant_end_mapped_ebusy),
		T(fakexen_grant_copy_readonly_dest_refused),
		T(fakexen_foreign_map_outside_ram_fails),
		T(fakexen_totals_count_every_call),
		T(fakexen_domain_zombie_while_mapped),
		T(fakexen_domain_zombie_while_port_bound),
		T(fakexen_domain_adopts_ram_fd),
		T(fakexen_xs_transaction_conflict_eagain),
		T(fakexen_watch_fires_registration_and_commit),
		T(fakexen_xs_directory_one_allocation),
		T(fakexen_release_domain_fires_on_destroy),
		T(fakexen_xl_add_virtio_one_commit),
		T(fakexen_isa_irq_pvh_violation),
		T(fakexen_set_irq_level_arm_range),
		T(fakexen_evtchn_masked_latches),
		T(fakexen_evtchn_bind_twice_refused),
		T(fakexen_evtchn_restrict_other_domain_eacces),
		T(fakexen_restrict_all_neuters_handles),
		T(fakexen_handle_nth_lists_open_handles),
		T(fakexen_fail_next_injects),
		T(fakexen_reset_counts_leaks),
		T(fakexen_reset_closes_fds),
		T(fakexen_crash_reports_shutdown_crash),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
