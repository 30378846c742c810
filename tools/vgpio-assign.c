// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-assign: edit the domain sections of the policy file and apply the
 * result to a running vgpiod. Manual: docs/vgpio-assign.8.md.
 *
 * An edit is one transaction under an flock on FILE.lock: read the file,
 * build the domain's new line set from the parsed policy, write it as a
 * section (vg_config_write_domain) in place of the old one (every other
 * byte stays), let the strict parser validate the whole new text, probe
 * the host lines named, replace the file atomically, and send `reload`
 * to vgpiod; if vgpiod refuses, the old text goes back the same way.
 *
 * Messages are "vgpio-assign: <what>: <why>", one per problem, printed
 * where the problem is found; functions return the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cfgparse.h"
#include "config.h"
#include "daemon.h"
#include "prov-gpiod.h"
#include "strbuf.h"

#define ASSIGN_POLICY_DEFAULT "/etc/vgpio/policy.conf"
#define ASSIGN_FILE_MAX (16u << 20) /* as the parser */
#define ASSIGN_LOCK_WAIT_MS 10000
#define ASSIGN_CTL_TIMEOUT_MS 10000
#define ASSIGN_REPLY_MAX (64u << 20)
#define ASSIGN_ERR_MAX 512

/* Exit statuses (docs/vgpio-assign.8.md). */
enum {
	RC_OK = 0,
	RC_FAIL = 1, /* I/O, vgpiod refused, check found problems */
	RC_INVALID = 2, /* usage or invalid input: nothing changed */
	RC_NODAEMON = 3, /* status: vgpiod not reachable */
};

static const char usage_text[] =
	"usage: vgpio-assign [-f POLICY] [-C CONTROL] [--json] COMMAND ...\n"
	"  assign DOMAIN LINESET [--replace] [--line \"REF OPT=VAL ...\"]... "
	"[--offline]\n"
	"  revoke DOMAIN [LINESET]\n"
	"  list | show DOMAIN | check | status\n"
	"  -f, --policy FILE     policy file (default " ASSIGN_POLICY_DEFAULT
	")\n"
	"  -C, --control PATH    vgpiod control socket "
	"(default " VG_DAEMON_CONTROL_SOCKET ")\n"
	"  --json                list, show, check, status: one JSON "
	"document\n"
	"  LINESET: \"CHIP LINE [LINE ...][, CHIP LINE ...]\"\n";

struct tool {
	const char *policy;
	const char *control;
	bool json;
};

static void msg(const char *fmt, ...) VG_PRINTF(1, 2);
static void msg(const char *fmt, ...)
{
	va_list ap;

	fputs("vgpio-assign: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage(const char *why)
{
	if (why)
		msg("%s", why);
	fputs(usage_text, stderr);
	return RC_INVALID;
}

/*
 * The message of a parser error "SOURCE:LINE:COL: why" (or "SOURCE: why"),
 * with its position in *line and *col (0 if it has none).
 */
static const char *cfg_why(const char *err, const char *source,
			   unsigned int *line, unsigned int *col)
{
	size_t n = strlen(source);
	unsigned long l, c;
	const char *p;
	char *end;

	*line = *col = 0;
	if (strncmp(err, source, n) || err[n] != ':')
		return err;
	p = err + n + 1;
	if (*p == ' ')
		return p + 1;
	l = strtoul(p, &end, 10);
	if (end == p || *end != ':')
		return err;
	p = end + 1;
	c = strtoul(p, &end, 10);
	if (end == p || strncmp(end, ": ", 2))
		return err;
	*line = (unsigned int)l;
	*col = (unsigned int)c;
	return end + 2;
}

/* --- JSON output --------------------------------------------------------- */

static void json_strn(const char *s, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_str(const char *s)
{
	json_strn(s, strlen(s));
}

/* "key": with a comma before it unless it is the first of its object. */
static void json_key(bool *first, const char *key)
{
	if (!*first)
		putchar(',');
	*first = false;
	json_str(key);
	putchar(':');
}

static void json_allow(unsigned int allow)
{
	static const char *const words[] = {"in", "out", "irq"};
	static const unsigned int bits[] = {VG_ALLOW_IN, VG_ALLOW_OUT,
					    VG_ALLOW_IRQ};
	bool first = true;
	unsigned int i;

	putchar('[');
	for (i = 0; i < VG_ARRAY_SIZE(bits); i++) {
		if (!(allow & bits[i]))
			continue;
		if (!first)
			putchar(',');
		first = false;
		json_str(words[i]);
	}
	putchar(']');
}

/* --- the policy file ------------------------------------------------------ */

struct ptext {
	char *s;
	size_t len;
	bool exists;
	struct stat st;
};

/*
 * Read @path whole into t->s (NUL-terminated, never NULL on success); a
 * missing file is empty text if @missing_ok.
 */
static int ptext_read(const char *path, bool missing_ok, struct ptext *t)
{
	struct vg_strbuf b = {0};
	char chunk[65536];
	ssize_t r;
	int fd, rc = 0;

	memset(t, 0, sizeof(*t));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT || !missing_ok)
			return -errno;
		t->s = calloc(1, 1);
		return t->s ? 0 : -ENOMEM;
	}
	if (fstat(fd, &t->st) < 0) {
		rc = -errno;
		goto out;
	}
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		vg_strbuf_addn(&b, chunk, (size_t)r);
		if (b.len > ASSIGN_FILE_MAX) {
			rc = -EFBIG;
			goto out;
		}
	}
	vg_strbuf_add(&b, ""); /* an empty file too is a string */
	if (b.rc)
		rc = -ENOMEM;
out:
	close(fd);
	if (rc) {
		free(b.s);
		return rc;
	}
	t->s = b.s;
	t->len = b.len;
	t->exists = true;
	return 0;
}

