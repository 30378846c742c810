// SPDX-License-Identifier: BSD-3-Clause
/*
 * One control request (ctl.h): the command table and help, typed
 * arguments from JSON or text, running the command, and the answer in
 * the request's protocol.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl-priv.h"

/* --- what commands see ---------------------------------------------------- */

const char *vg_ctl_arg_str(const struct vg_ctl_call *call, unsigned int i)
{
	return i < VG_CTL_ARGS_MAX ? call->str[i] : NULL;
}

int64_t vg_ctl_arg_int(const struct vg_ctl_call *call, unsigned int i)
{
	return i < VG_CTL_ARGS_MAX ? call->num[i] : 0;
}

struct vg_jw *vg_ctl_result(struct vg_ctl_call *call)
{
	return &call->res_w;
}

static int call_vfail(struct vg_ctl_call *call, const char *code,
		      const char *fmt, va_list ap) VG_PRINTF(3, 0);
static int call_vfail(struct vg_ctl_call *call, const char *code,
		      const char *fmt, va_list ap)
{
	call->code = code;
	vsnprintf(call->message, sizeof(call->message), fmt, ap);
	return -1;
}

int vg_ctl_fail(struct vg_ctl_call *call, const char *code, const char *fmt,
		...)
{
	va_list ap;

	va_start(ap, fmt);
	call_vfail(call, code, fmt, ap);
	va_end(ap);
	return -1;
}

struct vg_jw *vg_ctl_error_member(struct vg_ctl_call *call, const char *key)
{
	free(call->err_val.s);
	memset(&call->err_val, 0, sizeof(call->err_val));
	vg_jw_init(&call->err_w, &call->err_val);
	call->err_key = key;
	return &call->err_w;
}

void vg_ctl_reply(struct vg_ctl_call *call, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vg_ctl_out_vaddf(call->cl, fmt, ap);
	va_end(ap);
}

void vg_ctl_call_init(struct vg_ctl_call *call, struct vg_ctl_client *cl,
		      bool json)
{
	memset(call, 0, sizeof(*call));
	call->cl = cl;
	call->json = json;
	vg_jw_init(&call->res_w, &call->res);
}

void vg_ctl_call_dispose(struct vg_ctl_call *call)
{
	free(call->res.s);
	free(call->err_val.s);
}

/* --- deferred answers ---------------------------------------------------- */

struct vg_ctl_defer *vg_ctl_defer(struct vg_ctl_call *call)
{
	struct vg_ctl_defer *d;

	if (call->defer)
		return call->defer;
	if (!call->cl || !call->cmd)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	vg_ctl_call_init(&d->call, call->cl, call->json);
	d->call.cmd = call->cmd;
	call->defer = d;
	return d;
}

struct vg_jw *vg_ctl_defer_result(struct vg_ctl_defer *d)
{
	return &d->call.res_w;
}

int vg_ctl_defer_fail(struct vg_ctl_defer *d, const char *code, const char *fmt,
		      ...)
{
	va_list ap;

	va_start(ap, fmt);
	call_vfail(&d->call, code, fmt, ap);
	va_end(ap);
	return -1;
}

bool vg_ctl_defer_wanted(const struct vg_ctl_defer *d)
{
	return d->call.cl != NULL;
}

static void finish(struct vg_ctl_call *call, int rc);

void vg_ctl_defer_done(struct vg_ctl_defer *d)
{
	struct vg_ctl_client *cl;

	if (!d)
		return;
	/* Not from inside the fn that deferred: its request is not over. */
	assert(d->armed);
	cl = d->call.cl;
	if (cl) {
		finish(&d->call, d->call.code ? -1 : 0);
		vg_ctl_answer(&d->call);
		cl->deferred = NULL;
	}
	vg_ctl_call_dispose(&d->call);
	free(d);
	if (cl)
		vg_ctl_client_resume(cl);
}

/* --- the command table ---------------------------------------------------- */

/* "CHIP LINE 0|1": the arguments as the text protocol takes them. */
static void usage_of(const struct vg_ctl_cmd *cmd, char *buf, size_t len)
{
	size_t at = 0;
	unsigned int i, j;

	buf[0] = '\0';
	for (i = 0; i < cmd->nargs && at < len; i++) {
		const struct vg_ctl_arg *a = &cmd->args[i];

		if (i)
			at += (size_t)snprintf(buf + at, len - at, " ");
		if (at >= len)
			break;
		if (a->type == VG_CTL_ARG_INT && a->max - a->min == 1) {
			at += (size_t)snprintf(buf + at, len - at,
					       "%" PRId64 "|%" PRId64, a->min,
					       a->max);
			continue;
		}
		if (a->type == VG_CTL_ARG_INT) {
			at += (size_t)snprintf(buf + at, len - at, "N");
			continue;
		}
		for (j = 0; a->name[j] && at + 1 < len; j++)
			buf[at++] =
				(char)(a->name[j] >= 'a' && a->name[j] <= 'z'
					       ? a->name[j] - 'a' + 'A'
					       : a->name[j]);
		buf[at < len ? at : len - 1] = '\0';
	}
}

