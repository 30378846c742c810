// SPDX-License-Identifier: BSD-3-Clause
/* A domain's status entry, the daemon's or its worker's (wstatus.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "acl.h"
#include "wstatus.h"

/* --- writing ------------------------------------------------------------ */

static const char *dir_str(unsigned int dir)
{
	switch (dir) {
	case VG_GPIO_DIRECTION_IN:
		return "in";
	case VG_GPIO_DIRECTION_OUT:
		return "out";
	default:
		return "none";
	}
}

void vg_status_dom_dispose(struct vg_status_dom *v)
{
	if (!v)
		return;
	free(v->lines);
	memset(v, 0, sizeof(*v));
}

void vg_status_write_counters(struct vg_jw *w, const struct vg_gpio_stats *st)
{
	vg_jw_obj(w);
	vg_jw_ku64(w, "requests", st->requests);
	vg_jw_ku64(w, "errors", st->errors);
	vg_jw_ku64(w, "events", st->events);
	vg_jw_ku64(w, "invalid", st->invalid);
	vg_jw_ku64(w, "resets", st->resets);
	vg_jw_ku64(w, "broken", st->broken);
	vg_jw_ku64(w, "interrupts", st->interrupts);
	vg_jw_obj_end(w);
}

static void write_line(struct vg_jw *w, unsigned int i,
		       const struct vg_status_line *l)
{
	char allow[32];

	vg_jw_obj(w);
	vg_jw_ku64(w, "index", i);
	vg_jw_kstr(w, "name", l->name);
	vg_jw_kstr(w, "chip", l->chip);
	vg_jw_kstr(w, "line", l->line);
	vg_jw_key(w, "allow");
	vg_jw_words(w, vg_acl_allow_str(l->allow, allow, sizeof(allow)), ',');
	vg_jw_kstr(w, "direction", dir_str(l->dir));
	vg_jw_kbool(w, "revoked", l->revoked);
	if (l->value >= 0)
		vg_jw_ku64(w, "value", l->value != 0);
	else
		vg_jw_knull(w, "value");
	vg_jw_obj_end(w);
}

void vg_status_write_dom(struct vg_jw *w, const char *name,
			 const struct vg_status_dom *v, long pid,
			 const char *worker_error)
{
	unsigned int i;

	vg_jw_obj(w);
	vg_jw_kstr(w, "name", name);
	vg_jw_kbool(w, "connected", v->connected);
	vg_jw_kbool(w, "pending", v->pending);
	if (pid > 0)
		vg_jw_ku64(w, "worker", (uint64_t)pid);
	if (worker_error)
		vg_jw_kstr(w, "worker_error", worker_error);
	vg_jw_key(w, "counters");
	vg_status_write_counters(w, &v->st);
	vg_jw_karr(w, "lines");
	for (i = 0; i < v->nlines; i++)
		write_line(w, i, &v->lines[i]);
	vg_jw_arr_end(w);
	vg_jw_obj_end(w);
}

/* A key whose value is a string, or null when there is none. */
static void kstr_or_null(struct vg_jw *w, const char *key, const char *s)
{
	if (s)
		vg_jw_kstr(w, key, s);
	else
		vg_jw_knull(w, key);
}

/* A key whose value is a non-negative integer, or null below 0. */
static void kid_or_null(struct vg_jw *w, const char *key, long v)
{
	if (v >= 0)
		vg_jw_ku64(w, key, (uint64_t)v);
	else
		vg_jw_knull(w, key);
}

void vg_status_write_device(struct vg_jw *w, const char *domain,
			    const struct vg_status_device *dev)
{
	const struct vg_guest_info *info = &dev->info;

	vg_jw_obj(w);
	kstr_or_null(w, "transport", info->transport);
	kstr_or_null(w, "domain", domain);
	vg_jw_kbool(w, "attached", dev->attached);
	kid_or_null(w, "domid", info->domid);
	kid_or_null(w, "devid", info->devid);
	vg_jw_ku64(w, "base", info->base);
	vg_jw_ku64(w, "size", info->size);
	if (info->irq)
		vg_jw_ku64(w, "irq", info->irq);
	else
		vg_jw_knull(w, "irq");
	kstr_or_null(w, "irq_kind", info->irq_kind);
	kstr_or_null(w, "memory", info->memory);
	kstr_or_null(w, "state", info->state);
	vg_jw_key(w, "counters");
	if (dev->has_counters)
		vg_status_write_counters(w, &dev->st);
	else
		vg_jw_null(w);
	vg_jw_obj_end(w);
}