/* Read and parse @path strictly; messages printed. */
static int policy_load(const struct tool *t, struct ptext *text,
		       struct vg_config **cfg)
{
	char err[ASSIGN_ERR_MAX];
	int rc = ptext_read(t->policy, false, text);

	if (rc) {
		msg("%s: %s", t->policy, strerror(-rc));
		return RC_FAIL;
	}
	if (vg_config_parse(text->s, text->len, t->policy, cfg, err,
			    sizeof(err))) {
		msg("%s", err);
		free(text->s);
		return RC_FAIL;
	}
	return RC_OK;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t r = write(fd, s, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		s += r;
		len -= (size_t)r;
	}
	return 0;
}

/* fsync the directory holding @path, so that a rename in it is durable. */
static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * Replace @path with @len bytes of @s: a temp file beside it with the old
 * file's mode (and owner, where we may set it), fsync, rename, fsync the
 * directory. On failure @path is untouched and the temp file removed.
 */
static int file_replace(const char *path, const char *s, size_t len,
			const struct stat *old)
{
	size_t n = strlen(path) + sizeof(".tmp.XXXXXX");
	char *tmp = malloc(n);
	int fd, rc;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, n, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	rc = fchmod(fd, old ? old->st_mode & 07777 : 0644) ? -errno : 0;
	/*
	 * Keeping the owner needs privileges the caller may lack; then the
	 * file becomes the caller's, with the old mode.
	 */
	if (!rc && old && fchown(fd, old->st_uid, old->st_gid) < 0 &&
	    errno != EPERM)
		rc = -errno;
	if (!rc)
		rc = write_all(fd, s, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc ? rc : fsync_dir(path);
}

/* Put back the text read at the start of the transaction. */
static int file_restore(const char *path, const struct ptext *old)
{
	if (old->exists)
		return file_replace(path, old->s, old->len, &old->st);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return fsync_dir(path);
}

/* flock FILE.lock, waiting up to ASSIGN_LOCK_WAIT_MS. fd or -errno. */
static int lock_take(const char *path)
{
	struct timespec pause = {0, 50 * 1000 * 1000};
	size_t n = strlen(path) + sizeof(".lock");
	char *lock = malloc(n);
	int fd, waited = 0;

	if (!lock)
		return -ENOMEM;
	snprintf(lock, n, "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lock);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if ((e != EWOULDBLOCK && e != EINTR) ||
		    waited >= ASSIGN_LOCK_WAIT_MS) {
			close(fd);
			return e == EWOULDBLOCK ? -ETIMEDOUT : -e;
		}
		nanosleep(&pause, NULL);
		waited += 50;
	}
	return fd;
}

/* --- the control socket --------------------------------------------------- */

enum ctl_res {
	CTL_OK, /* "ok" */
	CTL_ERROR, /* "error: ...": the reason in *final */
	CTL_NOCONN, /* could not connect: errno in *err */
	CTL_BROKEN, /* connected, but no complete reply: why in *final */
};

/*
 * Send @cmd to vgpiod and collect the reply lines before the final one
 * into @reply (each ending in a newline).
 */
static enum ctl_res ctl_run(const char *path, const char *cmd,
			    struct vg_strbuf *reply, char *final, size_t flen,
			    int *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vg_strbuf in = {0};
	enum ctl_res res = CTL_BROKEN;
	size_t done = 0;
	int fd;

	final[0] = '\0';
	if (strlen(path) >= sizeof(sa.sun_path)) {
		*err = ENAMETOOLONG;
		return CTL_NOCONN;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		*err = errno;
		if (fd >= 0)
			close(fd);
		return CTL_NOCONN;
	}
	if (send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) != (ssize_t)strlen(cmd) ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		snprintf(final, flen, "send: %s", strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		char buf[4096], *nl;
		ssize_t r;

		while (in.len > done &&
		       (nl = memchr(in.s + done, '\n', in.len - done))) {
			char *line = in.s + done;

			*nl = '\0';
			done = (size_t)(nl + 1 - in.s);
			if (!strcmp(line, "ok")) {
				res = CTL_OK;
				goto out;
			}
			if (!strncmp(line, "error: ", 7)) {
				snprintf(final, flen, "%s", line + 7);
				res = CTL_ERROR;
				goto out;
			}
			vg_strbuf_add(reply, line);
			vg_strbuf_add(reply, "\n");
		}
		if (in.rc || reply->rc || in.len > ASSIGN_REPLY_MAX) {
			snprintf(final, flen, "reply too long");
			goto out;
		}
		r = poll(&pfd, 1, ASSIGN_CTL_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(final, flen, "%s",
				 r ? strerror(errno) : "no reply in time");
			goto out;
		}
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(final, flen, "%s",
				 r ? strerror(errno)
				   : "connection closed before the reply "
				     "ended");
			goto out;
		}
		vg_strbuf_addn(&in, buf, (size_t)r);
	}
out:
	free(in.s);
	close(fd);
	return res;
}

