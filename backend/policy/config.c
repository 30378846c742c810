// SPDX-License-Identifier: BSD-3-Clause
/*
 * The configuration (policy) file parser. Format: config.h and
 * docs/vgpio-policy.5.md; how the parser's files fit: cfgparse.h.
 *
 * This file is the driver: it splits the text into lines for the lexer
 * (cfglex.c), opens [TYPE NAME] sections from the table of section
 * types, and hands each "KEY ..." line to the section's key table; at
 * the end it has the references between sections checked (cfgcheck.c).
 * Every error names SOURCE:LINE:COL of the offending token.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cfgparse.h"

/* Indexed by enum value: VG_SAFE_INPUT 0, LOW 1, HIGH 2 and so on. */
const char *const vg_config_safe_words[3] = {"input", "low", "high"};
const char *const vg_config_bias_words[4] = {"as-is", "disabled", "pull-up",
					     "pull-down"};
const char *const vg_config_drive_words[3] = {"push-pull", "open-drain",
					      "open-source"};
_Static_assert(VG_SAFE_INPUT == 0 && VG_SAFE_HIGH == 2 && VG_BIAS_AS_IS == 0 &&
		       VG_BIAS_PULL_DOWN == 3 && VG_DRIVE_PUSH_PULL == 0 &&
		       VG_DRIVE_OPEN_SOURCE == 2,
	       "the word tables are indexed by these enums");
#include "json.h"

#define CFG_MAX_FILE (16u << 20)

const char vg_config_demo[] =
	"# vgpio built-in demo: a simulated board with three LEDs and a "
	"button.\n"
	"[sim demo-board]\n"
	"lines = 5\n"
	"names = led-red led-green led-blue button button-press\n"
	"# The guest drives button-press; it is wired to button so the guest "
	"can\n"
	"# raise its own interrupt. Tests and the control socket can also "
	"press\n"
	"# the button by setting its pull.\n"
	"wire = button-press -> button\n"
	"pull = button down\n"
	"\n"
	"[domain demo]\n"
	"lines = demo-board led-red led-green led-blue button button-press\n"
	"line led-red = allow=out safe=low\n"
	"line led-green = allow=out safe=low\n"
	"line led-blue = allow=out safe=low\n"
	"line button = allow=in,irq\n"
	"line button-press = allow=out\n";

/* --- sections and keys ---------------------------------------------------- */

static const struct vg_cfgsect *const sections[] = {
	&vg_cfgsim_sect,
	&vg_cfgdomain_sect,
};

int vg_cfgparse_key(struct vg_cfgparse *p, const struct vg_cfgkeys *keys,
		    const struct vg_cfgtok *t, unsigned int *given)
{
	struct vg_cfglex *lx = &p->lx;
	const struct vg_cfgkey *k;
	const struct vg_cfgtok *value = t;
	unsigned int i;
	int rc = 0;

	for (i = 0; i < keys->n; i++)
		if (vg_cfgtok_is(t, keys->v[i].name))
			break;
	if (i == keys->n)
		return vg_cfglex_err(lx, t->col, "unknown %s '%.*s'%s",
				     keys->what, VG_TOKF(t), keys->where);
	k = &keys->v[i];
	if (keys->first_required && i && !(*given & 1u))
		return vg_cfglex_err(lx, t->col, "'%s' before '%s'", k->name,
				     keys->v[0].name);
	if ((*given & (1u << i)) && !k->repeatable)
		return vg_cfglex_err(lx, t->col, "duplicate %s '%s'",
				     keys->what, k->name);
	*given |= 1u << i;
	if (k->form != VG_KEY_OWN)
		rc = vg_cfglex_expect(lx, VG_TOK_EQ, "'='", NULL);
	if (!rc && k->form == VG_KEY_VALUE)
		rc = vg_cfglex_expect(lx, VG_TOK_WORD, "a value", &value);
	return rc ? rc : k->parse(p, value);
}

static int section_end(struct vg_cfgparse *p)
{
	const struct vg_cfgsect *s = p->sect;

	if (s && !(p->seen & 1u))
		return vg_cfglex_err_at(&p->lx, p->sect_pos,
					"[%s %s] has no '%s'", s->name,
					p->sect_name, s->keys->v[0].name);
	/* A domain's per-line scratch ends with it. */
	free(p->opts_done);
	p->opts_done = NULL;
	return 0;
}

