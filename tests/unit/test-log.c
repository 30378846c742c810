// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "drain.h"
#include "log.h"
#include "logcheck.h"

struct fixture {
	int fds[2]; /* pipe: [0] read back, [1] the sink's fd */
	uint64_t now;
	struct vg_log_sink sink;
	struct vg_log log;
	char out[8192];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(pipe2(f->fds, O_NONBLOCK | O_CLOEXEC), 0);
	f->now = 1000;
	f->sink.level = VG_LOG_DEBUG;
	f->sink.fd = f->fds[1];
	f->sink.now_ns = vg_test_clock;
	f->sink.now_arg = &f->now;
	vg_log_init(&f->log, &f->sink, "dom%d/%s", 3, "gpio");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->fds[0]);
	close(f->fds[1]);
	free(f);
	return 0;
}

/* Everything written since the last call, NUL-terminated. */
static const char *drain(struct fixture *f)
{
	return vg_test_drain(f->fds[0], f->out, sizeof(f->out));
}

static void log_init_formats_prefix(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(f->log.prefix, "dom3/gpio");
	vg_log_info(&f->log, "hello %d", 42);
	assert_string_equal(drain(f), "dom3/gpio: hello 42\n");
}

static void log_init_truncates_long_prefix(void **state)
{
	struct fixture *f = *state;
	char big[200];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vg_log_init(&f->log, &f->sink, "%s", big);
	assert_int_equal(strlen(f->log.prefix), sizeof(f->log.prefix) - 1);
}

static void log_warn_appends_strerror(void **state)
{
	struct fixture *f = *state;
	char want[256];

	snprintf(want, sizeof(want), "dom3/gpio: open %s: %s\n", "/x",
		 strerror(ENOENT));
	errno = ENOENT;
	vg_log_warn(&f->log, "open %s", "/x");
	/* Logging must not clobber errno: callers return -errno after. */
	assert_int_equal(errno, ENOENT);
	assert_string_equal(drain(f), want);
}

static void log_warnx_omits_strerror(void **state)
{
	struct fixture *f = *state;

	errno = EIO;
	vg_log_warnx(&f->log, "plain");
	assert_string_equal(drain(f), "dom3/gpio: plain\n");
}

static void log_level_drops_above_threshold(void **state)
{
	struct fixture *f = *state;

	f->sink.level = VG_LOG_WARN;
	vg_log_debug(&f->log, "debug");
	vg_log_info(&f->log, "info");
	vg_log_warnx(&f->log, "warn");
	assert_string_equal(drain(f), "dom3/gpio: warn\n");

	f->sink.level = VG_LOG_ERR;
	vg_log_warnx(&f->log, "warn");
	assert_false(vg_log_guest(&f->log, "guest"));
	assert_string_equal(drain(f), "");

	f->sink.level = VG_LOG_DEBUG;
	vg_log_debug(&f->log, "debug");
	assert_string_equal(drain(f), "dom3/gpio: debug\n");
}

static void log_guest_limits_burst_per_window(void **state)
{
	struct fixture *f = *state;
	unsigned int i;
	const char *out;

	for (i = 0; i < VG_LOG_GUEST_BURST; i++)
		assert_true(vg_log_guest(&f->log, "bad ring %u", i));
	for (i = 0; i < 3; i++)
		assert_false(vg_log_guest(&f->log, "dropped %u", i));
	out = drain(f);
	assert_non_null(strstr(out, "dom3/gpio: bad ring 9\n"));
	assert_null(strstr(out, "dropped"));

	/* Still inside the window, just before its end. */
	f->now += VG_LOG_GUEST_WINDOW_NS - 1;
	assert_false(vg_log_guest(&f->log, "dropped too"));
	assert_string_equal(drain(f), "");

	f->now += 1;
	assert_true(vg_log_guest(&f->log, "again"));
	assert_string_equal(drain(f),
			    "dom3/gpio: (4 messages suppressed) again\n");
	/* The report is made once. */
	assert_true(vg_log_guest(&f->log, "next"));
	assert_string_equal(drain(f), "dom3/gpio: next\n");
}