/* --- host lines ----------------------------------------------------------- */

/* Same line: same chip, and on a sim chip the same resolved line. */
static bool same_line(const struct vg_config *cfg,
		      const struct vg_config_line *a,
		      const struct vg_config_line *b)
{
	const struct vg_config_sim *s;

	if (strcmp(a->chip, b->chip))
		return false;
	s = vg_cfgsim_find(cfg, a->chip);
	if (s) {
		int off = vg_cfgsim_line(s, a->line);

		return off >= 0 && off == vg_cfgsim_line(s, b->line);
	}
	return !strcmp(a->line, b->line);
}

/*
 * Probe host line @l of @domain: it must exist and be free or held by
 * vgpiod for @domain. 0, or RC_INVALID / RC_FAIL with the problem in @why.
 */
static int probe_line(const char *domain, const struct vg_config_line *l,
		      char *why, size_t len)
{
	struct vg_gpiod_probe p;
	char own[VG_CONFIG_NAME_MAX + 8];
	int rc = vg_gpiod_probe(l->chip, l->line, &p, why, len);

	if (rc)
		return rc == -ENOENT || rc == -EINVAL || rc == -ENOTTY
			       ? RC_INVALID
			       : RC_FAIL;
	snprintf(own, sizeof(own), "vgpio:%s", domain);
	if (p.used && strcmp(p.consumer, own)) {
		snprintf(why, len, "chip %s line %s: in use by '%s'", l->chip,
			 l->line, p.consumer[0] ? p.consumer : "(unnamed)");
		return RC_INVALID;
	}
	return 0;
}

/* --- editing: one transaction --------------------------------------------- */

struct txn {
	const struct tool *t;
	const char *domain;
	int lockfd;
	struct ptext old;
	struct vg_config *cur; /* the policy as it is */
	struct vg_config *scratch; /* what the arguments parsed to */
	struct vg_config_domain nd; /* the domain's new line set */
	unsigned int first; /* nd.lines[first..]: named in LINESET */
	char *text; /* the new policy text */
	size_t len;
	struct vg_config *next; /* ... parsed */
};

static int txn_begin(struct txn *x, const struct tool *t, const char *domain)
{
	char err[ASSIGN_ERR_MAX];
	int rc;

	memset(x, 0, sizeof(*x));
	x->t = t;
	x->domain = domain;
	x->lockfd = lock_take(t->policy);
	if (x->lockfd < 0) {
		msg("%s.lock: %s", t->policy,
		    x->lockfd == -ETIMEDOUT ? "held by another vgpio-assign"
					    : strerror(-x->lockfd));
		return RC_FAIL;
	}
	rc = ptext_read(t->policy, true, &x->old);
	if (rc) {
		msg("%s: %s", t->policy, strerror(-rc));
		return RC_FAIL;
	}
	if (vg_config_parse(x->old.s, x->old.len, t->policy, &x->cur, err,
			    sizeof(err))) {
		msg("%s (fix the file first)", err);
		return RC_FAIL;
	}
	return RC_OK;
}

static void txn_end(struct txn *x)
{
	vg_config_free(x->next);
	free(x->text);
	free(x->nd.lines);
	vg_config_free(x->scratch);
	vg_config_free(x->cur);
	free(x->old.s);
	if (x->lockfd >= 0)
		close(x->lockfd); /* releases the flock */
}

/* An argument spliced into policy text must stay on its own line. */
static int arg_check(const char *what, const char *arg)
{
	if (strpbrk(arg, "#\r\n")) {
		/* Not echoed: it would not stay on one line. */
		msg("%s: comments ('#') and line breaks are not allowed", what);
		return RC_INVALID;
	}
	return RC_OK;
}

/*
 * Parse "[domain D]\nlines = @pre@lineset\n" + "line @entries[i]\n" into
 * x->scratch; no sim sections, so chips and lines stay as written. An
 * error names the argument it is in.
 */
static int scratch_parse(struct txn *x, const char *pre, const char *lineset,
			 char *const *entries, unsigned int nentries)
{
	struct vg_strbuf b = {0};
	char err[ASSIGN_ERR_MAX];
	const char *why;
	unsigned int i, line, col, at;
	int rc;

	vg_strbuf_add(&b, "[domain ");
	vg_strbuf_add(&b, x->domain);
	vg_strbuf_add(&b, "]\nlines = ");
	vg_strbuf_add(&b, pre);
	vg_strbuf_add(&b, lineset);
	vg_strbuf_add(&b, "\n");
	for (i = 0; i < nentries; i++) {
		const char *e = entries[i] + strspn(entries[i], " \t");
		size_t ref = strcspn(e, " \t=");

		/* "REF OPT=VAL ...", or as in the file, "REF = OPT=VAL ..." */
		vg_strbuf_add(&b, "line ");
		vg_strbuf_addn(&b, e, ref);
		if (e[ref + strspn(e + ref, " \t")] != '=')
			vg_strbuf_add(&b, " =");
		vg_strbuf_add(&b, e + ref);
		vg_strbuf_add(&b, "\n");
	}
	if (b.rc) {
		free(b.s);
		msg("%s", strerror(ENOMEM));
		return RC_FAIL;
	}
	rc = vg_config_parse(b.s, b.len, "-", &x->scratch, err, sizeof(err));
	free(b.s);
	if (!rc)
		return RC_OK;
	why = cfg_why(err, "-", &line, &col);
	at = (unsigned int)(strlen("lines = ") + strlen(pre));
	if (rc == -ENOMEM || !line)
		msg("%s", why);
	else if (line == 1)
		msg("domain name '%s': %s", x->domain, why);
	else if (line == 2 && col > at)
		msg("line set '%s': column %u: %s", lineset, col - at, why);
	else if (line == 2)
		msg("line set '%s': %s", lineset, why);
	else if (line - 3 < nentries)
		msg("--line '%s': %s", entries[line - 3], why);
	else
		msg("%s", why);
	return rc == -ENOMEM ? RC_FAIL : RC_INVALID;
}