static int help_fn(void *arg, struct vg_ctl_call *call);
static void help_text(struct vg_ctl_call *call, const struct vg_json *result);

static const struct vg_ctl_cmd help_cmd = {
	.name = "help",
	.help = "list the commands",
	.fn = help_fn,
	.text = help_text,
};

static void help_one(struct vg_jw *w, const struct vg_ctl_cmd *cmd)
{
	unsigned int i;

	vg_jw_obj(w);
	vg_jw_kstr(w, "name", cmd->name);
	vg_jw_kstr(w, "help", cmd->help);
	vg_jw_karr(w, "args");
	for (i = 0; i < cmd->nargs; i++) {
		const struct vg_ctl_arg *a = &cmd->args[i];

		vg_jw_obj(w);
		vg_jw_kstr(w, "name", a->name);
		if (a->type == VG_CTL_ARG_STR) {
			vg_jw_kstr(w, "type", "string");
			vg_jw_ku64(w, "max_length", (uint64_t)a->max);
		} else {
			vg_jw_kstr(w, "type", "integer");
			vg_jw_key(w, "min");
			vg_jw_i64(w, a->min);
			vg_jw_key(w, "max");
			vg_jw_i64(w, a->max);
		}
		vg_jw_obj_end(w);
	}
	vg_jw_arr_end(w);
	vg_jw_obj_end(w);
}

static int help_fn(void *arg, struct vg_ctl_call *call)
{
	const struct vg_ctl *ctl = call->cl->ctl;
	struct vg_jw *w = vg_ctl_result(call);
	unsigned int i;

	(void)arg;
	vg_jw_obj(w);
	vg_jw_ku64(w, "version", VG_CTL_VERSION);
	vg_jw_karr(w, "commands");
	for (i = 0; i < ctl->ncmds; i++)
		help_one(w, &ctl->cmds[i]);
	help_one(w, &help_cmd);
	vg_jw_arr_end(w);
	vg_jw_obj_end(w);
	return 0;
}

/* The same table the result came from, as "NAME USAGE  HELP" lines. */
static void help_text(struct vg_ctl_call *call, const struct vg_json *result)
{
	const struct vg_ctl *ctl = call->cl->ctl;
	char usage[128];
	unsigned int i;

	(void)result;
	for (i = 0; i <= ctl->ncmds; i++) {
		const struct vg_ctl_cmd *c =
			i < ctl->ncmds ? &ctl->cmds[i] : &help_cmd;

		usage_of(c, usage, sizeof(usage));
		vg_ctl_reply(call, "%s%s%s  %s", c->name, usage[0] ? " " : "",
			     usage, c->help);
	}
}

static const struct vg_ctl_cmd *find_cmd(const struct vg_ctl *ctl,
					 const char *name)
{
	unsigned int i;

	for (i = 0; i < ctl->ncmds; i++)
		if (!strcmp(ctl->cmds[i].name, name))
			return &ctl->cmds[i];
	return strcmp(name, help_cmd.name) ? NULL : &help_cmd;
}

/* --- arguments ------------------------------------------------------------ */

static bool printable_word(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return false;
	return true;
}

/* How a rejected value is quoted back: 'word', or the JSON value. */
static void shown(const struct vg_json *v, const char *word, char *buf,
		  size_t len)
{
	struct vg_strbuf b = {0};
	struct vg_jw w;

	if (word) {
		snprintf(buf, len, "'%.*s'", VG_CTL_SHOWN_MAX, word);
		return;
	}
	vg_jw_init(&w, &b);
	vg_jw_value(&w, v);
	snprintf(buf, len, "%.*s%s", VG_CTL_SHOWN_MAX, b.s ? b.s : "?",
		 b.len > VG_CTL_SHOWN_MAX ? "..." : "");
	free(b.s);
}

/*
 * Argument @i of the call, from JSON value @v or text word @word (the
 * other one NULL): checked against the table, then stored.
 */
