/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a process costs, read from /proc, for the bench: its memory
 * (/proc/PID/smaps_rollup, and /proc/PID/smaps per mapping for where the
 * private pages are) and its context switches (/proc/PID/task/x/status,
 * summed over its threads). Sizes are in kB, as /proc gives them.
 *
 * Reading another process's smaps needs ptrace read access to it (the
 * same user, and the process dumpable, or root); functions return 0 or
 * -errno and print nothing.
 */
#ifndef VGPIO_BENCH_PROCMEM_H
#define VGPIO_BENCH_PROCMEM_H

#include <sys/types.h>

/* The totals of /proc/PID/smaps_rollup (kB). */
struct vg_pmem {
	unsigned long rss, pss, pss_shmem;
	unsigned long shared_clean, shared_dirty;
	unsigned long private_clean, private_dirty;
};

int vg_pmem_read(pid_t pid, struct vg_pmem *m);

/* Where a process's private dirty pages are, by kind of mapping (kB). */
enum vg_pmem_kind {
	VG_PMEM_HEAP, /* [heap]: brk, malloc's main arena */
	VG_PMEM_ANON, /* anonymous: mmap'd malloc, libraries' .bss */
	VG_PMEM_STACK, /* [stack] */
	VG_PMEM_BINARY, /* the program's own file (data, relocations) */
	VG_PMEM_LIBS, /* other files: shared libraries' data, relocations */
	VG_PMEM_SHMEM, /* memfd / shared memory: a loop guest's RAM */
	VG_PMEM_OTHER, /* [vdso], [vvar] and the like */
	VG_PMEM_KINDS,
};

struct vg_pmem_split {
	unsigned long private_dirty[VG_PMEM_KINDS];
	unsigned long rss[VG_PMEM_KINDS];
};

/*
 * /proc/PID/smaps summed by kind; @binary is the program's file name
 * (last path component, e.g. "vgpiod").
 */
int vg_pmem_split(pid_t pid, const char *binary, struct vg_pmem_split *s);
const char *vg_pmem_kind_name(enum vg_pmem_kind k);

/* Voluntary + involuntary context switches of all of @pid's threads. */
int vg_pmem_ctxt(pid_t pid, unsigned long long *switches);

#endif /* VGPIO_BENCH_PROCMEM_H */
