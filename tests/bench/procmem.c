// SPDX-License-Identifier: BSD-3-Clause
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "procmem.h"

/* "Key:   123 kB" -> 123 in *v if the line's key is @key. */
static int field(const char *line, const char *key, unsigned long *v)
{
	size_t len = strlen(key);

	if (strncmp(line, key, len) || line[len] != ':')
		return 0;
	*v = strtoul(line + len + 1, NULL, 10);
	return 1;
}

int vg_pmem_read(pid_t pid, struct vg_pmem *m)
{
	char path[64], line[256];
	FILE *f;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		(void)(field(line, "Rss", &m->rss) ||
		       field(line, "Pss", &m->pss) ||
		       field(line, "Pss_Shmem", &m->pss_shmem) ||
		       field(line, "Shared_Clean", &m->shared_clean) ||
		       field(line, "Shared_Dirty", &m->shared_dirty) ||
		       field(line, "Private_Clean", &m->private_clean) ||
		       field(line, "Private_Dirty", &m->private_dirty));
	fclose(f);
	return m->rss ? 0 : -ENODATA;
}

const char *vg_pmem_kind_name(enum vg_pmem_kind k)
{
	static const char *const names[VG_PMEM_KINDS] = {
		[VG_PMEM_HEAP] = "heap",   [VG_PMEM_ANON] = "anon",
		[VG_PMEM_STACK] = "stack", [VG_PMEM_BINARY] = "binary",
		[VG_PMEM_LIBS] = "libs",   [VG_PMEM_SHMEM] = "shmem",
		[VG_PMEM_OTHER] = "other",
	};

	return k < VG_PMEM_KINDS ? names[k] : "?";
}

/*
 * A mapping's header: "start-end perms offset dev inode [path]". Its kind
 * from the path; a mapping header is the only kind of line whose first
 * word has a '-' in it.
 */
static int header_kind(const char *line, const char *binary,
		       enum vg_pmem_kind *kind)
{
	const char *sp = strchr(line, ' '), *base;
	char path[256] = "";

	if (!sp || !memchr(line, '-', (size_t)(sp - line)))
		return 0;
	/*
	 * No path (EOF before the one conversion) leaves @path empty: an
	 * anonymous mapping. A path may hold spaces; ours never do.
	 */
	(void)sscanf(line, "%*s %*s %*s %*s %*s %255s", path);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!*path)
		*kind = VG_PMEM_ANON;
	else if (!strcmp(path, "[heap]"))
		*kind = VG_PMEM_HEAP;
	else if (!strcmp(path, "[stack]"))
		*kind = VG_PMEM_STACK;
	else if (*path == '[')
		*kind = VG_PMEM_OTHER;
	else if (!strncmp(path, "/memfd:", 7) ||
		 !strncmp(path, "/dev/shm/", 9) || !strcmp(path, "/dev/zero") ||
		 !strncmp(path, "/SYSV", 5))
		*kind = VG_PMEM_SHMEM;
	else if (!strcmp(base, binary))
		*kind = VG_PMEM_BINARY;
	else
		*kind = VG_PMEM_LIBS;
	return 1;
}

int vg_pmem_split(pid_t pid, const char *binary, struct vg_pmem_split *s)
{
	enum vg_pmem_kind kind = VG_PMEM_OTHER;
	char path[64], line[512];
	unsigned long v;
	int seen = 0;
	FILE *f;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (header_kind(line, binary, &kind)) {
			seen = 1;
			continue;
		}
		if (field(line, "Rss", &v))
			s->rss[kind] += v;
		else if (field(line, "Private_Dirty", &v))
			s->private_dirty[kind] += v;
	}
	fclose(f);
	return seen ? 0 : -ENODATA;
}

static int task_ctxt(pid_t pid, const char *tid, unsigned long long *sum)
{
	char path[320], line[256];
	unsigned long v;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (field(line, "voluntary_ctxt_switches", &v) ||
		    field(line, "nonvoluntary_ctxt_switches", &v)) {
			*sum += v;
			found++;
		}
	fclose(f);
	return found == 2 ? 0 : -ENODATA;
}

int vg_pmem_ctxt(pid_t pid, unsigned long long *switches)
{
	char path[64];
	struct dirent *e;
	int rc = -ENOENT;
	DIR *dir;

	*switches = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		rc = task_ctxt(pid, e->d_name, switches);
		if (rc)
			break;
	}
	closedir(dir);
	return rc;
}