static int arg_take(struct vg_ctl_call *call, unsigned int i,
		    const struct vg_json *v, const char *word)
{
	const struct vg_ctl_arg *a = &call->cmd->args[i];
	struct vg_json *parsed = NULL;
	char what[VG_CTL_SHOWN_MAX + 8];
	int64_t n = 0;
	const char *s;
	int rc;

	if (a->type == VG_CTL_ARG_STR) {
		s = word ? word : vg_json_str(v);
		if (!s)
			return vg_ctl_fail(call, VG_CTL_E_ARGS,
					   "%s must be a string", a->name);
		if (!*s || strlen(s) > (uint64_t)a->max || !printable_word(s))
			return vg_ctl_fail(call, VG_CTL_E_ARGS,
					   "%s must be 1 to %" PRId64
					   " printable characters without "
					   "blanks",
					   a->name, a->max);
		call->str[i] = s;
		return 0;
	}
	/* Text and JSON integers go through the one strict number parser. */
	if (word && vg_json_parse(word, strlen(word), 1, &parsed, NULL) == 0)
		v = parsed;
	else if (word)
		v = NULL;
	rc = vg_json_i64(v, &n);
	vg_json_free(parsed);
	if (!rc && n >= a->min && n <= a->max) {
		call->num[i] = n;
		return 0;
	}
	shown(v, word, what, sizeof(what));
	if (a->max - a->min == 1)
		return vg_ctl_fail(call, VG_CTL_E_ARGS,
				   "%s must be %" PRId64 " or %" PRId64
				   ", not %s",
				   a->name, a->min, a->max, what);
	return vg_ctl_fail(call, VG_CTL_E_ARGS,
			   "%s must be an integer in %" PRId64 "..%" PRId64
			   ", not %s",
			   a->name, a->min, a->max, what);
}

/* The "args" member of a JSON request (NULL: none given). */
static int args_take(struct vg_ctl_call *call, const struct vg_json *args)
{
	const struct vg_ctl_cmd *cmd = call->cmd;
	unsigned int i, j;
	int rc;

	if (args && args->type != VG_JSON_OBJ)
		return vg_ctl_fail(call, VG_CTL_E_REQUEST,
				   "\"args\" must be an object");
	for (j = 0; args && j < args->n; j++) {
		for (i = 0; i < cmd->nargs; i++)
			if (!strcmp(args->k[j], cmd->args[i].name))
				break;
		if (i == cmd->nargs)
			return vg_ctl_fail(call, VG_CTL_E_ARGS,
					   "%s: unknown argument '%.*s'",
					   cmd->name, VG_CTL_SHOWN_MAX,
					   args->k[j]);
	}
	for (i = 0; i < cmd->nargs; i++) {
		const struct vg_json *v = vg_json_get(args, cmd->args[i].name);

		if (!v)
			return vg_ctl_fail(call, VG_CTL_E_ARGS,
					   "%s: missing argument '%s'",
					   cmd->name, cmd->args[i].name);
		rc = arg_take(call, i, v, NULL);
		if (rc)
			return rc;
	}
	return 0;
}

/* --- running a command and answering -------------------------------------- */

/* The command's result and error, once it has answered (@rc). */
static void finish(struct vg_ctl_call *call, int rc)
{
	struct vg_jw *w = &call->res_w;

	if (rc && !call->code)
		vg_ctl_fail(call, VG_CTL_E_INTERNAL, "failed");
	if (!rc)
		call->code = NULL; /* a command that returns 0 succeeded */
	if (!rc && !w->top) {
		vg_jw_obj(w); /* no result is {} */
		vg_jw_obj_end(w);
	}
	if (!call->code && vg_jw_done(w))
		vg_ctl_fail(call, VG_CTL_E_INTERNAL,
			    "%s: cannot write its result: %s", call->cmd->name,
			    strerror(-vg_jw_done(w)));
}

/* Run the command; true if it deferred its answer (not to be answered). */
static bool run(struct vg_ctl_call *call)
{
	const struct vg_ctl *ctl = call->cl->ctl;
	int rc;

	rc = call->cmd->fn(ctl->arg, call);
	/* A fn that took a handle answers through it only (ctl.h). */
	assert(!call->defer || rc == VG_CTL_DEFERRED);
	if (call->defer) {
		call->defer->armed = true;
		call->cl->deferred = call->defer;
		return true;
	}
	if (rc == VG_CTL_DEFERRED && !call->code)
		vg_ctl_fail(call, VG_CTL_E_INTERNAL,
			    "%s: deferred without a handle", call->cmd->name);
	finish(call, rc);
	return false;
}

