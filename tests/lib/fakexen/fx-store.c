// SPDX-License-Identifier: BSD-3-Clause
/*
 * The fake xenstored and libxenstore, after C xenstored (Xen 4.17):
 *
 *  - a tree of nodes with values; paths are absolute or relative to
 *    /local/domain/0 (the connection's home, dom0); writes create missing
 *    parents; removing a missing node is fine if its parent exists;
 *  - transactions work on a copy of the tree taken at start plus their
 *    own changes, and commit with EAGAIN if a node they read or wrote was
 *    changed by anyone else meanwhile (a change log stands in for the
 *    generation counts of xenstored_transaction.c);
 *  - watches fire at registration, then for every change at or below
 *    their path, a committed transaction's changes at commit (one event
 *    per changed node and watch, like finalize_transaction()); removing
 *    a subtree also fires watches set exactly on the removed nodes; the
 *    path is spelled relative if the watch was registered relative.
 *
 * Watch events queue per handle behind an eventfd that is readable
 * exactly while the queue is non-empty (xs_fileno()).
 *
 * Also the toolstack side: fx_xs_*, fx_xl_*.
 */
#include <xenctrl.h>
#include <xenstore.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fx-internal.h"

#define HOME "/local/domain/0"
#define FX_XS_PATH_MAX 3072 /* XENSTORE_ABS_PATH_MAX */

struct fx_node {
	char *name;
	char *value;
	unsigned int len;
	struct fx_node *parent, *child, *next; /* children in creation order */
};

struct fx_event {
	char *path, *token;
	uint64_t seq;
	struct fx_event *next;
};

struct xs_handle {
	struct fx_handle h;
	int fd; /* eventfd: readable while events are queued */
	struct fx_event *head, **tail;
};

struct fx_watch {
	struct xs_handle *xs;
	char *path; /* absolute, or a special "@..." name */
	char *token;
	bool rel; /* registered relative to HOME */
	struct fx_watch *next;
};

enum fx_op_kind {
	OP_WRITE,
	OP_MKDIR,
	OP_RM,
};

struct fx_op {
	enum fx_op_kind kind;
	char *path;
	char *value;
	unsigned int len;
	struct fx_op *next;
};

struct fx_tx {
	uint32_t id;
	struct xs_handle *xs; /* NULL: the fake toolstack's */
	struct fx_node *root; /* snapshot + own changes */
	uint64_t start; /* store generation at start */
	char **touched;
	size_t nt, ct;
	struct fx_op *ops, **ops_tail;
	struct fx_tx *next;
};

/* A change of the live tree, for transaction conflict checks. */
struct fx_change {
	char *path;
	bool subtree; /* removal: everything below changed too */
	uint64_t gen;
	struct fx_change *next;
};

struct fx_store {
	struct fx_node *root;
	uint64_t gen;
	uint64_t seq; /* of the last queued event */
	uint64_t batch; /* first seq of the commit being fired, or 0 */
	uint32_t next_tx;
	struct fx_tx *txs;
	struct fx_change *changes;
	struct fx_watch *watches;
};

static struct fx_store *st(void)
{
	fx_ensure();
	return fx_w.store;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		abort();
	return p;
}

/* --- paths ---------------------------------------------------------------- */

/* is_child() of xenstored: @child is @parent or below it. */
static bool is_under(const char *child, const char *parent)
{
	size_t n = strlen(parent);

	if (!strcmp(parent, "/"))
		return child[0] == '/';
	return !strncmp(child, parent, n) && (!child[n] || child[n] == '/');
}

/*
 * Absolute form of @path, malloc'ed, or NULL with EINVAL for a name
 * xenstored's is_valid_nodename() refuses.
 */