/* [TYPE NAME], the '[' read */
static int parse_header(struct vg_cfgparse *p, const struct vg_cfgtok *lbrack)
{
	struct vg_cfglex *lx = &p->lx;
	const struct vg_cfgsect *s = NULL;
	const struct vg_cfgtok *type, *name;
	unsigned int i;
	int rc;

	rc = section_end(p);
	p->sect = NULL;
	if (!rc)
		rc = vg_cfglex_expect(lx, VG_TOK_WORD, "a section type", &type);
	if (!rc)
		rc = vg_cfglex_expect(lx, VG_TOK_WORD, "a section name", &name);
	if (!rc)
		rc = vg_cfglex_expect(lx, VG_TOK_RBRACK, "']'", NULL);
	if (!rc)
		rc = vg_cfglex_end(lx, " after ']'");
	if (rc)
		return rc;
	for (i = 0; i < VG_ARRAY_SIZE(sections) && !s; i++)
		if (vg_cfgtok_is(type, sections[i]->name))
			s = sections[i];
	if (!s) /* the list: sections[] */
		return vg_cfglex_err(lx, type->col,
				     "unknown section type '%.*s' (expected "
				     "sim or domain)",
				     VG_TOKF(type));
	rc = vg_cfglex_name(lx, name, s->what, VG_CONFIG_NAME_MAX);
	if (!rc)
		rc = s->begin(p, name);
	if (rc)
		return rc;
	p->sect = s;
	p->sect_pos = vg_cfglex_pos(lx, lbrack);
	memcpy(p->sect_name, name->s, name->len);
	p->sect_name[name->len] = '\0';
	p->seen = 0;
	return 0;
}

/* KEY ..., in the current section */
static int parse_entry(struct vg_cfgparse *p)
{
	struct vg_cfglex *lx = &p->lx;
	const struct vg_cfgtok *key = vg_cfglex_take(lx, VG_TOK_WORD);
	int rc;

	if (!key)
		return vg_cfglex_err(lx, vg_cfglex_peek(lx)->col,
				     "expected a key or a [section]");
	if (!p->sect)
		return vg_cfglex_err(lx, key->col,
				     "key '%.*s' outside a section",
				     VG_TOKF(key));
	rc = vg_cfgparse_key(p, p->sect->keys, key, &p->seen);
	return rc ? rc : vg_cfglex_end(lx, "");
}

/* --- public API ------------------------------------------------------------ */

int vg_config_parse_err(const char *text, size_t len, const char *source,
			struct vg_config **out, struct vg_config_err *err)
{
	struct vg_cfgparse p = {
		.lx = {.source = source ? source : "config", .err = err}};
	struct vg_cfglex *lx = &p.lx;
	const char *nul = len ? memchr(text, '\0', len) : NULL;
	const struct vg_cfgtok *lbrack;
	size_t at = 0;
	int rc = 0;

	if (err)
		memset(err, 0, sizeof(*err));
	p.cfg = calloc(1, sizeof(*p.cfg));
	if (!p.cfg)
		return vg_cfglex_nomem(lx);
	if (len > CFG_MAX_FILE) {
		lx->lineno = 1;
		rc = vg_cfglex_err(lx, 1, "larger than %u bytes", CFG_MAX_FILE);
	}
	while (!rc && at < len) {
		const char *s = text + at, *nl = memchr(s, '\n', len - at);
		size_t n = nl ? (size_t)(nl - s) : len - at;

		lx->lineno++;
		at += n + (nl != NULL);
		if (nul && nul >= s && nul < s + n) {
			rc = vg_cfglex_err(lx, (unsigned int)(nul - s) + 1,
					   "NUL byte in input");
			break;
		}
		if (n && s[n - 1] == '\r' && nl)
			n--; /* CRLF line end */
		rc = vg_cfglex_scan(lx, s, (unsigned int)n);
		if (rc || !lx->ntoks)
			continue;
		lbrack = vg_cfglex_take(lx, VG_TOK_LBRACK);
		rc = lbrack ? parse_header(&p, lbrack) : parse_entry(&p);
	}
	if (!rc)
		rc = section_end(&p);
	if (!rc)
		rc = vg_cfgcheck_run(&p);
	free(lx->toks);
	free(p.refs);
	free(p.opts_done);
	if (rc) {
		vg_config_free(p.cfg);
		return rc;
	}
	*out = p.cfg;
	return 0;
}