/* The guest index a `line REF = ...` entry of the scratch domain names. */
static unsigned int entry_index(const struct vg_config_domain *d,
				const char *entry)
{
	size_t n;
	unsigned int i;

	entry += strspn(entry, " \t");
	n = strcspn(entry, " \t=");
	if (vg_cfg_is_digits(entry, n))
		return (unsigned int)strtoul(entry, NULL, 10);
	for (i = 0; i < d->nlines; i++)
		if (strlen(d->lines[i].line) == n &&
		    !memcmp(d->lines[i].line, entry, n))
			break;
	return i; /* the parser accepted the entry: found */
}

/*
 * The new text: x->nd's section in place of the domain's (removed if
 * nd.nlines is 0), or appended; parsed strictly as the validation.
 */
static int txn_splice(struct txn *x)
{
	const struct ptext *o = &x->old;
	struct vg_strbuf b = {0};
	char err[ASSIGN_ERR_MAX], *sect = NULL;
	size_t start = o->len, end = o->len;
	unsigned int line, col;
	int rc, found;

	if (x->nd.nlines) {
		rc = vg_config_write_domain(&x->nd, &sect, NULL);
		if (rc) {
			msg("domain %s: cannot write its section: %s",
			    x->domain, strerror(-rc));
			return rc == -ENOMEM ? RC_FAIL : RC_INVALID;
		}
	}
	found = vg_config_find_section(o->s, o->len, "domain", x->domain,
				       &start, &end);
	if (found < 0) {
		free(sect);
		msg("%s: %s", x->t->policy, strerror(-found));
		return RC_FAIL;
	}
	/* A removed section takes its blank lines along after a blank line. */
	while (found && !sect && start >= 2 &&
	       !strncmp(o->s + start - 2, "\n\n", 2) && end < o->len &&
	       o->s[end] == '\n')
		end++;
	vg_strbuf_addn(&b, o->s, start);
	if (!found && o->len) {
		/* A new section goes at the end, after a blank line. */
		if (o->s[o->len - 1] != '\n')
			vg_strbuf_add(&b, "\n");
		vg_strbuf_add(&b, "\n");
	}
	if (sect)
		vg_strbuf_add(&b, sect);
	vg_strbuf_addn(&b, o->s + end, o->len - end);
	vg_strbuf_add(&b, ""); /* an empty policy is text too */
	free(sect);
	if (b.rc) {
		free(b.s);
		msg("%s", strerror(ENOMEM));
		return RC_FAIL;
	}
	x->text = b.s;
	x->len = b.len;
	rc = vg_config_parse(x->text, x->len, x->t->policy, &x->next, err,
			     sizeof(err));
	if (rc) {
		msg("domain %s: %s", x->domain,
		    cfg_why(err, x->t->policy, &line, &col));
		return rc == -ENOMEM ? RC_FAIL : RC_INVALID;
	}
	return RC_OK;
}

/* Ask vgpiod to re-read the policy; undo the edit if it refuses. */
static int txn_apply(struct txn *x)
{
	const char *path = x->t->policy;
	struct vg_strbuf reply = {0};
	char final[ASSIGN_ERR_MAX];
	const char *reason;
	enum ctl_res res;
	int err = 0, rc;

	res = ctl_run(x->t->control, "reload", &reply, final, sizeof(final),
		      &err);
	if (res == CTL_NOCONN && (err == ENOENT || err == ECONNREFUSED)) {
		msg("vgpiod is not running (%s): the policy takes effect "
		    "when it starts",
		    x->t->control);
		rc = RC_OK;
	} else if (res == CTL_NOCONN) {
		msg("%s: %s: policy written, not applied", x->t->control,
		    strerror(err));
		rc = RC_FAIL;
	} else if (res == CTL_BROKEN) {
		msg("%s: reload: %s: policy written, state of vgpiod unknown",
		    x->t->control, final);
		rc = RC_FAIL;
	} else if (res == CTL_ERROR &&
		   !strncmp(final, "policy not applied: ", 20)) {
		/* vgpiod changed nothing: the file must say what it runs. */
		reason = final + 20;
		rc = file_restore(path, &x->old);
		if (rc)
			msg("vgpiod refused the policy: %s; restoring %s "
			    "failed: %s",
			    reason, path, strerror(-rc));
		else
			msg("vgpiod refused the policy: %s (%s restored)",
			    reason, path);
		rc = RC_FAIL;
	} else {
		if (reply.s)
			printf("reloaded: %s", reply.s);
		if (res == CTL_ERROR)
			msg("vgpiod: %s", final);
		rc = res == CTL_OK ? RC_OK : RC_FAIL;
	}
	free(reply.s);
	return rc;
}