static char *canon(const char *path)
{
	char *abs;
	size_t n;

	if (!path || !*path)
		goto inval;
	for (const char *c = path; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-/_@", *c))
			goto inval;
	if (path[0] == '/') {
		abs = xstrdup(path);
	} else {
		abs = malloc(sizeof(HOME) + 1 + strlen(path));
		if (!abs)
			abort();
		sprintf(abs, HOME "/%s", path);
	}
	n = strlen(abs);
	if (strstr(abs, "//") || (n > 1 && abs[n - 1] == '/') ||
	    n > FX_XS_PATH_MAX) {
		free(abs);
		goto inval;
	}
	return abs;
inval:
	errno = EINVAL;
	return NULL;
}

/* --- nodes ---------------------------------------------------------------- */

static struct fx_node *node_new(struct fx_node *parent, const char *name,
				size_t nlen)
{
	struct fx_node *n = calloc(1, sizeof(*n));
	struct fx_node **pp;

	if (!n)
		abort();
	n->name = strndup(name, nlen);
	n->value = xstrdup("");
	if (!n->name)
		abort();
	n->parent = parent;
	if (parent) {
		for (pp = &parent->child; *pp; pp = &(*pp)->next)
			;
		*pp = n;
	}
	return n;
}

static void node_free(struct fx_node *n)
{
	while (n->child) {
		struct fx_node *c = n->child;

		n->child = c->next;
		node_free(c);
	}
	free(n->name);
	free(n->value);
	free(n);
}

static void node_unlink(struct fx_node *n)
{
	for (struct fx_node **pp = &n->parent->child; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			return;
		}
}

static struct fx_node *node_copy(const struct fx_node *n,
				 struct fx_node *parent)
{
	struct fx_node *c = node_new(parent, n->name, strlen(n->name));

	free(c->value);
	c->value = malloc(n->len + 1);
	if (!c->value)
		abort();
	memcpy(c->value, n->value, n->len + 1);
	c->len = n->len;
	for (const struct fx_node *k = n->child; k; k = k->next)
		node_copy(k, c);
	return c;
}

/* Look up absolute @path; with @create, make what is missing. */
static struct fx_node *node_get(struct fx_node *root, const char *path,
				bool create, struct fx_node **first_new)
{
	struct fx_node *n = root;
	const char *p = path + 1;

	if (first_new)
		*first_new = NULL;
	while (*p) {
		size_t len = strcspn(p, "/");
		struct fx_node *c;

		for (c = n->child; c; c = c->next)
			if (strlen(c->name) == len && !strncmp(c->name, p, len))
				break;
		if (!c) {
			if (!create)
				return NULL;
			c = node_new(n, p, len);
			if (first_new && !*first_new)
				*first_new = c;
		}
		n = c;
		p += len;
		if (*p == '/')
			p++;
	}
	return n;
}

static void node_set(struct fx_node *n, const void *data, unsigned int len)
{
	free(n->value);
	n->value = malloc(len + 1);
	if (!n->value)
		abort();
	memcpy(n->value, data, len);
	n->value[len] = '\0';
	n->len = len;
}

static char *node_path(const struct fx_node *n)
{
	char buf[FX_XS_PATH_MAX + 2] = "";
	char tmp[FX_XS_PATH_MAX + 2];

	if (!n->parent)
		return xstrdup("/");
	for (; n->parent; n = n->parent) {
		snprintf(tmp, sizeof(tmp), "/%s%s", n->name, buf);
		memcpy(buf, tmp, sizeof(buf));
	}
	return xstrdup(buf);
}

static char *parent_path(const char *abs)
{
	char *p = xstrdup(abs);
	char *slash = strrchr(p, '/');

	if (slash == p)
		slash[1] = '\0';
	else
		*slash = '\0';
	return p;
}

/* --- watch events --------------------------------------------------------- */

static void xs_queue(struct xs_handle *xs, const char *path, const char *token)
{
	struct fx_store *s = st();
	struct fx_event *e;
	uint64_t one = 1;

	/* Within one commit, one event per node and watch. */
	if (s->batch)
		for (e = xs->head; e; e = e->next)
			if (e->seq >= s->batch && !strcmp(e->path, path) &&
			    !strcmp(e->token, token))
				return;
	e = calloc(1, sizeof(*e));
	if (!e)
		abort();
	e->path = xstrdup(path);
	e->token = xstrdup(token);
	e->seq = ++s->seq;
	if (!xs->head && write(xs->fd, &one, sizeof(one)) < 0)
		abort();
	*xs->tail = e;
	xs->tail = &e->next;
}

static void watch_event(struct fx_watch *w, const char *abs)
{
	/* A relative watch hears paths relative to HOME. */
	if (w->rel && is_under(abs, HOME) && strlen(abs) > sizeof(HOME))
		abs += sizeof(HOME);
	xs_queue(w->xs, abs, w->token);
}

static void fire(const char *abs, bool exact)
{
	for (struct fx_watch *w = st()->watches; w; w = w->next) {
		if (w->xs->h.neutered)
			continue; /* its socket is /dev/null now */
		if (exact ? !strcmp(w->path, abs) : is_under(abs, w->path))
			watch_event(w, abs);
	}
}

void fx_store_fire_special(const char *name)
{
	fire(name, true);
}

/* --- the live tree -------------------------------------------------------- */

static void log_change(const char *path, bool subtree)
{
	struct fx_store *s = st();
	struct fx_change *c;

	if (!s->txs)
		return; /* nobody to conflict with */
	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->path = xstrdup(path);
	c->subtree = subtree;
	c->gen = s->gen;
	c->next = s->changes;
	s->changes = c;
}

/* New nodes changed themselves and the parent of the topmost one. */
static void log_created(struct fx_node *n, struct fx_node *first_new)
{
	char *p;

	if (!first_new)
		return;
	for (; n != first_new->parent; n = n->parent) {
		p = node_path(n);
		log_change(p, false);
		free(p);
	}
	p = node_path(first_new->parent);
	log_change(p, false);
	free(p);
}

static void live_write(const char *abs, const void *data, unsigned int len,
		       bool mkdir)
{
	struct fx_store *s = st();
	struct fx_node *first_new, *n;

	n = node_get(s->root, abs, true, &first_new);
	if (mkdir && !first_new)
		return; /* do_mkdir: an existing node is left alone */
	s->gen++;
	if (!mkdir)
		node_set(n, data, len);
	log_change(abs, false);
	log_created(n, first_new);
	fire(abs, false);
}

static void fire_removed(struct fx_node *n)
{
	char *p = node_path(n);

	fire(p, true);
	free(p);
	for (struct fx_node *c = n->child; c; c = c->next)
		fire_removed(c);
}

static int live_rm(const char *abs)
{
	struct fx_store *s = st();
	struct fx_node *n = node_get(s->root, abs, false, NULL);
	char *parent;

	if (!strcmp(abs, "/"))
		return -EINVAL;
	if (!n) {
		/* do_rm(): fine as long as the parent exists. */
		parent = parent_path(abs);
		n = node_get(s->root, parent, false, NULL);
		free(parent);
		return n ? 0 : -ENOENT;
	}
	s->gen++;
	for (struct fx_node *c = n->child; c; c = c->next)
		fire_removed(c);
	fire(abs, false);
	log_change(abs, true);
	parent = parent_path(abs);
	log_change(parent, false);
	free(parent);
	node_unlink(n);
	node_free(n);
	return 0;
}

/* --- transactions --------------------------------------------------------- */

static struct fx_tx *tx_find(struct xs_handle *xs, xs_transaction_t t)
{
	for (struct fx_tx *tx = st()->txs; tx; tx = tx->next)
		if (tx->id == t && tx->xs == xs)
			return tx;
	return NULL;
}

static struct fx_tx *tx_new(struct xs_handle *xs)
{
	struct fx_store *s = st();
	struct fx_tx *tx = calloc(1, sizeof(*tx));

	if (!tx)
		abort();
	tx->id = ++s->next_tx ? s->next_tx : ++s->next_tx;
	tx->xs = xs;
	tx->root = node_copy(s->root, NULL);
	tx->start = s->gen;
	tx->ops_tail = &tx->ops;
	tx->next = s->txs;
	s->txs = tx;
	return tx;
}

static void tx_touch(struct fx_tx *tx, const char *abs)
{
	for (size_t i = 0; i < tx->nt; i++)
		if (!strcmp(tx->touched[i], abs))
			return;
	if (tx->nt == tx->ct) {
		size_t ct = tx->ct ? tx->ct * 2 : 16;
		char **t = realloc(tx->touched, ct * sizeof(*t));

		if (!t)
			abort();
		tx->touched = t;
		tx->ct = ct;
	}
	tx->touched[tx->nt++] = xstrdup(abs);
}

static void tx_op(struct fx_tx *tx, enum fx_op_kind kind, const char *abs,
		  const void *data, unsigned int len)
{
	struct fx_op *op = calloc(1, sizeof(*op));

	if (!op)
		abort();
	op->kind = kind;
	op->path = xstrdup(abs);
	if (kind == OP_WRITE) {
		op->value = malloc(len + 1);
		if (!op->value)
			abort();
		memcpy(op->value, data, len);
		op->len = len;
	}
	*tx->ops_tail = op;
	tx->ops_tail = &op->next;
}

static void tx_free(struct fx_tx *tx)
{
	struct fx_store *s = fx_w.store;

	for (struct fx_tx **pp = &s->txs; *pp; pp = &(*pp)->next)
		if (*pp == tx) {
			*pp = tx->next;
			break;
		}
	node_free(tx->root);
	for (size_t i = 0; i < tx->nt; i++)
		free(tx->touched[i]);
	free(tx->touched);
	while (tx->ops) {
		struct fx_op *op = tx->ops;

		tx->ops = op->next;
		free(op->path);
		free(op->value);
		free(op);
	}
	free(tx);
	/* The change log only serves open transactions. */
	if (!s->txs)
		while (s->changes) {
			struct fx_change *c = s->changes;

			s->changes = c->next;
			free(c->path);
			free(c);
		}
}

static bool tx_conflicts(const struct fx_tx *tx)
{
	for (const struct fx_change *c = st()->changes; c; c = c->next) {
		if (c->gen <= tx->start)
			continue;
		for (size_t i = 0; i < tx->nt; i++)
			if (!strcmp(tx->touched[i], c->path) ||
			    (c->subtree && is_under(tx->touched[i], c->path)))
				return true;
	}
	return false;
}

/* Commit or abandon; 0 or -EAGAIN (conflict, nothing applied). */
static int tx_end(struct fx_tx *tx, bool abort_tx)
{
	struct fx_store *s = st();

	if (abort_tx) {
		tx_free(tx);
		return 0;
	}
	if (tx_conflicts(tx)) {
		tx_free(tx);
		return -EAGAIN;
	}
	s->batch = s->seq + 1;
	for (struct fx_op *op = tx->ops; op; op = op->next) {
		if (op->kind == OP_RM)
			live_rm(op->path);
		else
			live_write(op->path, op->value, op->len,
				   op->kind == OP_MKDIR);
	}
	s->batch = 0;
	tx_free(tx);
	return 0;
}

/* --- operations, in or out of a transaction ------------------------------- */

static struct fx_node *op_root(struct fx_tx *tx)
{
	return tx ? tx->root : st()->root;
}

static char *op_read(struct fx_tx *tx, const char *abs, unsigned int *len)
{
	struct fx_node *n;
	char *v;

	if (tx)
		tx_touch(tx, abs);
	n = node_get(op_root(tx), abs, false, NULL);
	if (!n) {
		errno = ENOENT;
		return NULL;
	}
	v = malloc(n->len + 1);
	if (!v)
		abort();
	memcpy(v, n->value, n->len + 1);
	if (len)
		*len = n->len;
	return v;
}

static void op_write(struct fx_tx *tx, const char *abs, const void *data,
		     unsigned int len, bool mkdir)
{
	struct fx_node *n, *first_new;

	if (!tx) {
		live_write(abs, data, len, mkdir);
		return;
	}
	n = node_get(tx->root, abs, true, &first_new);
	tx_touch(tx, abs);
	/* Created nodes: touched too, someone else may create them. */
	for (struct fx_node *c = n; first_new && c != first_new->parent;
	     c = c->parent) {
		char *p = node_path(c);

		tx_touch(tx, p);
		free(p);
	}
	if (mkdir && !first_new)
		return;
	if (!mkdir)
		node_set(n, data, len);
	tx_op(tx, mkdir ? OP_MKDIR : OP_WRITE, abs, data, len);
}

static int op_rm(struct fx_tx *tx, const char *abs)
{
	struct fx_node *n;
	char *parent;

	if (!tx)
		return live_rm(abs);
	if (!strcmp(abs, "/"))
		return -EINVAL;
	parent = parent_path(abs);
	tx_touch(tx, abs);
	tx_touch(tx, parent);
	n = node_get(tx->root, abs, false, NULL);
	if (!n) {
		n = node_get(tx->root, parent, false, NULL);
		free(parent);
		return n ? 0 : -ENOENT;
	}
	free(parent);
	node_unlink(n);
	node_free(n);
	tx_op(tx, OP_RM, abs, NULL, 0);
	return 0;
}

/* --- libxenstore ---------------------------------------------------------- */

struct xs_handle *xs_open(unsigned long flags)
{
	struct xs_handle *xs;

	(void)flags;
	if (FX_INJECT())
		return NULL;
	xs = calloc(1, sizeof(*xs));
	if (!xs)
		return NULL;
	xs->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (xs->fd < 0) {
		free(xs);
		return NULL;
	}
	xs->tail = &xs->head;
	fx_handle_add(&xs->h, FX_H_XS);
	return xs;
}

void xs_close(struct xs_handle *xsh)
{
	struct fx_store *s;

	if (!xsh)
		return;
	s = st();
	for (struct fx_watch **pp = &s->watches; *pp;) {
		struct fx_watch *w = *pp;

		if (w->xs != xsh) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		free(w->path);
		free(w->token);
		free(w);
	}
	for (struct fx_tx *tx = s->txs, *next; tx; tx = next) {
		next = tx->next;
		if (tx->xs == xsh)
			tx_free(tx);
	}
	while (xsh->head) {
		struct fx_event *e = xsh->head;

		xsh->head = e->next;
		free(e->path);
		free(e->token);
		free(e);
	}
	fx_handle_del(&xsh->h);
	close(xsh->fd);
	free(xsh);
}

int xs_fileno(struct xs_handle *h)
{
	return h->fd;
}

/* Common entry: neutered handle (EOF on /dev/null -> EBADF), transaction. */
static bool xs_begin(struct xs_handle *h, xs_transaction_t t, struct fx_tx **tx)
{
	if (h->h.neutered) {
		errno = EBADF;
		return false;
	}
	*tx = NULL;
	if (t != XBT_NULL) {
		*tx = tx_find(h, t);
		if (!*tx) {
			errno = ENOENT;
			return false;
		}
	}
	return true;
}

void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path,
	      unsigned int *len)
{
	struct fx_tx *tx;
	char *abs, *v;

	if (FX_INJECT() || !xs_begin(h, t, &tx))
		return NULL;
	abs = canon(path);
	if (!abs)
		return NULL;
	v = op_read(tx, abs, len);
	free(abs);
	return v;
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path,
	      const void *data, unsigned int len)
{
	struct fx_tx *tx;
	char *abs;

	if (FX_INJECT() || !xs_begin(h, t, &tx))
		return false;
	abs = canon(path);
	if (!abs)
		return false;
	op_write(tx, abs, data, len, false);
	free(abs);
	return true;
}