int vg_config_load_err(const char *path, struct vg_config **out,
		       struct vg_config_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (st.st_size > CFG_MAX_FILE) {
		rc = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	/* Read one byte past the size to notice a file that grew. */
	while ((r = read(fd, buf + len, (size_t)st.st_size + 1 - len)) > 0)
		if ((len += (size_t)r) > (size_t)st.st_size)
			break;
	if (r < 0) {
		rc = -errno;
		goto out;
	}
	if (len > (size_t)st.st_size) {
		rc = -EAGAIN; /* changed while we read it */
		goto out;
	}
	rc = vg_config_parse_err(buf, len, path, out, err);
	free(buf);
	close(fd);
	return rc;
out:
	if (err) {
		memset(err, 0, sizeof(*err));
		err->file = path;
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(-rc));
	}
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

void vg_config_err_format(const struct vg_config_err *e, char *buf, size_t len)
{
	if (e->file && e->line)
		snprintf(buf, len, "%s:%u:%u: %s", e->file, e->line, e->col,
			 e->msg);
	else if (e->file)
		snprintf(buf, len, "%s: %s", e->file, e->msg);
	else
		snprintf(buf, len, "%s", e->msg);
}

void vg_config_err_json(struct vg_jw *w, const struct vg_config_err *e)
{
	vg_jw_obj(w);
	vg_jw_key(w, "file");
	if (e->file)
		vg_jw_str(w, e->file);
	else
		vg_jw_null(w);
	vg_jw_key(w, "line");
	if (e->line)
		vg_jw_u64(w, e->line);
	else
		vg_jw_null(w);
	vg_jw_key(w, "column");
	if (e->line)
		vg_jw_u64(w, e->col);
	else
		vg_jw_null(w);
	vg_jw_kstr(w, "message", e->msg);
	vg_jw_obj_end(w);
}

/* The text form of a result of the _err functions, for the old API. */
static int err_text(int rc, const struct vg_config_err *e, char *err,
		    size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (rc && err && errlen)
		vg_config_err_format(e, err, errlen);
	return rc;
}

int vg_config_parse(const char *text, size_t len, const char *source,
		    struct vg_config **out, char *err, size_t errlen)
{
	struct vg_config_err e;

	return err_text(vg_config_parse_err(text, len, source, out, &e), &e,
			err, errlen);
}

int vg_config_load(const char *path, struct vg_config **out, char *err,
		   size_t errlen)
{
	struct vg_config_err e;

	return err_text(vg_config_load_err(path, out, &e), &e, err, errlen);
}

static void config_free_sim(struct vg_config_sim *s)
{
	unsigned int i;

	for (i = 0; s->names && i < s->nlines; i++)
		free(s->names[i]);
	free(s->names);
	for (i = 0; i < s->nwires; i++) {
		free(s->wires[i].out_chip);
		free(s->wires[i].out_line);
		free(s->wires[i].in_chip);
		free(s->wires[i].in_line);
	}
	free(s->wires);
	for (i = 0; i < s->npulls; i++)
		free(s->pulls[i].line);
	free(s->pulls);
	free(s->name);
}

void vg_config_free(struct vg_config *cfg)
{
	unsigned int i, j;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nsims; i++)
		config_free_sim(&cfg->sims[i]);
	free(cfg->sims);
	for (i = 0; i < cfg->ndomains; i++) {
		for (j = 0; j < cfg->domains[i].nlines; j++) {
			free(cfg->domains[i].lines[j].chip);
			free(cfg->domains[i].lines[j].line);
		}
		free(cfg->domains[i].lines);
		free(cfg->domains[i].name);
	}
	free(cfg->domains);
	free(cfg);
}

const struct vg_config_domain *vg_config_domain(const struct vg_config *cfg,
						const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->ndomains; i++)
		if (!strcmp(cfg->domains[i].name, name))
			return &cfg->domains[i];
	return NULL;
}