/* True if the command wrote a complete result. */
static bool has_result(const struct vg_ctl_call *call)
{
	return call->res_w.top && !vg_jw_done(&call->res_w);
}

/* A reply that cannot be written as asked: the fixed line for that. */
static const char nomem_reply[] =
	"{\"v\":1,\"ok\":false,\"error\":{\"code\":\"internal\","
	"\"message\":\"out of memory\"}}";

static void answer_json(struct vg_ctl_call *call)
{
	struct vg_strbuf b = {0};
	struct vg_jw w;

	vg_jw_init(&w, &b);
	vg_jw_obj(&w);
	vg_jw_ku64(&w, "v", VG_CTL_VERSION);
	vg_jw_kbool(&w, "ok", !call->code);
	if (call->code) {
		vg_jw_kobj(&w, "error");
		vg_jw_kstr(&w, "code", call->code);
		vg_jw_kstr(&w, "message", call->message);
		if (call->err_key && !vg_jw_done(&call->err_w)) {
			vg_jw_key(&w, call->err_key);
			vg_jw_raw(&w, call->err_val.s, call->err_val.len);
		}
		vg_jw_obj_end(&w);
	}
	if (has_result(call)) {
		vg_jw_key(&w, "result");
		vg_jw_raw(&w, call->res.s, call->res.len);
	}
	vg_jw_obj_end(&w);
	if (vg_jw_done(&w))
		vg_ctl_out_add(call->cl, nomem_reply, sizeof(nomem_reply) - 1);
	else if (b.len >= VG_CTL_REPLY_MAX)
		/* Say so, rather than drop a client that did nothing wrong. */
		vg_ctl_out_addf(call->cl,
				"{\"v\":%u,\"ok\":false,\"error\":{\"code\":"
				"\"" VG_CTL_E_TOO_LARGE "\",\"message\":"
				"\"the reply (%zu bytes) is over the %u-byte "
				"limit\"}}",
				VG_CTL_VERSION, b.len, VG_CTL_REPLY_MAX);
	else
		vg_ctl_out_add(call->cl, b.s, b.len);
	free(b.s);
}

static void answer_text(struct vg_ctl_call *call)
{
	struct vg_json *res = NULL;

	if (has_result(call) && call->res.len >= VG_CTL_REPLY_MAX) {
		vg_ctl_out_addf(call->cl,
				"error: the reply is over the %u-byte "
				"limit",
				VG_CTL_REPLY_MAX);
		return;
	}
	if (call->cmd && call->cmd->text && has_result(call) &&
	    !vg_json_parse(call->res.s, call->res.len, VG_JSON_DEPTH_MAX, &res,
			   NULL))
		call->cmd->text(call, res);
	vg_json_free(res);
	if (call->code)
		vg_ctl_out_addf(call->cl, "error: %s", call->message);
	else
		vg_ctl_out_addf(call->cl, "ok");
}

void vg_ctl_answer(struct vg_ctl_call *call)
{
	if (call->code)
		vg_log_debug(call->cl->ctl->log, "control: %s: %s", call->code,
			     call->message);
	if (call->json)
		answer_json(call);
	else
		answer_text(call);
}

/* --- JSON requests ----------------------------------------------------- */

/* A parsed request: check its members, find the command, take its args. */
static int request_take(struct vg_ctl_call *call, const struct vg_json *req)
{
	const struct vg_json *cmd;
	unsigned int i;
	int64_t v;

	if (req->type != VG_JSON_OBJ)
		return vg_ctl_fail(call, VG_CTL_E_REQUEST,
				   "a request is a JSON object");
	/* The version first: another version may have other members. */
	if (vg_json_i64(vg_json_get(req, "v"), &v))
		return vg_ctl_fail(call, VG_CTL_E_REQUEST,
				   "no protocol version (\"v\": %d)",
				   VG_CTL_VERSION);
	if (v != VG_CTL_VERSION)
		return vg_ctl_fail(call, VG_CTL_E_VERSION,
				   "protocol version %" PRId64
				   " is not supported (this daemon speaks %d)",
				   v, VG_CTL_VERSION);
	for (i = 0; i < req->n; i++)
		if (strcmp(req->k[i], "v") && strcmp(req->k[i], "cmd") &&
		    strcmp(req->k[i], "args"))
			return vg_ctl_fail(call, VG_CTL_E_REQUEST,
					   "unknown member '%.*s' in the "
					   "request",
					   VG_CTL_SHOWN_MAX, req->k[i]);
	cmd = vg_json_get(req, "cmd");
	if (!vg_json_str(cmd))
		return vg_ctl_fail(call, VG_CTL_E_REQUEST,
				   "no command (\"cmd\": a string)");
	call->cmd = find_cmd(call->cl->ctl, cmd->s);
	if (!call->cmd)
		return vg_ctl_fail(call, VG_CTL_E_UNKNOWN,
				   "unknown command '%.*s' (try help)",
				   VG_CTL_SHOWN_MAX, cmd->s);
	return args_take(call, vg_json_get(req, "args"));
}

