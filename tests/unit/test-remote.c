// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests: the remote line provider (backend/providers/remote*.c).
 * The server runs in a thread, as the parent process would: a client call
 * blocks until its return, so one thread cannot play both ends. The
 * server's provider (a sim, or the recording fake) is only touched under
 * t->mu, by the server thread or by the test between calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fakeprov.h"
#include "remote.h"
#include "sim.h"

/* A line the test holds as the parent would, and may lend. */
struct held {
	struct t *t;
	const char *name;
	struct vg_line *h;
	enum vg_dir dir0; /* its safe state */
	int v0;
	unsigned int allow; /* its rights, VG_REMOTE_* */
	struct vg_remote_lent *cookie; /* non-NULL while lent */
	unsigned int given_back;
};

struct t {
	pthread_mutex_t mu;
	pthread_t thr;
	int stop[2]; /* pipe: wakes the server thread to end */
	int peer; /* the client's socket (before vg_remote_new takes it) */
	struct vg_sim *sim;
	struct vg_fakeprov *fp;
	struct vg_provider prov;
	struct vg_remote_server *srv;
	bool srv_dead; /* server thread saw its peer go and freed it */
	struct vg_remote *r;
	struct vg_provider cli;
	/* Records edges the client's callbacks receive. */
	unsigned int nedges, edges[8];
	struct held held[2]; /* "led" (output, 0) and "in" (input) */
};

static const char *const chips[] = {"board"};
static const char *const board_names[] = {"led", "btn", "in"};

static void held_event(void *arg, unsigned int edge)
{
	struct held *hl = arg;

	if (hl->cookie)
		vg_remote_server_event(hl->cookie, edge);
}

/* The domain may have board:led and board:in, push-pull, no bias. */
static int lend(void *arg, const struct vg_line_spec *spec,
		struct vg_remote_lent *cookie, struct vg_provider *prov,
		struct vg_line **line, unsigned int *allow, void **token)
{
	struct t *t = arg;
	unsigned int i;

	if (strcmp(spec->chip, "board") || spec->bias != VG_BIAS_AS_IS ||
	    spec->drive != VG_DRIVE_PUSH_PULL)
		return -EACCES;
	for (i = 0; i < 2; i++) {
		struct held *hl = &t->held[i];

		if (strcmp(spec->line, hl->name))
			continue;
		if (hl->cookie)
			return -EBUSY;
		hl->cookie = cookie;
		*prov = t->prov;
		*line = hl->h;
		*allow = hl->allow;
		*token = hl;
		return 0;
	}
	return -EACCES;
}

/* Taken back: to its safe state, still held. */
static void give_back(void *arg, void *token)
{
	struct held *hl = token;
	struct t *t = arg;

	hl->cookie = NULL;
	hl->given_back++;
	(void)t->prov.ops->set_edge(t->prov.ctx, hl->h, VG_EDGE_NONE);
	(void)t->prov.ops->set_direction(t->prov.ctx, hl->h, hl->dir0, hl->v0);
}

static void hold(struct t *t, struct vg_provider prov)
{
	static const char *const names[] = {"led", "in"};
	unsigned int i;

	t->prov = prov;
	for (i = 0; i < 2; i++) {
		struct held *hl = &t->held[i];
		struct vg_line_spec spec = {
			.chip = "board",
			.line = names[i],
			.initial_dir = i ? VG_DIR_IN : VG_DIR_OUT,
		};

		hl->t = t;
		hl->name = names[i];
		hl->dir0 = spec.initial_dir;
		hl->allow = VG_REMOTE_ALLOW_IN | VG_REMOTE_ALLOW_OUT |
			    VG_REMOTE_ALLOW_IRQ;
		assert_int_equal(prov.ops->line_open(prov.ctx, &spec,
						     "vgpio:dom1", held_event,
						     hl, &hl->h),
				 0);
	}
}

static void unhold(struct t *t)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (t->held[i].h)
			t->prov.ops->line_close(t->prov.ctx, t->held[i].h);
}