bool xs_mkdir(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	struct fx_tx *tx;
	char *abs;

	if (FX_INJECT() || !xs_begin(h, t, &tx))
		return false;
	abs = canon(path);
	if (!abs)
		return false;
	op_write(tx, abs, NULL, 0, true);
	free(abs);
	return true;
}

bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	struct fx_tx *tx;
	char *abs;
	int rc;

	if (FX_INJECT() || !xs_begin(h, t, &tx))
		return false;
	abs = canon(path);
	if (!abs)
		return false;
	rc = op_rm(tx, abs);
	free(abs);
	if (rc) {
		errno = -rc;
		return false;
	}
	return true;
}

/* One allocation: the array of pointers, then the strings. */
char **xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path,
		    unsigned int *num)
{
	struct fx_node *n;
	struct fx_tx *tx;
	size_t bytes = 0;
	unsigned int cnt = 0;
	char **vec, *p, *abs;

	if (FX_INJECT() || !xs_begin(h, t, &tx))
		return NULL;
	abs = canon(path);
	if (!abs)
		return NULL;
	if (tx)
		tx_touch(tx, abs);
	n = node_get(op_root(tx), abs, false, NULL);
	free(abs);
	if (!n) {
		errno = ENOENT;
		return NULL;
	}
	for (struct fx_node *c = n->child; c; c = c->next) {
		cnt++;
		bytes += strlen(c->name) + 1;
	}
	vec = malloc(cnt * sizeof(*vec) + bytes + 1);
	if (!vec)
		return NULL;
	p = (char *)(vec + cnt);
	cnt = 0;
	for (struct fx_node *c = n->child; c; c = c->next) {
		vec[cnt++] = p;
		p = stpcpy(p, c->name) + 1;
	}
	*num = cnt;
	return vec;
}

