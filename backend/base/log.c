// SPDX-License-Identifier: BSD-3-Clause
/*
 * One log module (see log.h). Every message is formatted into one stack
 * buffer and written with a single write(2), so lines from concurrent
 * writers to the same fd do not interleave mid-line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "log.h"

#define LOG_LINE_MAX 1024

static const int syslog_prio[] = {
	[VG_LOG_ERR] = LOG_ERR,
	[VG_LOG_WARN] = LOG_WARNING,
	[VG_LOG_INFO] = LOG_INFO,
	[VG_LOG_DEBUG] = LOG_DEBUG,
};

void vg_log_init(struct vg_log *log, const struct vg_log_sink *sink,
		 const char *fmt, ...)
{
	va_list ap;

	memset(log, 0, sizeof(*log));
	log->sink = sink;
	va_start(ap, fmt);
	vsnprintf(log->prefix, sizeof(log->prefix), fmt, ap);
	va_end(ap);
}

static bool log_enabled(const struct vg_log *log, enum vg_log_level level)
{
	return log && log->sink && level <= log->sink->level;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t r = write(fd, buf, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return; /* nowhere left to report it */
		buf += r;
		len -= (size_t)r;
	}
}

/*
 * Format "[@pre]@fmt[: strerror(@errnum)]" and send it. @errnum < 0 means
 * no error text. errno is preserved so callers can log and then still
 * return -errno.
 */
VG_PRINTF(5, 0)
static void log_emit(struct vg_log *log, enum vg_log_level level, int errnum,
		     const char *pre, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int saved = errno;
	size_t n;
	int r;

	r = snprintf(line, sizeof(line), "%s: %s", log->prefix, pre);
	n = r < 0 ? 0 : (size_t)r;
	if (n < sizeof(line)) {
		r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (errnum >= 0 && n < sizeof(line)) {
		r = snprintf(line + n, sizeof(line) - n, ": %s",
			     strerror(errnum));
		n += r < 0 ? 0 : (size_t)r;
	}
	/* Truncated: keep room for the newline. */
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;

	if (log->sink->fd < 0) {
		line[n] = '\0';
		syslog(syslog_prio[level], "%s", line);
	} else {
		line[n++] = '\n';
		write_all(log->sink->fd, line, n);
	}
	errno = saved;
}

#define LOG_VA(log, level, errnum, pre, fmt)                 \
	do {                                                 \
		va_list ap_;                                 \
		va_start(ap_, fmt);                          \
		log_emit(log, level, errnum, pre, fmt, ap_); \
		va_end(ap_);                                 \
	} while (0)

void vg_log_warn(struct vg_log *log, const char *fmt, ...)
{
	int errnum = errno; /* before anything can clobber it */

	if (log_enabled(log, VG_LOG_WARN))
		LOG_VA(log, VG_LOG_WARN, errnum, "", fmt);
}

void vg_log_warnx(struct vg_log *log, const char *fmt, ...)
{
	if (log_enabled(log, VG_LOG_WARN))
		LOG_VA(log, VG_LOG_WARN, -1, "", fmt);
}

void vg_log_info(struct vg_log *log, const char *fmt, ...)
{
	if (log_enabled(log, VG_LOG_INFO))
		LOG_VA(log, VG_LOG_INFO, -1, "", fmt);
}

void vg_log_debug(struct vg_log *log, const char *fmt, ...)
{
	if (log_enabled(log, VG_LOG_DEBUG))
		LOG_VA(log, VG_LOG_DEBUG, -1, "", fmt);
}

static uint64_t log_now(const struct vg_log_sink *sink)
{
	struct timespec ts;

	if (sink && sink->now_ns)
		return sink->now_ns(sink->now_arg);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t vg_log_now(const struct vg_log *log)
{
	return log_now(log ? log->sink : NULL);
}

/*
 * Fixed-window limiter: a guest that floods us costs at most BURST lines
 * per WINDOW (the vringh_bad() lesson: one malicious ring must not fill
 * the host's disk). A window opens with the first message after the last
 * one expired; a clock that went backwards also opens a new window.
 */
VG_PRINTF(3, 0)
static bool guest_log(struct vg_log *log, enum vg_log_level level,
		      const char *fmt, va_list ap)
{
	char pre[64] = "";
	uint64_t now;

	if (!log_enabled(log, level))
		return false;

	now = log_now(log->sink);
	if (log->in_window == 0 || now < log->window_start ||
	    now - log->window_start >= VG_LOG_GUEST_WINDOW_NS) {
		log->window_start = now;
		log->in_window = 0;
	}
	if (log->in_window >= VG_LOG_GUEST_BURST) {
		log->suppressed++;
		return false;
	}
	log->in_window++;
	if (log->suppressed) {
		snprintf(pre, sizeof(pre), "(%lu messages suppressed) ",
			 log->suppressed);
		log->suppressed = 0;
	}
	log_emit(log, level, -1, pre, fmt, ap);
	return true;
}

bool vg_log_guest(struct vg_log *log, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = guest_log(log, VG_LOG_WARN, fmt, ap);
	va_end(ap);
	return r;
}

bool vg_log_guest_info(struct vg_log *log, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = guest_log(log, VG_LOG_INFO, fmt, ap);
	va_end(ap);
	return r;
}

_Noreturn void vg_log_fatal(struct vg_log *log, const char *fmt, ...)
{
	if (log_enabled(log, VG_LOG_ERR))
		LOG_VA(log, VG_LOG_ERR, -1, "", fmt);
	exit(1);
}