static void *server_thread(void *arg)
{
	struct t *t = arg;
	struct pollfd pf[3];
	bool alive = true;

	pf[0] = (struct pollfd){.fd = t->stop[0], .events = POLLIN};
	pf[1] = (struct pollfd){.fd = vg_remote_server_fd(t->srv),
				.events = POLLIN};
	pf[2] = (struct pollfd){.fd = t->prov.ops->fd(t->prov.ctx),
				.events = POLLIN};
	while (alive && poll(pf, 3, -1) >= 0 && !pf[0].revents) {
		pthread_mutex_lock(&t->mu);
		if (pf[2].revents)
			t->prov.ops->dispatch(t->prov.ctx);
		if (pf[1].revents)
			alive = vg_remote_server_run(t->srv);
		if (!alive) {
			vg_remote_server_free(t->srv);
			t->srv = NULL;
			t->srv_dead = true;
		}
		pthread_mutex_unlock(&t->mu);
	}
	return NULL;
}

static void start(struct t *t, struct vg_provider prov)
{
	int sv[2];
	struct vg_remote_server_params p = {
		.lend = lend,
		.give_back = give_back,
		.arg = t,
	};

	assert_int_equal(
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	p.fd = sv[0];
	hold(t, prov);
	t->peer = sv[1];
	assert_int_equal(vg_remote_server_new(&p, &t->srv), 0);
	assert_int_equal(pipe2(t->stop, O_CLOEXEC), 0);
	assert_int_equal(pthread_create(&t->thr, NULL, server_thread, t), 0);
}

static void start_client(struct t *t)
{
	assert_int_equal(vg_remote_new(t->peer, chips, 1, NULL, &t->r), 0);
	t->cli = vg_remote_provider(t->r);
	assert_true(vg_provider_ops_valid(t->cli.ops));
}

static int setup_sim(void **state)
{
	struct t *t = test_calloc(1, sizeof(*t));

	pthread_mutex_init(&t->mu, NULL);
	assert_int_equal(vg_sim_new(NULL, &t->sim), 0);
	assert_int_equal(vg_sim_add_chip(t->sim, "board", 3, board_names), 0);
	assert_int_equal(vg_sim_wire(t->sim, "board", "led", "board", "in"), 0);
	start(t, vg_sim_provider(t->sim));
	start_client(t);
	*state = t;
	return 0;
}

static int setup_fake(void **state)
{
	struct t *t = test_calloc(1, sizeof(*t));

	pthread_mutex_init(&t->mu, NULL);
	assert_int_equal(vg_fakeprov_new(3, board_names, &t->fp), 0);
	start(t, vg_fakeprov_provider(t->fp));
	start_client(t);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	vg_remote_free(t->r);
	assert_int_equal(write(t->stop[1], "x", 1), 1);
	pthread_join(t->thr, NULL);
	vg_remote_server_free(t->srv);
	unhold(t);
	close(t->stop[0]);
	close(t->stop[1]);
	vg_sim_free(t->sim);
	vg_fakeprov_free(t->fp);
	pthread_mutex_destroy(&t->mu);
	test_free(t);
	return 0;
}

static void on_edge(void *arg, unsigned int edge)
{
	struct t *t = arg;

	if (t->nedges < 8)
		t->edges[t->nedges] = edge;
	t->nedges++;
}

static int open_line(struct t *t, const char *line, enum vg_dir dir, int value,
		     struct vg_line **l)
{
	struct vg_line_spec spec = {
		.chip = "board",
		.line = line,
		.initial_dir = dir,
		.initial_value = value,
	};

	return t->cli.ops->line_open(t->cli.ctx, &spec, "ignored", on_edge, t,
				     l);
}

static struct vg_sim_line_state sim_state(struct t *t, const char *line)
{
	struct vg_sim_line_state st;

	pthread_mutex_lock(&t->mu);
	assert_int_equal(vg_sim_get(t->sim, "board", line, &st), 0);
	pthread_mutex_unlock(&t->mu);
	return st;
}

/* Wait until the client's fd is readable, then dispatch. */
static void client_dispatch(struct t *t)
{
	struct pollfd pf = {.fd = t->cli.ops->fd(t->cli.ctx), .events = POLLIN};

	assert_int_equal(poll(&pf, 1, 10000), 1);
	t->cli.ops->dispatch(t->cli.ctx);
}

static void remote_open_drives_the_lent_line(void **state)
{
	struct t *t = *state;
	struct vg_sim_line_state st;
	struct vg_line *l;
	int v = -1;

	assert_true(t->cli.ops->claims(t->cli.ctx, "board"));
	assert_false(t->cli.ops->claims(t->cli.ctx, "other"));
	assert_int_equal(open_line(t, "led", VG_DIR_OUT, 0, &l), 0);
	assert_string_equal(t->cli.ops->line_name(t->cli.ctx, l), "led");
	assert_int_equal(t->cli.ops->set_value(t->cli.ctx, l, 1), 0);
	st = sim_state(t, "led");
	assert_true(st.requested && st.output);
	assert_int_equal(st.value, 1);
	/* The holder's label, not the one the client passed. */
	assert_string_equal(st.consumer, "vgpio:dom1");
	assert_int_equal(t->cli.ops->get_value(t->cli.ctx, l, &v), 0);
	assert_int_equal(v, 1);
	/* An error of the real provider comes back as it is. */
	assert_int_equal(t->cli.ops->set_direction(t->cli.ctx, l, VG_DIR_IN, 0),
			 0);
	assert_int_equal(t->cli.ops->set_value(t->cli.ctx, l, 1), -EPERM);
	/* Closed: given back, safe state, still held by the owner. */
	t->cli.ops->line_close(t->cli.ctx, l);
	assert_int_equal(t->held[0].given_back, 1);
	st = sim_state(t, "led");
	assert_true(st.requested && st.output);
	assert_int_equal(st.value, 0);
}

static void remote_open_refuses_lines_not_allowed(void **state)
{
	struct t *t = *state;
	struct vg_line_spec spec = {
		.chip = "board",
		.line = "led",
		.bias = VG_BIAS_PULL_UP,
		.initial_dir = VG_DIR_IN,
	};
	struct vg_line *l, *l2;

	assert_int_equal(open_line(t, "btn", VG_DIR_IN, 0, &l), -EACCES);
	assert_false(sim_state(t, "btn").requested);
	/* The line is allowed, other electrical options are not. */
	assert_int_equal(
		t->cli.ops->line_open(t->cli.ctx, &spec, "x", on_edge, t, &l),
		-EACCES);
	assert_null(t->held[0].cookie);
	/* One borrower at a time. */
	assert_int_equal(open_line(t, "led", VG_DIR_OUT, 0, &l), 0);
	assert_int_equal(open_line(t, "led", VG_DIR_OUT, 0, &l2), -EBUSY);
	t->cli.ops->line_close(t->cli.ctx, l);
}

/*
 * The parent enforces the line's rights itself: an input-only line is
 * never driven except to its safe value, nor gets edges without irq.
 */
static void remote_rights_enforced_by_the_server(void **state)
{
	struct t *t = *state;
	struct vg_line *l;

	t->held[0].allow = VG_REMOTE_ALLOW_IN | VG_REMOTE_SAFE_LOW;
	assert_int_equal(open_line(t, "led", VG_DIR_OUT, 0, &l), 0);
	assert_int_equal(
		t->cli.ops->set_direction(t->cli.ctx, l, VG_DIR_OUT, 1),
		-EPERM);
	assert_int_equal(t->cli.ops->set_value(t->cli.ctx, l, 1), -EPERM);
	assert_int_equal(sim_state(t, "led").value, 0);
	/* Its safe state stays reachable; an input always. */
	assert_int_equal(
		t->cli.ops->set_direction(t->cli.ctx, l, VG_DIR_OUT, 0), 0);
	assert_int_equal(t->cli.ops->set_direction(t->cli.ctx, l, VG_DIR_IN, 0),
			 0);
	assert_int_equal(t->cli.ops->set_edge(t->cli.ctx, l, VG_EDGE_BOTH),
			 -EPERM);
	assert_int_equal(t->cli.ops->set_edge(t->cli.ctx, l, VG_EDGE_NONE), 0);
	t->cli.ops->line_close(t->cli.ctx, l);
}

/* The owner takes a lent line away: the peer's ops fail, close is a no-op. */
static void remote_revoked_line_refuses_ops(void **state)
{
	struct t *t = *state;
	struct vg_line *l;

	assert_int_equal(open_line(t, "led", VG_DIR_OUT, 0, &l), 0);
	pthread_mutex_lock(&t->mu);
	vg_remote_server_revoke(t->held[0].cookie);
	t->held[0].cookie = NULL;
	pthread_mutex_unlock(&t->mu);
	assert_int_equal(t->cli.ops->set_value(t->cli.ctx, l, 1), -EACCES);
	assert_int_equal(sim_state(t, "led").value, 0);
	t->cli.ops->line_close(t->cli.ctx, l);
	assert_int_equal(t->held[0].given_back, 0);
	/* Lendable again. */
	assert_int_equal(open_line(t, "led", VG_DIR_OUT, 0, &l), 0);
	t->cli.ops->line_close(t->cli.ctx, l);
	assert_int_equal(t->held[0].given_back, 1);
}

static void remote_edge_reaches_client_from_dispatch(void **state)
{
	struct t *t = *state;
	struct vg_line *out, *in;

	assert_int_equal(open_line(t, "in", VG_DIR_IN, 0, &in), 0);
	assert_int_equal(t->cli.ops->set_edge(t->cli.ctx, in, VG_EDGE_BOTH), 0);
	assert_int_equal(open_line(t, "led", VG_DIR_OUT, 0, &out), 0);
	assert_int_equal(t->cli.ops->set_value(t->cli.ctx, out, 1), 0);
	/* Never from inside an op: only dispatch() delivers. */
	assert_int_equal(t->nedges, 0);
	client_dispatch(t);
	while (t->nedges < 1)
		client_dispatch(t);
	assert_int_equal(t->nedges, 1);
	assert_int_equal(t->edges[0], VG_EDGE_RISING);
	/* Detection off drops what is queued and stops new events. */
	assert_int_equal(t->cli.ops->set_edge(t->cli.ctx, in, VG_EDGE_NONE), 0);
	assert_int_equal(t->cli.ops->set_value(t->cli.ctx, out, 0), 0);
	t->cli.ops->dispatch(t->cli.ctx);
	assert_int_equal(t->nedges, 1);
	t->cli.ops->line_close(t->cli.ctx, out);
	t->cli.ops->line_close(t->cli.ctx, in);
}

/* The worker dies: its lines are given back and go to their safe state. */
static void remote_peer_gone_gives_lines_back(void **state)
{
	struct t *t = *state;
	const struct vg_fake_call *c;
	struct vg_line *l;
	bool dead = false;

	assert_int_equal(open_line(t, "led", VG_DIR_OUT, 0, &l), 0);
	assert_int_equal(t->cli.ops->set_value(t->cli.ctx, l, 1), 0);
	vg_remote_free(t->r); /* closes the socket, like a killed worker */
	t->r = NULL;
	/* The server thread gives the peer's lines back once it sees EOF. */
	for (int i = 0; i < 10000 && !dead; i++) {
		pthread_mutex_lock(&t->mu);
		dead = t->srv_dead;
		pthread_mutex_unlock(&t->mu);
		if (!dead)
			usleep(1000);
	}
	assert_true(dead);
	assert_int_equal(t->held[0].given_back, 1);
	c = vg_fakeprov_last(t->fp, VG_FAKE_SET_DIRECTION, 0);
	assert_non_null(c);
	assert_int_equal(c->a, VG_DIR_OUT);
	assert_int_equal(c->b, 0);
	/* Custody stays with the owner: never released. */
	assert_int_equal(vg_fakeprov_count(t->fp, VG_FAKE_CLOSE, 0), 0);
	assert_true(t->fp->lines[0].open);
}

/* Send raw bytes as the peer and run the server once. */
static bool feed(struct t *t, const void *buf, size_t len, int fd_to_pass)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cb;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	bool dead;

	if (fd_to_pass >= 0) {
		mh.msg_control = cb.buf;
		mh.msg_controllen = sizeof(cb.buf);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &fd_to_pass, sizeof(int));
	}
	struct pollfd pf = {.fd = t->peer, .events = POLLIN};

	assert_int_equal(sendmsg(t->peer, &mh, 0), (ssize_t)len);
	/* A return or the server's hang-up makes the socket readable. */
	assert_int_equal(poll(&pf, 1, 10000), 1);
	pthread_mutex_lock(&t->mu);
	dead = t->srv_dead;
	pthread_mutex_unlock(&t->mu);
	return dead;
}