/* --- checking a worker's result ----------------------------------------- */

struct chk {
	char *why;
	size_t len;
};

static int bad(struct chk *c, const char *fmt, ...) VG_PRINTF(2, 3);
static int bad(struct chk *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, c->len, fmt, ap);
	va_end(ap);
	return -EPROTO;
}

static int get_bool(struct chk *c, const struct vg_json *obj, const char *what,
		    const char *key, bool *out)
{
	const struct vg_json *v = vg_json_get(obj, key);

	if (!v || v->type != VG_JSON_BOOL)
		return bad(c, "%s: \"%s\" is not a boolean", what, key);
	*out = v->b;
	return 0;
}

static int get_u64(struct chk *c, const struct vg_json *obj, const char *what,
		   const char *key, uint64_t max, uint64_t *out)
{
	if (vg_json_u64(vg_json_get(obj, key), out) || *out > max)
		return bad(c, "%s: \"%s\" is not an integer in 0..%llu", what,
			   key, (unsigned long long)max);
	return 0;
}

/* A byte of a policy word (the policy file's lexer, cfglex.c). */
static bool word_byte(char ch)
{
	return ch > ' ' && ch < 0x7f && !strchr("=,[]#", ch);
}

/*
 * String member @key of @obj: @min..@max bytes, policy words only if
 * @word, else no control characters (it goes into text replies), copied
 * into @out (@max + 1 bytes).
 */
static int get_str(struct chk *c, const struct vg_json *obj, const char *what,
		   const char *key, size_t min, size_t max, bool word,
		   char *out)
{
	const struct vg_json *v = vg_json_get(obj, key);
	size_t i;

	if (!vg_json_str(v) || v->len < min || v->len > max)
		return bad(c, "%s: \"%s\" is not a string of %zu..%zu bytes",
			   what, key, min, max);
	for (i = 0; i < v->len; i++)
		if (word ? !word_byte(v->s[i])
			 : (unsigned char)v->s[i] < 0x20 || v->s[i] == 0x7f)
			return bad(c, "%s: \"%s\" has a byte it may not have",
				   what, key);
	memcpy(out, v->s, v->len);
	out[v->len] = '\0';
	return 0;
}

/*
 * String member @key of @obj that is one of the @n @words (the static
 * copy goes to *@out), or null if @null_ok (*@out NULL).
 */
static int get_word(struct chk *c, const struct vg_json *obj, const char *what,
		    const char *key, const char *const *words, unsigned int n,
		    bool null_ok, const char **out)
{
	const struct vg_json *v = vg_json_get(obj, key);
	unsigned int i;

	if (null_ok && v && v->type == VG_JSON_NULL) {
		*out = NULL;
		return 0;
	}
	for (i = 0; vg_json_str(v) && i < n; i++)
		if (!strcmp(v->s, words[i])) {
			*out = words[i];
			return 0;
		}
	return bad(c, "%s: \"%s\" is not a known word", what, key);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void vg_status_stats_add(struct vg_gpio_stats *to,
			 const struct vg_gpio_stats *st)
{
	to->requests = sat_add(to->requests, st->requests);
	to->errors = sat_add(to->errors, st->errors);
	to->events = sat_add(to->events, st->events);
	to->invalid = sat_add(to->invalid, st->invalid);
	to->resets = sat_add(to->resets, st->resets);
	to->broken = sat_add(to->broken, st->broken);
	to->interrupts = sat_add(to->interrupts, st->interrupts);
}

void vg_status_dom_add(struct vg_status_dom *v,
		       const struct vg_gpio_stats *done)
{
	unsigned int i;

	vg_status_stats_add(&v->st, done);
	for (i = 0; i < v->ndevices; i++)
		if (v->devices[i].attached && v->devices[i].has_counters)
			vg_status_stats_add(&v->devices[i].st, done);
}

/* COUNTERS @v. */
static int get_counters(struct chk *c, const struct vg_json *v,
			const char *what, struct vg_gpio_stats *st)
{
	int rc;

	if (!v || v->type != VG_JSON_OBJ)
		return bad(c, "%s: \"counters\" is not an object", what);
	if ((rc = get_u64(c, v, what, "requests", UINT64_MAX, &st->requests)) ||
	    (rc = get_u64(c, v, what, "errors", UINT64_MAX, &st->errors)) ||
	    (rc = get_u64(c, v, what, "events", UINT64_MAX, &st->events)) ||
	    (rc = get_u64(c, v, what, "invalid", UINT64_MAX, &st->invalid)) ||
	    (rc = get_u64(c, v, what, "resets", UINT64_MAX, &st->resets)) ||
	    (rc = get_u64(c, v, what, "broken", UINT64_MAX, &st->broken)) ||
	    (rc = get_u64(c, v, what, "interrupts", UINT64_MAX,
			  &st->interrupts)))
		return rc;
	return 0;
}

/* "allow": distinct words of "in", "out", "irq". */
static int get_allow(struct chk *c, const struct vg_json *obj, const char *what,
		     unsigned int *allow)
{
	static const char *const words[] = {"in", "out", "irq"};
	static const unsigned int bits[] = {VG_ALLOW_IN, VG_ALLOW_OUT,
					    VG_ALLOW_IRQ};
	const struct vg_json *a = vg_json_get_arr(obj, "allow");
	unsigned int i, j;

	*allow = 0;
	if (!a || a->n > VG_ARRAY_SIZE(words))
		return bad(c, "%s: \"allow\" is not an array of at most 3",
			   what);
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < VG_ARRAY_SIZE(words); j++)
			if (vg_json_str(&a->v[i]) &&
			    !strcmp(a->v[i].s, words[j]))
				break;
		if (j == VG_ARRAY_SIZE(words) || (*allow & bits[j]))
			return bad(c,
				   "%s: \"allow\" has a bad or repeated "
				   "word",
				   what);
		*allow |= bits[j];
	}
	return 0;
}

