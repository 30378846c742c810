/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One log module. A struct vg_log_sink says where messages go and how much;
 * a struct vg_log is a named source ("vgpiod", "dom:demo/0") with its own
 * rate limiter for guest-triggered messages. No file-scope state: tests and
 * fuzzers create as many as they like. A NULL struct vg_log * is valid and
 * silent everywhere (fuzzers use it).
 */
#ifndef VGPIO_LOG_H
#define VGPIO_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <vgpio/types.h>

enum vg_log_level {
	VG_LOG_ERR = 0,
	VG_LOG_WARN = 1,
	VG_LOG_INFO = 2,
	VG_LOG_DEBUG = 3,
};

struct vg_log_sink {
	enum vg_log_level level; /* messages above this are dropped */
	int fd; /* output fd (2 = stderr); -1 sends to syslog */
	/* Clock for the rate limiter; NULL uses CLOCK_MONOTONIC. */
	uint64_t (*now_ns)(void *arg);
	void *now_arg;
};

/* Guest-triggered messages: at most BURST per WINDOW per source. */
#define VG_LOG_GUEST_BURST 10u
#define VG_LOG_GUEST_WINDOW_NS (5ULL * 1000 * 1000 * 1000)

struct vg_log {
	const struct vg_log_sink *sink;
	char prefix[48];
	uint64_t window_start; /* ns */
	unsigned int in_window; /* guest messages in this window */
	unsigned long suppressed; /* dropped since the last report */
};

/* Set up @log writing to @sink with a printf-style prefix. */
void vg_log_init(struct vg_log *log, const struct vg_log_sink *sink,
		 const char *fmt, ...) VG_PRINTF(3, 4);

/* warn appends ": strerror(errno)"; warnx does not. */
void vg_log_warn(struct vg_log *log, const char *fmt, ...) VG_PRINTF(2, 3);
void vg_log_warnx(struct vg_log *log, const char *fmt, ...) VG_PRINTF(2, 3);
void vg_log_info(struct vg_log *log, const char *fmt, ...) VG_PRINTF(2, 3);
void vg_log_debug(struct vg_log *log, const char *fmt, ...) VG_PRINTF(2, 3);
/*
 * A warning caused by guest input: rate-limited per source; when a window
 * closes with drops, the next message reports "N messages suppressed".
 * Returns true if this message was emitted.
 */
bool vg_log_guest(struct vg_log *log, const char *fmt, ...) VG_PRINTF(2, 3);
/*
 * The same limiter at INFO level, for normal events a guest can repeat at
 * will (connecting, disconnecting): they share the source's budget.
 */
bool vg_log_guest_info(struct vg_log *log, const char *fmt, ...)
	VG_PRINTF(2, 3);
/*
 * The rate limiter's clock in ns: the sink's now_ns, else CLOCK_MONOTONIC
 * (also for a NULL @log). For callers that pace summaries of their own.
 */
uint64_t vg_log_now(const struct vg_log *log);
/* Log at ERR and exit(1). For main() and tools only, never core code. */
_Noreturn void vg_log_fatal(struct vg_log *log, const char *fmt, ...)
	VG_PRINTF(2, 3);

#endif /* VGPIO_LOG_H */