static int setup_raw(void **state)
{
	struct t *t = test_calloc(1, sizeof(*t));

	pthread_mutex_init(&t->mu, NULL);
	assert_int_equal(vg_fakeprov_new(3, board_names, &t->fp), 0);
	start(t, vg_fakeprov_provider(t->fp));
	*state = t;
	return 0;
}

static int teardown_raw(void **state)
{
	struct t *t = *state;

	close(t->peer);
	return teardown(state);
}

static void remote_server_ends_peer_on_short_packet(void **state)
{
	static const char junk[3] = "abc";

	assert_true(feed(*state, junk, sizeof(junk), -1));
}

static void remote_server_ends_peer_on_passed_fd(void **state)
{
	struct vg_remote_msg m = {
		.version = vg_le16_put(VG_REMOTE_VERSION),
		.op = vg_le16_put(VG_REMOTE_GET_VALUE),
	};

	assert_true(feed(*state, &m, sizeof(m), 0));
}

static void remote_server_answers_unknown_handle_with_ebadf(void **state)
{
	struct t *t = *state;
	struct vg_remote_msg m = {
		.version = vg_le16_put(VG_REMOTE_VERSION),
		.op = vg_le16_put(VG_REMOTE_SET_VALUE),
		.handle = vg_le32_put(7),
	};

	assert_false(feed(t, &m, sizeof(m), -1));
	assert_int_equal(recv(t->peer, &m, sizeof(m), 0), (ssize_t)sizeof(m));
	assert_int_equal((int32_t)vg_le32_get(m.rc), -EBADF);
	assert_int_equal(vg_le16_get(m.op), VG_REMOTE_SET_VALUE);
}