static int get_line(struct chk *c, const struct vg_json *v, unsigned int i,
		    struct vg_status_line *l)
{
	static const char *const dirs[] = {"in", "out", "none"};
	static const unsigned int dir_bits[] = {VG_GPIO_DIRECTION_IN,
						VG_GPIO_DIRECTION_OUT,
						VG_GPIO_DIRECTION_NONE};
	const struct vg_json *val;
	const char *dir = NULL;
	uint64_t u;
	char what[32];
	int rc;

	snprintf(what, sizeof(what), "lines[%u]", i);
	if (v->type != VG_JSON_OBJ)
		return bad(c, "%s: not an object", what);
	if ((rc = get_u64(c, v, what, "index", UINT64_MAX, &u)))
		return rc;
	if (u != i)
		return bad(c, "%s: \"index\" is not %u", what, i);
	if ((rc = get_str(c, v, what, "name", 0, VG_GPIO_NAME_MAX, false,
			  l->name)) ||
	    (rc = get_str(c, v, what, "chip", 1, VG_CONFIG_NAME_MAX, true,
			  l->chip)) ||
	    (rc = get_str(c, v, what, "line", 1, VG_GPIO_NAME_MAX, true,
			  l->line)) ||
	    (rc = get_allow(c, v, what, &l->allow)) ||
	    (rc = get_word(c, v, what, "direction", dirs, 3, false, &dir)) ||
	    (rc = get_bool(c, v, what, "revoked", &l->revoked)))
		return rc;
	l->dir = dir_bits[dir == dirs[0] ? 0 : dir == dirs[1] ? 1 : 2];
	val = vg_json_get(v, "value");
	if (val && val->type == VG_JSON_NULL)
		l->value = -1;
	else if (!get_u64(c, v, what, "value", 1, &u))
		l->value = (int)u;
	else
		return -EPROTO;
	return 0;
}

/* "domid", "devid": null or 0..INT32_MAX (-1 for null). */
static int get_id(struct chk *c, const struct vg_json *obj, const char *what,
		  const char *key, long *out)
{
	const struct vg_json *v = vg_json_get(obj, key);
	uint64_t u;
	int rc;

	if (v && v->type == VG_JSON_NULL) {
		*out = -1;
		return 0;
	}
	rc = get_u64(c, obj, what, key, INT32_MAX, &u);
	*out = (long)u;
	return rc;
}

