/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Run vgpiod as a child process for integration tests and the bench.
 *
 * The binary is $VGPIO_BUILD/vgpiod (VGPIO_BUILD defaults to "build").
 * Each run gets a fresh temporary directory holding the config file, the
 * loop socket, the control socket and the daemon's log (stderr), and is
 * started with --ready-fd so vg_drun_start() returns only once both
 * sockets listen. Failure paths kill the child; nothing is left behind.
 * The child gets SIGTERM if the test process dies without stopping it,
 * and a small guard process (it outlives the test, in its own session)
 * then waits for the daemon to go, SIGKILLs it after 10 s, and removes
 * the temp dir: a test that crashes or is killed leaves nothing either.
 *
 * Nothing here uses cmocka: functions return 0 or -errno and the caller
 * asserts; messages go to stderr.
 */
#ifndef VGPIO_TEST_DAEMON_RUN_H
#define VGPIO_TEST_DAEMON_RUN_H

#include <stdbool.h>
#include <sys/types.h>

struct vg_drun;
struct vg_shim;
struct vg_shim_opts;

#define VG_DRUN_READY_TIMEOUT_MS 10000

/*
 * Write @config into a fresh temp dir and start vgpiod on it with
 * @extra_args (NULL-terminated; NULL for none) appended. 0 and *out once
 * the daemon is ready; -errno otherwise (-ECHILD if it exited before
 * ready, -ETIMEDOUT if it never got ready; its log is copied to stderr).
 */
int vg_drun_start(const char *config, const char *const *extra_args,
		  struct vg_drun **out);

const char *vg_drun_socket(const struct vg_drun *r); /* loop transport */
const char *vg_drun_control(const struct vg_drun *r); /* control socket */
const char *vg_drun_log(const struct vg_drun *r); /* the daemon's stderr */
/* The policy file the daemon was started with (`reload` re-reads it). */
const char *vg_drun_config(const struct vg_drun *r);
pid_t vg_drun_pid(const struct vg_drun *r);

/*
 * Send one control command (no newline) and collect the reply lines
 * (without the final "ok"/"error:" line) into a malloc'ed string in
 * *reply (may be NULL). Returns 0 for "ok", 1 for "error: ..." (the error
 * line is then the last line of *reply), -errno on connection trouble.
 */
int vg_drun_ctl(struct vg_drun *r, const char *cmd, char **reply);

/* One domain's line of the `status` command (counters are cumulative). */
struct vg_drun_dom {
	bool connected;
	unsigned long long requests, errors, events, invalid, resets, broken;
	unsigned int lines;
};

/* @domain's status. 0, -ENOENT if there is no such domain, -errno. */
int vg_drun_status(struct vg_drun *r, const char *domain,
		   struct vg_drun_dom *st);

/*
 * Wait until @domain's status reads not connected: its guest's hang-up
 * handled, its lines back at their safe values. With workers that
 * happens in another process, after the guest has gone; status shows the
 * worker's view. Polls, bounded by VG_DRUN_READY_TIMEOUT_MS. 0, or
 * -ETIMEDOUT, or what vg_drun_status() returns.
 */
int vg_drun_wait_disconnected(struct vg_drun *r, const char *domain);

/* True if the daemon's log holds @what so far. */
bool vg_drun_log_has(const struct vg_drun *r, const char *what);
/*
 * The pid of @domain's newest worker, from the daemon's log ("domain D:
 * worker pid N"), or -1 if it has started none yet.
 */
pid_t vg_drun_worker_pid(const struct vg_drun *r, const char *domain);

/* `sim get CHIP LINE`: the line's physical level to *value. 0 or -errno. */
int vg_drun_sim_get(struct vg_drun *r, const char *chip, const char *line,
		    int *value);
/* `sim set CHIP LINE VALUE`: drive a simulated input. 0 or -errno. */
int vg_drun_sim_set(struct vg_drun *r, const char *chip, const char *line,
		    int value);

/*
 * A guest of @domain with options @o (NULL: defaults), connected to the
 * daemon and probed, in *out (the caller frees it with vg_shim_free()).
 * 0, or -errno with the shim's reason printed to stderr.
 */
int vg_drun_guest(struct vg_drun *r, const char *domain,
		  const struct vg_shim_opts *o, struct vg_shim **out);

/*
 * SIGTERM, wait (up to 10 s, then SIGKILL), remove the temp dir, free.
 * Returns the exit status (0..255), or 128 + signal if it was killed.
 */
int vg_drun_stop(struct vg_drun *r);
/* SIGKILL, wait, remove the temp dir, free. NULL is fine. */
void vg_drun_kill(struct vg_drun *r);

#endif /* VGPIO_TEST_DAEMON_RUN_H */