xs_transaction_t xs_transaction_start(struct xs_handle *h)
{
	if (FX_INJECT())
		return XBT_NULL;
	if (h->h.neutered) {
		errno = EBADF;
		return XBT_NULL;
	}
	return tx_new(h)->id;
}

bool xs_transaction_end(struct xs_handle *h, xs_transaction_t t, bool abort)
{
	struct fx_tx *tx;
	int rc;

	if (FX_INJECT()) {
		/* A failed end still ends the transaction (xenstored). */
		tx = tx_find(h, t);
		if (tx)
			tx_free(tx);
		return false;
	}
	if (!xs_begin(h, t, &tx))
		return false;
	if (!tx) {
		errno = ENOENT;
		return false;
	}
	rc = tx_end(tx, abort);
	if (rc) {
		errno = -rc;
		return false;
	}
	return true;
}

char *xs_get_domain_path(struct xs_handle *h, unsigned int domid)
{
	char *p;

	if (FX_INJECT())
		return NULL;
	if (h->h.neutered) {
		errno = EBADF;
		return NULL;
	}
	if (asprintf(&p, "/local/domain/%u", domid) < 0)
		return NULL;
	return p;
}

bool xs_watch(struct xs_handle *h, const char *path, const char *token)
{
	struct fx_store *s;
	struct fx_watch *w;
	char *abs;

	if (FX_INJECT())
		return false;
	if (h->h.neutered) {
		errno = EBADF;
		return false;
	}
	if (!token) {
		errno = EINVAL;
		return false;
	}
	s = st();
	abs = path && path[0] == '@' ? xstrdup(path) : canon(path);
	if (!abs)
		return false;
	for (w = s->watches; w; w = w->next)
		if (w->xs == h && !strcmp(w->path, abs) &&
		    !strcmp(w->token, token)) {
			free(abs);
			errno = EEXIST;
			return false;
		}
	w = calloc(1, sizeof(*w));
	if (!w)
		abort();
	w->xs = h;
	w->path = abs;
	w->token = xstrdup(token);
	w->rel = path[0] != '/' && path[0] != '@';
	w->next = s->watches;
	s->watches = w;
	/* xenstored fires every new watch once, with its own path. */
	watch_event(w, abs);
	return true;
}