static int get_device(struct chk *c, const struct vg_json *v, unsigned int i,
		      const char *domain, struct vg_status_device *dev)
{
	static const char *const transports[] = {"loop", "xen"};
	static const char *const kinds[] = {"spi", "isa"};
	static const char *const memories[] = {"memfd", "grant", "foreign"};
	static const char *const states[] = {"connected", "manual",
					     "placeholder"};
	struct vg_guest_info *info = &dev->info;
	const struct vg_json *m;
	char what[32];
	uint64_t u;
	int rc;

	snprintf(what, sizeof(what), "devices[%u]", i);
	if (v->type != VG_JSON_OBJ)
		return bad(c, "%s: not an object", what);
	if (!vg_json_str(vg_json_get(v, "domain")) ||
	    strcmp(vg_json_get(v, "domain")->s, domain))
		return bad(c, "%s: \"domain\" is not %s", what, domain);
	if ((rc = get_word(c, v, what, "transport", transports, 2, false,
			   &info->transport)) ||
	    (rc = get_bool(c, v, what, "attached", &dev->attached)) ||
	    (rc = get_id(c, v, what, "domid", &info->domid)) ||
	    (rc = get_id(c, v, what, "devid", &info->devid)) ||
	    (rc = get_u64(c, v, what, "base", UINT64_MAX, &info->base)) ||
	    (rc = get_u64(c, v, what, "size", UINT64_MAX, &info->size)) ||
	    (rc = get_word(c, v, what, "irq_kind", kinds, 2, true,
			   &info->irq_kind)) ||
	    (rc = get_word(c, v, what, "memory", memories, 3, true,
			   &info->memory)) ||
	    (rc = get_word(c, v, what, "state", states, 3, true, &info->state)))
		return rc;
	m = vg_json_get(v, "irq");
	if (m && m->type == VG_JSON_NULL)
		info->irq = 0;
	else if (!get_u64(c, v, what, "irq", UINT32_MAX, &u) && u)
		info->irq = (unsigned int)u;
	else
		return bad(c, "%s: \"irq\" is not null or 1..%u", what,
			   UINT32_MAX);
	m = vg_json_get(v, "counters");
	dev->has_counters = !(m && m->type == VG_JSON_NULL);
	if (dev->has_counters)
		return get_counters(c, m, what, &dev->st);
	return 0;
}

static int check(struct chk *c, const struct vg_json *res, const char *domain,
		 unsigned int max_lines, struct vg_status_dom *out)
{
	const struct vg_json *doms, *dom, *lines, *devs;
	unsigned int i;
	int rc;

	if (!res || res->type != VG_JSON_OBJ)
		return bad(c, "the result is not an object");
	doms = vg_json_get_arr(res, "domains");
	if (!doms || doms->n != 1)
		return bad(c, "\"domains\" is not an array of one domain");
	dom = &doms->v[0];
	if (dom->type != VG_JSON_OBJ ||
	    !vg_json_str(vg_json_get(dom, "name")) ||
	    strcmp(vg_json_get(dom, "name")->s, domain))
		return bad(c, "\"domains\" does not hold domain %s", domain);
	if ((rc = get_bool(c, dom, "domain", "connected", &out->connected)) ||
	    (rc = get_bool(c, dom, "domain", "pending", &out->pending)) ||
	    (rc = get_counters(c, vg_json_get(dom, "counters"), "domain",
			       &out->st)))
		return rc;
	lines = vg_json_get_arr(dom, "lines");
	if (!lines || lines->n > max_lines)
		return bad(c, "domain: \"lines\" is not an array of at most %u",
			   max_lines);
	if (lines->n) {
		out->lines = calloc(lines->n, sizeof(*out->lines));
		if (!out->lines)
			return -ENOMEM;
	}
	for (i = 0; i < lines->n; i++) {
		rc = get_line(c, &lines->v[i], i, &out->lines[i]);
		if (rc)
			return rc;
		out->nlines++;
	}
	devs = vg_json_get_arr(res, "devices");
	if (!devs || devs->n > VG_WSTATUS_DEVICES_MAX)
		return bad(c, "\"devices\" is not an array of at most %u",
			   VG_WSTATUS_DEVICES_MAX);
	for (i = 0; i < devs->n; i++) {
		rc = get_device(c, &devs->v[i], i, domain, &out->devices[i]);
		if (rc)
			return rc;
		out->ndevices++;
	}
	return 0;
}

int vg_wstatus_check(const struct vg_json *result, const char *domain,
		     unsigned int max_lines, struct vg_status_dom *out,
		     char *why, size_t whylen)
{
	struct chk c = {why, whylen};
	int rc;

	memset(out, 0, sizeof(*out));
	if (whylen)
		why[0] = '\0';
	rc = check(&c, result, domain, max_lines, out);
	if (rc == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	if (rc)
		vg_status_dom_dispose(out);
	return rc;
}