/* Each rule of vg_remote_check(), one broken field at a time. */
static void remote_check_rejects_each_rule(void **state)
{
	struct vg_remote_msg ok = {
		.version = vg_le16_put(VG_REMOTE_VERSION),
		.op = vg_le16_put(VG_REMOTE_OPEN),
		.initial_dir = VG_DIR_OUT,
		.chip = "board",
		.line = "led",
	};
	struct vg_remote_msg m;
	const char *why;

	(void)state;
	assert_int_equal(vg_remote_check(&ok, sizeof(ok), false, &why), 0);
	assert_null(why);
	assert_int_equal(vg_remote_check(&ok, sizeof(ok) - 1, false, &why),
			 -EPROTO);
	assert_string_equal(why, "wrong packet size");
#define BREAK(field, val, from_server, msg)                                \
	do {                                                               \
		m = ok;                                                    \
		m.field = val;                                             \
		assert_int_equal(                                          \
			vg_remote_check(&m, sizeof(m), from_server, &why), \
			-EPROTO);                                          \
		assert_string_equal(why, msg);                             \
	} while (0)
	BREAK(version, vg_le16_put(2), false, "unknown version");
	BREAK(op, vg_le16_put(0), false, "unknown operation");
	BREAK(op, vg_le16_put(VG_REMOTE_OP_MAX + 1), false,
	      "unknown operation");
	BREAK(op, vg_le16_put(VG_REMOTE_EVENT), false, "unknown operation");
	BREAK(pad[1], 1, false, "padding not zero");
	BREAK(bias, VG_BIAS_PULL_DOWN + 1, false, "line options out of range");
	BREAK(drive, VG_DRIVE_OPEN_SOURCE + 1, false,
	      "line options out of range");
	BREAK(initial_dir, 0, false, "line options out of range");
	BREAK(initial_value, 2, false, "line options out of range");
	BREAK(chip[0], '\0', false, "empty chip or line name");
	BREAK(rc, vg_le32_put(1), false, "call with a result");
	BREAK(rc, vg_le32_put(1), true, "result out of range");
	BREAK(rc, vg_le32_put((uint32_t)-5000), true, "result out of range");
	m = ok;
	memset(m.line, 'x', sizeof(m.line));
	assert_int_equal(vg_remote_check(&m, sizeof(m), false, &why), -EPROTO);
	assert_string_equal(why, "name not terminated");
	m = ok;
	m.op = vg_le16_put(VG_REMOTE_SET_EDGE);
	m.a = vg_le32_put(4);
	assert_int_equal(vg_remote_check(&m, sizeof(m), false, &why), -EPROTO);
	assert_string_equal(why, "edges out of range");
	m.op = vg_le16_put(VG_REMOTE_EVENT);
	m.a = vg_le32_put(VG_EDGE_BOTH);
	assert_int_equal(vg_remote_check(&m, sizeof(m), true, &why), -EPROTO);
	assert_string_equal(why, "event edge out of range");
	m.op = vg_le16_put(VG_REMOTE_GET_VALUE);
	m.a = vg_le32_put(2);
	assert_int_equal(vg_remote_check(&m, sizeof(m), true, &why), -EPROTO);
	assert_string_equal(why, "value out of range");
#undef BREAK
}