/* Write the new text, then apply it. */
static int txn_commit(struct txn *x)
{
	int rc;

	if (x->old.exists && x->len == x->old.len &&
	    !memcmp(x->text, x->old.s, x->len)) {
		msg("%s: no change", x->t->policy);
		return RC_OK;
	}
	rc = file_replace(x->t->policy, x->text, x->len,
			  x->old.exists ? &x->old.st : NULL);
	if (rc) {
		msg("%s: %s (file unchanged)", x->t->policy, strerror(-rc));
		return RC_FAIL;
	}
	return txn_apply(x);
}

/* --- assign, revoke ------------------------------------------------------ */

struct assign_args {
	const char *domain, *lineset;
	bool replace, offline;
	char **entries; /* --line values */
	unsigned int nentries;
};

/* "CHIP L L, CHIP L" of @d's lines, then ", " (for a line set after it). */
static void lineset_of(struct vg_strbuf *b, const struct vg_config_domain *d)
{
	unsigned int i;

	for (i = 0; i < d->nlines; i++) {
		if (!i || strcmp(d->lines[i].chip, d->lines[i - 1].chip)) {
			if (i)
				vg_strbuf_add(b, ", ");
			vg_strbuf_add(b, d->lines[i].chip);
		}
		vg_strbuf_add(b, " ");
		vg_strbuf_add(b, d->lines[i].line);
	}
	if (d->nlines)
		vg_strbuf_add(b, ", ");
}

/*
 * A line named in LINESET that a domain has already. The parser finds
 * these too, but names the domain it meets second, which may be ours.
 */
static int assign_check_taken(struct txn *x, const struct assign_args *a)
{
	const struct vg_config *cur = x->cur;
	unsigned int i, j, k;

	for (i = x->first; i < x->nd.nlines; i++) {
		const struct vg_config_line *l = &x->nd.lines[i];

		for (j = 0; j < cur->ndomains; j++) {
			const struct vg_config_domain *d = &cur->domains[j];

			if (a->replace && !strcmp(d->name, a->domain))
				continue;
			for (k = 0; k < d->nlines; k++) {
				if (!same_line(cur, l, &d->lines[k]))
					continue;
				msg("line %s %s: already in domain %s", l->chip,
				    l->line, d->name);
				return RC_INVALID;
			}
		}
	}
	return RC_OK;
}

/*
 * x->nd: the lines (kept ones first unless --replace), with the options of
 * --line entries; a line without one keeps the options it had.
 */
static int assign_build(struct txn *x, const struct assign_args *a)
{
	const struct vg_config_domain *od = vg_config_domain(x->cur, a->domain);
	const struct vg_config_domain *sd;
	struct vg_strbuf pre = {0};
	unsigned char *given;
	unsigned int i, k;
	int rc;

	if (od && !a->replace) {
		lineset_of(&pre, od);
		x->first = od->nlines;
	}
	if (pre.rc) {
		free(pre.s);
		msg("%s", strerror(ENOMEM));
		return RC_FAIL;
	}
	rc = scratch_parse(x, pre.s ? pre.s : "", a->lineset, a->entries,
			   a->nentries);
	free(pre.s);
	if (rc)
		return rc;
	sd = &x->scratch->domains[0];
	given = calloc(sd->nlines, 1);
	x->nd.lines = calloc(sd->nlines, sizeof(*x->nd.lines));
	if (!given || !x->nd.lines) {
		free(given);
		msg("%s", strerror(ENOMEM));
		return RC_FAIL;
	}
	x->nd.name = (char *)a->domain;
	x->nd.nlines = sd->nlines;
	for (i = 0; i < a->nentries; i++)
		given[entry_index(sd, a->entries[i])] = 1;
	for (i = 0; i < sd->nlines; i++) {
		struct vg_config_line *l = &x->nd.lines[i];

		*l = sd->lines[i];
		for (k = 0; !given[i] && od && k < od->nlines; k++) {
			if (!same_line(x->cur, l, &od->lines[k]))
				continue;
			*l = od->lines[k];
			l->chip = sd->lines[i].chip;
			l->line = sd->lines[i].line;
			break;
		}
	}
	free(given);
	return assign_check_taken(x, a);
}

/* Every LINESET line on a host chip exists and is free (or ours). */
static int assign_probe(struct txn *x)
{
	char why[ASSIGN_ERR_MAX];
	unsigned int i;
	int rc;

	for (i = x->first; i < x->nd.nlines; i++) {
		const struct vg_config_line *l = &x->nd.lines[i];

		if (vg_cfgsim_find(x->next, l->chip))
			continue;
		rc = probe_line(x->domain, l, why, sizeof(why));
		if (rc) {
			msg("%s (nothing changed; --offline skips this "
			    "check)",
			    why);
			return rc;
		}
	}
	return RC_OK;
}

static int cmd_assign(const struct tool *t, const struct assign_args *a)
{
	struct txn x;
	unsigned int i;
	int rc;

	rc = arg_check("domain", a->domain);
	if (!rc)
		rc = arg_check("line set", a->lineset);
	for (i = 0; !rc && i < a->nentries; i++)
		rc = arg_check("--line", a->entries[i]);
	if (rc)
		return rc;
	rc = txn_begin(&x, t, a->domain);
	if (!rc)
		rc = assign_build(&x, a);
	if (!rc)
		rc = txn_splice(&x);
	if (!rc && !a->offline)
		rc = assign_probe(&x);
	if (!rc)
		rc = txn_commit(&x);
	txn_end(&x);
	return rc;
}