bool xs_unwatch(struct xs_handle *h, const char *path, const char *token)
{
	struct fx_store *s;
	char *abs;

	if (FX_INJECT())
		return false;
	if (h->h.neutered) {
		errno = EBADF;
		return false;
	}
	s = st();
	abs = path && path[0] == '@' ? xstrdup(path) : canon(path);
	if (!abs)
		return false;
	for (struct fx_watch **pp = &s->watches; *pp; pp = &(*pp)->next) {
		struct fx_watch *w = *pp;

		if (w->xs != h || strcmp(w->path, abs) ||
		    strcmp(w->token, token))
			continue;
		*pp = w->next;
		/* The library drops events of this watch still queued. */
		for (struct fx_event **ep = &h->head; *ep;) {
			struct fx_event *e = *ep;

			if (strcmp(e->token, token) ||
			    !is_under(e->path, path)) {
				ep = &e->next;
				continue;
			}
			*ep = e->next;
			free(e->path);
			free(e->token);
			free(e);
		}
		h->tail = &h->head;
		while (*h->tail)
			h->tail = &(*h->tail)->next;
		if (!h->head) {
			uint64_t cnt;

			if (read(h->fd, &cnt, sizeof(cnt)) < 0 &&
			    errno != EAGAIN)
				abort();
		}
		free(w->path);
		free(w->token);
		free(w);
		free(abs);
		return true;
	}
	free(abs);
	errno = ENOENT;
	return false;
}