/* A server that answers a call with another op breaks the client. */
static void remote_client_breaks_on_mismatched_return(void **state)
{
	struct vg_remote_msg m = {
		.version = vg_le16_put(VG_REMOTE_VERSION),
		.op = vg_le16_put(VG_REMOTE_CLOSE),
	};
	struct vg_line_spec spec = {
		.chip = "board", .line = "led", .initial_dir = VG_DIR_IN};
	struct vg_remote *r;
	struct vg_line *l;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(vg_remote_new(sv[0], chips, 1, NULL, &r), 0);
	/* Queued before the call: the client reads it as the return. */
	assert_int_equal(send(sv[1], &m, sizeof(m), 0), (ssize_t)sizeof(m));
	assert_int_equal(vg_remote_provider(r).ops->line_open(r, &spec, "c",
							      NULL, NULL, &l),
			 -EPIPE);
	/* And stays broken, without another round trip. */
	assert_int_equal(vg_remote_provider(r).ops->line_open(r, &spec, "c",
							      NULL, NULL, &l),
			 -EPIPE);
	vg_remote_free(r);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			remote_open_drives_the_lent_line, setup_sim, teardown),
		cmocka_unit_test_setup_teardown(
			remote_open_refuses_lines_not_allowed, setup_sim,
			teardown),
		cmocka_unit_test_setup_teardown(
			remote_rights_enforced_by_the_server, setup_sim,
			teardown),
		cmocka_unit_test_setup_teardown(remote_revoked_line_refuses_ops,
						setup_sim, teardown),
		cmocka_unit_test_setup_teardown(
			remote_edge_reaches_client_from_dispatch, setup_sim,
			teardown),
		cmocka_unit_test_setup_teardown(
			remote_peer_gone_gives_lines_back, setup_fake,
			teardown),
		cmocka_unit_test_setup_teardown(
			remote_server_ends_peer_on_short_packet, setup_raw,
			teardown_raw),
		cmocka_unit_test_setup_teardown(
			remote_server_ends_peer_on_passed_fd, setup_raw,
			teardown_raw),
		cmocka_unit_test_setup_teardown(
			remote_server_answers_unknown_handle_with_ebadf,
			setup_raw, teardown_raw),
		cmocka_unit_test(remote_check_rejects_each_rule),
		cmocka_unit_test(remote_client_breaks_on_mismatched_return),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