/* x->nd: the domain's lines without those of @lineset (NULL: all). */
static int revoke_build(struct txn *x, const char *lineset)
{
	const struct vg_config_domain *od = vg_config_domain(x->cur, x->domain);
	const struct vg_config_domain *sd;
	unsigned char *gone;
	unsigned int i, k;
	int rc;

	if (!od) {
		msg("domain %s: not in %s", x->domain, x->t->policy);
		return RC_INVALID;
	}
	if (!lineset)
		return RC_OK; /* nd.nlines 0: the section goes */
	rc = scratch_parse(x, "", lineset, NULL, 0);
	if (rc)
		return rc;
	sd = &x->scratch->domains[0];
	gone = calloc(od->nlines, 1);
	x->nd.lines = calloc(od->nlines, sizeof(*x->nd.lines));
	if (!gone || !x->nd.lines) {
		free(gone);
		msg("%s", strerror(ENOMEM));
		return RC_FAIL;
	}
	for (i = 0; i < sd->nlines; i++) {
		for (k = 0; k < od->nlines; k++)
			if (same_line(x->cur, &sd->lines[i], &od->lines[k]))
				break;
		if (k == od->nlines) {
			msg("domain %s: line %s %s is not in this domain",
			    x->domain, sd->lines[i].chip, sd->lines[i].line);
			free(gone);
			return RC_INVALID;
		}
		gone[k] = 1;
	}
	x->nd.name = (char *)x->domain;
	for (k = 0; k < od->nlines; k++)
		if (!gone[k])
			x->nd.lines[x->nd.nlines++] = od->lines[k];
	free(gone);
	return RC_OK;
}

static int cmd_revoke(const struct tool *t, const char *domain,
		      const char *lineset)
{
	struct txn x;
	int rc;

	rc = arg_check("domain", domain);
	if (!rc && lineset)
		rc = arg_check("line set", lineset);
	if (rc)
		return rc;
	rc = txn_begin(&x, t, domain);
	if (!rc)
		rc = revoke_build(&x, lineset);
	if (!rc)
		rc = txn_splice(&x);
	if (!rc)
		rc = txn_commit(&x);
	txn_end(&x);
	return rc;
}

/* --- list, show, check, status ------------------------------------------- */

static int cmd_list(const struct tool *t)
{
	struct vg_config *cfg;
	struct ptext text;
	unsigned int i;
	int rc = policy_load(t, &text, &cfg);

	if (rc)
		return rc;
	if (t->json) {
		fputs("{\"policy\":", stdout);
		json_str(t->policy);
		fputs(",\"domains\":[", stdout);
	}
	for (i = 0; i < cfg->ndomains; i++) {
		const struct vg_config_domain *d = &cfg->domains[i];

		if (!t->json) {
			printf("%s %u\n", d->name, d->nlines);
			continue;
		}
		printf("%s{\"name\":", i ? "," : "");
		json_str(d->name);
		printf(",\"lines\":%u}", d->nlines);
	}
	if (t->json)
		puts("]}");
	vg_config_free(cfg);
	free(text.s);
	return RC_OK;
}

/* The guest's name for @l: given, or the sim line's; "": the host's. */
static const char *guest_name(const struct vg_config *cfg,
			      const struct vg_config_line *l)
{
	const struct vg_config_sim *s = vg_cfgsim_find(cfg, l->chip);
	int off;

	if (l->name[0] || !s || !s->names)
		return l->name;
	off = vg_cfgsim_line(s, l->line);
	return off >= 0 && s->names[off] ? s->names[off] : "";
}

static void show_line(const struct tool *t, const struct vg_config *cfg,
		      unsigned int i, const struct vg_config_line *l)
{
	static const char *const safe[] = {"input", "low", "high"};
	static const char *const bias[] = {"as-is", "disabled", "pull-up",
					   "pull-down"};
	static const char *const drive[] = {"push-pull", "open-drain",
					    "open-source"};
	const char *name = guest_name(cfg, l);
	char allow[32];
	bool first = true;

	vg_acl_allow_str(l->allow, allow, sizeof(allow));
	if (!t->json) {
		printf("%u %s %s name=%s allow=%s safe=%s bias=%s drive=%s "
		       "active-low=%s debounce=%u sim=%s\n",
		       i, l->chip, l->line, name[0] ? name : "-", allow,
		       safe[l->safe], bias[l->bias], drive[l->drive],
		       l->active_low ? "yes" : "no",
		       (unsigned int)l->debounce_us,
		       vg_cfgsim_find(cfg, l->chip) ? "yes" : "no");
		return;
	}
	putchar('{');
	json_key(&first, "index");
	printf("%u", i);
	json_key(&first, "chip");
	json_str(l->chip);
	json_key(&first, "line");
	json_str(l->line);
	json_key(&first, "name");
	json_str(name);
	json_key(&first, "allow");
	json_allow(l->allow);
	json_key(&first, "safe");
	json_str(safe[l->safe]);
	json_key(&first, "bias");
	json_str(bias[l->bias]);
	json_key(&first, "drive");
	json_str(drive[l->drive]);
	json_key(&first, "active_low");
	fputs(l->active_low ? "true" : "false", stdout);
	json_key(&first, "debounce_us");
	printf("%u", (unsigned int)l->debounce_us);
	json_key(&first, "sim");
	fputs(vg_cfgsim_find(cfg, l->chip) ? "true" : "false", stdout);
	putchar('}');
}