/* One allocation: vec[XS_WATCH_PATH], vec[XS_WATCH_TOKEN], the strings. */
char **xs_check_watch(struct xs_handle *h)
{
	struct fx_event *e = h->head;
	size_t pl, tl;
	char **vec;

	if (FX_INJECT())
		return NULL;
	if (!e) {
		errno = EAGAIN;
		return NULL;
	}
	pl = strlen(e->path) + 1;
	tl = strlen(e->token) + 1;
	vec = malloc(2 * sizeof(*vec) + pl + tl);
	if (!vec)
		return NULL;
	vec[XS_WATCH_PATH] = (char *)(vec + 2);
	vec[XS_WATCH_TOKEN] = vec[XS_WATCH_PATH] + pl;
	memcpy(vec[XS_WATCH_PATH], e->path, pl);
	memcpy(vec[XS_WATCH_TOKEN], e->token, tl);
	h->head = e->next;
	if (!h->head) {
		uint64_t cnt;

		h->tail = &h->head;
		if (read(h->fd, &cnt, sizeof(cnt)) < 0)
			abort();
	}
	free(e->path);
	free(e->token);
	free(e);
	return vec;
}

/* The real one blocks; the fake's users poll xs_fileno() first. */
char **xs_read_watch(struct xs_handle *h, unsigned int *num)
{
	char **vec;

	if (FX_INJECT())
		return NULL;
	vec = xs_check_watch(h);
	if (vec && num)
		*num = 2;
	return vec;
}