/* INFO guest messages share the source's limiter and obey the level. */
static void log_guest_info_shares_limiter_and_level(void **state)
{
	struct fixture *f = *state;
	unsigned int i;

	f->sink.level = VG_LOG_WARN;
	assert_false(vg_log_guest_info(&f->log, "hidden"));
	assert_string_equal(drain(f), "");
	f->sink.level = VG_LOG_INFO;
	for (i = 0; i < VG_LOG_GUEST_BURST - 1; i++)
		assert_true(vg_log_guest_info(&f->log, "connected %u", i));
	assert_true(vg_log_guest(&f->log, "last of the burst"));
	assert_false(vg_log_guest_info(&f->log, "over"));
	assert_false(vg_log_guest(&f->log, "over too"));
	assert_null(strstr(drain(f), "over"));
	f->now += VG_LOG_GUEST_WINDOW_NS;
	assert_true(vg_log_guest_info(&f->log, "fresh"));
	assert_string_equal(drain(f),
			    "dom3/gpio: (2 messages suppressed) fresh\n");
}

static void log_guest_new_window_without_drops_has_no_report(void **state)
{
	struct fixture *f = *state;
	unsigned int i;

	for (i = 0; i < VG_LOG_GUEST_BURST; i++)
		assert_true(vg_log_guest(&f->log, "m"));
	drain(f);
	f->now += VG_LOG_GUEST_WINDOW_NS;
	assert_true(vg_log_guest(&f->log, "fresh"));
	assert_string_equal(drain(f), "dom3/gpio: fresh\n");
}

static void log_guest_clock_backwards_opens_window(void **state)
{
	struct fixture *f = *state;
	unsigned int i;

	f->now = 10 * VG_LOG_GUEST_WINDOW_NS;
	for (i = 0; i <= VG_LOG_GUEST_BURST; i++)
		vg_log_guest(&f->log, "m");
	drain(f);
	f->now = 5;
	assert_true(vg_log_guest(&f->log, "back"));
	assert_string_equal(drain(f),
			    "dom3/gpio: (1 messages suppressed) back\n");
}

static void log_guest_limits_each_source_separately(void **state)
{
	struct fixture *f = *state;
	struct vg_log other;
	unsigned int i;

	vg_log_init(&other, &f->sink, "other");
	for (i = 0; i < VG_LOG_GUEST_BURST; i++)
		vg_log_guest(&f->log, "m");
	assert_false(vg_log_guest(&f->log, "m"));
	assert_true(vg_log_guest(&other, "m"));
}

/* The limiter's clock, for callers that pace summaries of their own. */
static void log_now_is_the_sinks_clock(void **state)
{
	struct fixture *f = *state;
	struct vg_log nosink;

	f->now = 12345;
	assert_int_equal(vg_log_now(&f->log), 12345);
	/* No sink or no log: the monotonic clock, which is never 0 here. */
	vg_log_init(&nosink, NULL, "nosink");
	assert_true(vg_log_now(&nosink) > 0);
	assert_true(vg_log_now(NULL) > 0);
}

static void log_null_is_silent(void **state)
{
	struct fixture *f = *state;
	struct vg_log nosink;

	vg_log_warn(NULL, "x");
	vg_log_warnx(NULL, "x");
	vg_log_info(NULL, "x");
	vg_log_debug(NULL, "x");
	assert_false(vg_log_guest(NULL, "x"));

	vg_log_init(&nosink, NULL, "nosink");
	vg_log_warnx(&nosink, "x");
	assert_false(vg_log_guest(&nosink, "x"));
	assert_string_equal(drain(f), "");
}

static void log_long_message_truncated_to_one_line(void **state)
{
	struct fixture *f = *state;
	char big[3000];
	const char *out;
	size_t n;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vg_log_info(&f->log, "%s", big);
	out = drain(f);
	n = strlen(out);
	assert_true(n > 100 && n < sizeof(big));
	assert_int_equal(out[n - 1], '\n');
	assert_ptr_equal(strchr(out, '\n'), out + n - 1);
	assert_memory_equal(out, "dom3/gpio: aaa", 14);
}

static void log_fatal_exits_with_1(void **state)
{
	struct fixture *f = *state;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		vg_log_fatal(&f->log, "cannot %s", "go on");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_string_equal(drain(f), "dom3/gpio: cannot go on\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(log_init_formats_prefix),
		T(log_init_truncates_long_prefix),
		T(log_warn_appends_strerror),
		T(log_warnx_omits_strerror),
		T(log_level_drops_above_threshold),
		T(log_guest_limits_burst_per_window),
		T(log_guest_info_shares_limiter_and_level),
		T(log_guest_new_window_without_drops_has_no_report),
		T(log_guest_clock_backwards_opens_window),
		T(log_guest_limits_each_source_separately),
		T(log_now_is_the_sinks_clock),
		T(log_null_is_silent),
		T(log_long_message_truncated_to_one_line),
		T(log_fatal_exits_with_1),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