static int cmd_show(const struct tool *t, const char *domain)
{
	const struct vg_config_domain *d;
	struct vg_config *cfg;
	struct ptext text;
	unsigned int i;
	int rc = policy_load(t, &text, &cfg);

	if (rc)
		return rc;
	d = vg_config_domain(cfg, domain);
	if (!d) {
		msg("domain %s: not in %s", domain, t->policy);
		rc = RC_INVALID;
		goto out;
	}
	if (t->json) {
		fputs("{\"domain\":", stdout);
		json_str(d->name);
		fputs(",\"lines\":[", stdout);
	}
	for (i = 0; i < d->nlines; i++) {
		if (t->json && i)
			putchar(',');
		show_line(t, cfg, i, &d->lines[i]);
	}
	if (t->json)
		puts("]}");
out:
	vg_config_free(cfg);
	free(text.s);
	return rc;
}

static void check_problem(const struct tool *t, unsigned int n,
			  const char *domain, const struct vg_config_line *l,
			  const char *why)
{
	bool first = true;

	if (!t->json) {
		if (domain)
			printf("%s: domain %s: %s\n", t->policy, domain, why);
		else
			printf("%s\n", why);
		return;
	}
	printf("%s{", n ? "," : "");
	if (domain) {
		json_key(&first, "domain");
		json_str(domain);
		json_key(&first, "chip");
		json_str(l->chip);
		json_key(&first, "line");
		json_str(l->line);
	}
	json_key(&first, "message");
	json_str(why);
	putchar('}');
}

static int cmd_check(const struct tool *t)
{
	struct vg_config *cfg = NULL;
	struct ptext text;
	char why[ASSIGN_ERR_MAX];
	unsigned int i, k, nprob = 0, nprobed = 0;
	int rc = ptext_read(t->policy, false, &text);

	if (rc) {
		msg("%s: %s", t->policy, strerror(-rc));
		return RC_FAIL;
	}
	if (t->json) {
		fputs("{\"policy\":", stdout);
		json_str(t->policy);
		fputs(",\"problems\":[", stdout);
	}
	if (vg_config_parse(text.s, text.len, t->policy, &cfg, why,
			    sizeof(why)))
		check_problem(t, nprob++, NULL, NULL, why);
	for (i = 0; cfg && i < cfg->ndomains; i++) {
		const struct vg_config_domain *d = &cfg->domains[i];

		for (k = 0; k < d->nlines; k++) {
			if (vg_cfgsim_find(cfg, d->lines[k].chip))
				continue;
			nprobed++;
			if (probe_line(d->name, &d->lines[k], why, sizeof(why)))
				check_problem(t, nprob++, d->name, &d->lines[k],
					      why);
		}
	}
	if (t->json)
		printf("],\"ok\":%s,\"domains\":%u,\"probed\":%u}\n",
		       nprob ? "false" : "true", cfg ? cfg->ndomains : 0,
		       nprobed);
	else if (nprob)
		printf("%s: %u problem(s)\n", t->policy, nprob);
	else
		printf("%s: ok (%u domain(s), %u host line(s) probed)\n",
		       t->policy, cfg->ndomains, nprobed);
	vg_config_free(cfg);
	free(text.s);
	return nprob ? RC_FAIL : RC_OK;
}

/* One "key value" of a status line as a JSON member. */
static void status_pair(bool *first, const char *key, size_t klen,
			const char *val, size_t vlen)
{
	size_t i;

	if (!*first)
		putchar(',');
	*first = false;
	if (klen == 4 && !memcmp(key, "line", 4))
		json_str("index");
	else if (klen == 6 && !memcmp(key, "domain", 6))
		json_str("name");
	else if (klen == 5 && !memcmp(key, "lines", 5))
		json_str("nlines"); /* "lines" holds the line objects */
	else
		json_strn(key, klen);
	putchar(':');
	if (vg_cfg_is_digits(val, vlen) && vlen <= 19) {
		printf("%.*s", (int)vlen, val);
	} else if (vlen == 3 && !memcmp(val, "yes", 3)) {
		fputs("true", stdout);
	} else if (vlen == 2 && !memcmp(val, "no", 2)) {
		fputs("false", stdout);
	} else if (klen == 4 && !memcmp(key, "name", 4) && vlen == 1 &&
		   val[0] == '-') {
		json_str(""); /* unnamed */
	} else if (klen == 5 && !memcmp(key, "allow", 5)) {
		putchar('[');
		for (i = 0; i < vlen;) {
			size_t n = strcspn(val + i, ",");

			n = n > vlen - i ? vlen - i : n;
			if (i)
				putchar(',');
			json_strn(val + i, n);
			i += n + 1;
		}
		putchar(']');
	} else {
		json_strn(val, vlen);
	}
}

/*
 * vgpiod's status reply as JSON: "domain NAME key value ..." lines, each
 * followed by its "  line I key value ..." lines. Every pair becomes a
 * member, so fields vgpiod adds later appear too.
 */