/* --- the world's store ---------------------------------------------------- */

void fx_store_init(void)
{
	fx_w.store = calloc(1, sizeof(*fx_w.store));
	if (!fx_w.store)
		abort();
	fx_w.store->root = node_new(NULL, "", 0);
	live_write(HOME "/name", "Domain-0", 8, false);
	live_write(HOME "/domid", "0", 1, false);
}

void fx_store_free(void)
{
	struct fx_store *s = fx_w.store;

	if (!s)
		return;
	while (s->txs)
		tx_free(s->txs);
	while (s->watches) {
		struct fx_watch *w = s->watches;

		s->watches = w->next;
		free(w->path);
		free(w->token);
		free(w);
	}
	node_free(s->root);
	free(s);
	fx_w.store = NULL;
}

int fx_store_write(const char *path, const char *value)
{
	char *abs = canon(path);

	if (!abs)
		return -errno;
	live_write(abs, value, (unsigned int)strlen(value), false);
	free(abs);
	return 0;
}

int fx_store_rm(const char *path)
{
	char *abs = canon(path);
	int rc;

	if (!abs)
		return -errno;
	rc = live_rm(abs);
	free(abs);
	return rc;
}

char *fx_xs_read(const char *path)
{
	char *abs, *v;

	fx_ensure();
	abs = canon(path);
	if (!abs)
		return NULL;
	v = op_read(NULL, abs, NULL);
	free(abs);
	return v;
}

int fx_xs_write(const char *path, const char *value)
{
	fx_ensure();
	return fx_store_write(path, value);
}

int fx_xs_rm(const char *path)
{
	fx_ensure();
	return fx_store_rm(path);
}

/* --- the toolstack (libxl) ------------------------------------------------ */