void vg_ctl_on_json(struct vg_ctl_client *cl, const char *line, size_t len)
{
	struct vg_ctl_call call;
	struct vg_json *req = NULL;
	struct vg_json_err e;
	bool later = false;
	int rc;

	vg_ctl_call_init(&call, cl, true);
	rc = vg_json_parse(line, len, VG_CTL_REQUEST_DEPTH, &req, &e);
	if (rc == -ENOMEM)
		vg_ctl_fail(&call, VG_CTL_E_INTERNAL, "out of memory");
	else if (rc)
		vg_ctl_fail(&call, VG_CTL_E_PARSE, "byte %zu: %s", e.offset,
			    e.msg);
	else if (!request_take(&call, req))
		later = run(&call);
	if (!later)
		vg_ctl_answer(&call);
	vg_json_free(req);
	vg_ctl_call_dispose(&call);
}

/* --- text commands -------------------------------------------------------- */

static int name_words(const char *name, const char **w, int max)
{
	int n = 0;

	while (*name && n < max) {
		w[n++] = name;
		name = strchr(name, ' ');
		if (!name)
			break;
		name++;
	}
	return n;
}

/* Does @cmd's name equal the first words of @argv? Returns its word count. */
static int cmd_match(const struct vg_ctl_cmd *cmd, int argc, char **argv)
{
	const char *w[4];
	int i, n = name_words(cmd->name, w, 4);

	if (n > argc)
		return 0;
	for (i = 0; i < n; i++) {
		size_t len = strcspn(w[i], " ");

		if (strlen(argv[i]) != len || strncmp(argv[i], w[i], len))
			return 0;
	}
	return n;
}

static int text_take(struct vg_ctl_call *call, int argc, char **argv)
{
	const struct vg_ctl *ctl = call->cl->ctl;
	unsigned int i;
	char usage[128];
	int n, best_n = 0, rc;

	if (argc == 0)
		return vg_ctl_fail(call, VG_CTL_E_REQUEST,
				   "empty command (try help)");
	for (i = 0; i <= ctl->ncmds; i++) {
		const struct vg_ctl_cmd *c =
			i < ctl->ncmds ? &ctl->cmds[i] : &help_cmd;

		n = cmd_match(c, argc, argv);
		if (n > best_n) {
			call->cmd = c;
			best_n = n;
		}
	}
	if (!call->cmd)
		return vg_ctl_fail(call, VG_CTL_E_UNKNOWN,
				   "unknown command '%s' (try help)", argv[0]);
	if ((unsigned int)(argc - best_n) != call->cmd->nargs) {
		usage_of(call->cmd, usage, sizeof(usage));
		return vg_ctl_fail(call, VG_CTL_E_ARGS, "usage: %s%s%s",
				   call->cmd->name, usage[0] ? " " : "", usage);
	}
	for (i = 0; i < call->cmd->nargs; i++) {
		rc = arg_take(call, i, NULL, argv[best_n + (int)i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* One complete text line (NUL-terminated, newline stripped). */
void vg_ctl_on_text(struct vg_ctl_client *cl, char *line)
{
	char *argv[VG_CTL_WORDS_MAX + 1];
	struct vg_ctl_call call;
	size_t len = strlen(line);
	char *p, *save = NULL;
	int argc = 0;

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	for (p = line; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch < 0x20 && ch != '\t') || ch >= 0x7f) {
			vg_ctl_out_addf(cl, "error: non-printable character in "
					    "command");
			return;
		}
	}
	for (p = strtok_r(line, " \t", &save); p;
	     p = strtok_r(NULL, " \t", &save)) {
		if (argc == VG_CTL_WORDS_MAX) {
			vg_ctl_out_addf(cl, "error: too many words");
			return;
		}
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	vg_ctl_call_init(&call, cl, false);
	if (text_take(&call, argc, argv) || !run(&call))
		vg_ctl_answer(&call);
	vg_ctl_call_dispose(&call);
}