static void status_json(char *reply)
{
	unsigned int ndom = 0, nline = 0;
	char *line, *save = NULL;

	fputs("{\"domains\":[", stdout);
	for (line = strtok_r(reply, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *w = line + strspn(line, " ");
		bool is_dom = !strncmp(w, "domain ", 7), first = true;

		if (!is_dom && (!ndom || strncmp(w, "line ", 5)))
			continue; /* not a line this version knows */
		if (is_dom)
			printf("%s{", ndom++ ? "]}," : "");
		else
			printf("%s{", nline++ ? "," : "");
		while (*w) {
			size_t kl = strcspn(w, " "), vl;
			const char *k = w;

			w += kl;
			w += strspn(w, " ");
			vl = strcspn(w, " ");
			status_pair(&first, k, kl, w, vl);
			w += vl;
			w += strspn(w, " ");
		}
		if (is_dom) {
			fputs(",\"lines\":[", stdout);
			nline = 0;
		} else {
			putchar('}');
		}
	}
	printf("%s]}\n", ndom ? "]}" : "");
}

static int cmd_status(const struct tool *t)
{
	struct vg_strbuf reply = {0};
	char final[ASSIGN_ERR_MAX];
	enum ctl_res res;
	int err = 0, rc = RC_OK;

	res = ctl_run(t->control, "status", &reply, final, sizeof(final), &err);
	if (res == CTL_NOCONN) {
		msg("%s: %s (is vgpiod running?)", t->control, strerror(err));
		rc = RC_NODAEMON;
	} else if (res != CTL_OK) {
		msg("%s: status: %s", t->control, final);
		rc = RC_FAIL;
	} else if (t->json) {
		if (reply.s)
			status_json(reply.s);
		else
			puts("{\"domains\":[]}");
	} else if (reply.s) {
		fputs(reply.s, stdout);
	}
	free(reply.s);
	return rc;
}

/* --- main ----------------------------------------------------------------- */

/* The words of a command after its name: --json and assign's options. */
static int parse_cmd_args(int argc, char **argv, bool read_cmd, struct tool *t,
			  struct assign_args *a, const char **pos,
			  unsigned int maxpos, unsigned int *npos)
{
	int i;

	*npos = 0;
	for (i = 0; i < argc; i++) {
		const char *w = argv[i];

		if (read_cmd && !strcmp(w, "--json")) {
			t->json = true;
		} else if (a && !strcmp(w, "--replace")) {
			a->replace = true;
		} else if (a && !strcmp(w, "--offline")) {
			a->offline = true;
		} else if (a && (!strcmp(w, "--line") ||
				 !strncmp(w, "--line=", 7))) {
			if (!w[6] && ++i == argc)
				return usage("--line needs a value");
			a->entries[a->nentries++] =
				w[6] ? argv[i] + 7 : argv[i];
		} else if (w[0] == '-' && w[1] == '-') {
			msg("unknown option '%s'", w);
			return usage(NULL);
		} else if (*npos == maxpos) {
			msg("unexpected argument '%s'", w);
			return usage(NULL);
		} else {
			pos[(*npos)++] = w;
		}
	}
	return RC_OK;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"policy", required_argument, NULL, 'f'},
		{"control", required_argument, NULL, 'C'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tool t = {.policy = ASSIGN_POLICY_DEFAULT,
			 .control = VG_DAEMON_CONTROL_SOCKET};
	struct assign_args a = {0};
	const char *cmd, *pos[2] = {NULL, NULL};
	unsigned int npos;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+f:C:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			t.policy = optarg;
			break;
		case 'C':
			t.control = optarg;
			break;
		case 'j':
			t.json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return RC_OK;
		default:
			return usage(NULL);
		}
	}
	if (optind >= argc)
		return usage("no command");
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;

	if (!strcmp(cmd, "assign")) {
		a.entries = calloc((size_t)argc + 1, sizeof(*a.entries));
		if (!a.entries)
			return RC_FAIL;
		rc = parse_cmd_args(argc, argv, false, &t, &a, pos, 2, &npos);
		if (!rc && npos != 2)
			rc = usage("assign needs DOMAIN and LINESET");
		if (!rc && t.json)
			rc = usage("--json is for list, show, check, status");
		if (!rc) {
			a.domain = pos[0];
			a.lineset = pos[1];
			rc = cmd_assign(&t, &a);
		}
		free(a.entries);
		return rc;
	}
	if (!strcmp(cmd, "revoke")) {
		rc = parse_cmd_args(argc, argv, false, &t, NULL, pos, 2, &npos);
		if (!rc && npos < 1)
			rc = usage("revoke needs DOMAIN");
		if (!rc && t.json)
			rc = usage("--json is for list, show, check, status");
		return rc ? rc : cmd_revoke(&t, pos[0], pos[1]);
	}
	if (!strcmp(cmd, "show")) {
		rc = parse_cmd_args(argc, argv, true, &t, NULL, pos, 1, &npos);
		if (!rc && npos != 1)
			rc = usage("show needs DOMAIN");
		return rc ? rc : cmd_show(&t, pos[0]);
	}
	if (strcmp(cmd, "list") && strcmp(cmd, "check") &&
	    strcmp(cmd, "status")) {
		msg("unknown command '%s'", cmd);
		return usage(NULL);
	}
	rc = parse_cmd_args(argc, argv, true, &t, NULL, pos, 0, &npos);
	if (rc)
		return rc;
	if (!strcmp(cmd, "list"))
		return cmd_list(&t);
	if (!strcmp(cmd, "check"))
		return cmd_check(&t);
	return cmd_status(&t);
}