static void tx_writef(struct fx_tx *tx, const char *dir, const char *key,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void tx_writef(struct fx_tx *tx, const char *dir, const char *key,
		      const char *fmt, ...)
{
	char path[256], val[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	op_write(tx, path, val, (unsigned int)strlen(val), false);
}

/* libxl__device_generic_add(), in one transaction. */
int fx_xl_add_virtio(const struct fx_virtio_dev *d)
{
	char be[128], fe[128];
	struct fx_tx *tx;

	fx_ensure();
	if (!d || !d->type || !d->transport || d->grant_usage > 1)
		return -EINVAL;
	if (!fx_dom_live(d->domid))
		return -ESRCH;
	snprintf(be, sizeof(be), HOME "/backend/virtio/%u/%u", d->domid,
		 d->devid);
	snprintf(fe, sizeof(fe), "/local/domain/%u/device/virtio/%u", d->domid,
		 d->devid);
	tx = tx_new(NULL);
	op_rm(tx, fe);
	op_write(tx, fe, NULL, 0, true);
	tx_writef(tx, fe, "backend", "%s", be);
	tx_writef(tx, fe, "backend-id", "0");
	tx_writef(tx, fe, "state", "1");
	op_rm(tx, be);
	op_write(tx, be, NULL, 0, true);
	tx_writef(tx, be, "frontend", "%s", fe);
	tx_writef(tx, be, "frontend-id", "%u", d->domid);
	tx_writef(tx, be, "online", "1");
	tx_writef(tx, be, "state", "1");
	tx_writef(tx, be, "irq", "%u", d->irq);
	tx_writef(tx, be, "base", "%#llx", (unsigned long long)d->base);
	tx_writef(tx, be, "type", "%s", d->type);
	tx_writef(tx, be, "transport", "%s", d->transport);
	if (d->grant_usage >= 0)
		tx_writef(tx, be, "grant_usage", "%d", d->grant_usage);
	/* Nothing else runs inside this call: the commit cannot conflict. */
	return tx_end(tx, false);
}

/* The devids under the domain's virtio backend directory (malloc'ed). */
static unsigned int *xl_devids(unsigned int domid, unsigned int *n)
{
	char dir[128];
	struct fx_node *d;
	unsigned int *ids, i = 0;

	snprintf(dir, sizeof(dir), HOME "/backend/virtio/%u", domid);
	d = node_get(st()->root, dir, false, NULL);
	*n = 0;
	for (struct fx_node *c = d ? d->child : NULL; c; c = c->next)
		(*n)++;
	ids = calloc(*n + 1, sizeof(*ids));
	if (!ids)
		abort();
	for (struct fx_node *c = d ? d->child : NULL; c; c = c->next)
		ids[i++] = (unsigned int)strtoul(c->name, NULL, 10);
	return ids;
}

int fx_xl_destroy_devices(unsigned int domid)
{
	unsigned int n, *ids;
	int rc = 0;

	fx_ensure();
	ids = xl_devids(domid, &n);
	for (unsigned int i = 0; i < n && !rc; i++) {
		char be[128], fe[128], path[160];
		struct fx_tx *tx;
		char *state;

		snprintf(be, sizeof(be), HOME "/backend/virtio/%u/%u", domid,
			 ids[i]);
		snprintf(fe, sizeof(fe), "/local/domain/%u/device/virtio/%u",
			 domid, ids[i]);
		live_rm(fe);
		tx = tx_new(NULL);
		tx_writef(tx, be, "online", "0");
		snprintf(path, sizeof(path), "%s/state", be);
		state = op_read(tx, path, NULL);
		if (!state || strcmp(state, "6"))
			tx_writef(tx, be, "state", "5");
		free(state);
		rc = tx_end(tx, false);
	}
	free(ids);
	return rc;
}

int fx_xl_destroy_finish(unsigned int domid)
{
	unsigned int n, *ids;
	int rc, late = 0;
	char dir[128];

	fx_ensure();
	ids = xl_devids(domid, &n);
	snprintf(dir, sizeof(dir), HOME "/backend/virtio/%u", domid);
	for (unsigned int i = 0; i < n; i++) {
		char be[160], path[192];
		char *state;

		snprintf(be, sizeof(be), "%s/%u", dir, ids[i]);
		snprintf(path, sizeof(path), "%s/state", be);
		state = op_read(NULL, path, NULL);
		late += !state || strcmp(state, "6");
		free(state);
		live_rm(be);
	}
	free(ids);
	live_rm(dir);
	rc = fx_domain_destroy(domid);
	return rc ? rc : late;
}
