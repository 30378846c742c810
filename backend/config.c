// SPDX-License-Identifier: BSD-3-Clause
/*
 * The configuration (policy) file parser. Format: config.h and
 * docs/vgpio-policy.md.
 *
 * Shape, so the format can grow without a rewrite:
 *   - a line lexer turns one line into tokens (words and the punctuation
 *     = , -> [ ]), rejecting bytes that are not printable ASCII;
 *   - sections and their keys, and a domain line's options, are tables
 *     (section_defs, *_keys, line_opts): a new key is one entry and one
 *     function;
 *   - references between sections (wires, pulls, domain lines on sim chips,
 *     guest names) are recorded with their position while parsing and
 *     checked once the whole file is read, so sections may come in any
 *     order.
 * Every error names SOURCE:LINE:COL of the offending token; a missing
 * token is reported at the end of its line. Columns count bytes from 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config.h"

#define CFG_MAX_SIM_LINES 512u /* VG_SIM_MAX_LINES */
/* virtio-gpio's ngpio is 16 bits wide. */
#define CFG_MAX_DOMAIN_LINES 65535u
#define CFG_MAX_FILE (16u << 20)
#define CFG_TOKEN_SHOWN 40 /* longest token quoted in a message */

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

enum tok_kind { T_WORD, T_EQ, T_COMMA, T_ARROW, T_LBRACK, T_RBRACK };

struct tok {
	enum tok_kind kind;
	const char *s;
	unsigned int len;
	unsigned int col;
};

struct pos {
	unsigned int line, col;
};

/* A reference checked after the whole file is read. */
enum ref_kind { REF_WIRE, REF_PULL, REF_HOST_LINE, REF_GUEST_NAME };
struct ref {
	enum ref_kind kind;
	unsigned int sect; /* index in cfg->sims or cfg->domains */
	unsigned int entry; /* wire, pull or domain line index */
	struct pos pos, pos2; /* pos2: a wire's input end */
};

struct section_def;

struct parser {
	const char *source;
	char *err;
	size_t errlen;
	struct vg_config *cfg;

	unsigned int lineno, eol_col;
	struct tok *toks;
	unsigned int ntoks, cur;

	const struct section_def *sect; /* NULL before the first header */
	struct pos sect_pos;
	const char *sect_name;
	unsigned int seen; /* bit i: key i of the section given */
	unsigned char *opts_done; /* current domain: `line` given, per line */

	struct ref *refs;
	unsigned int nrefs;
};

/* --- small helpers ------------------------------------------------------ */

static int cfg_verr(struct parser *p, struct pos at, const char *fmt,
		    va_list ap) VG_PRINTF(3, 0);
static int cfg_verr(struct parser *p, struct pos at, const char *fmt,
		    va_list ap)
{
	int n;

	if (!p->errlen)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s:%u:%u: ", p->source, at.line,
		     at.col);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

static int err_at(struct parser *p, struct pos at, const char *fmt, ...)
	VG_PRINTF(3, 4);
static int err_at(struct parser *p, struct pos at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(p, at, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Error at column @col of the current line. */
static int err_col(struct parser *p, unsigned int col, const char *fmt, ...)
	VG_PRINTF(3, 4);
static int err_col(struct parser *p, unsigned int col, const char *fmt, ...)
{
	struct pos at = {p->lineno, col};
	va_list ap;

	va_start(ap, fmt);
	cfg_verr(p, at, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int err_nomem(struct parser *p)
{
	snprintf(p->err, p->errlen, "%s: out of memory", p->source);
	return -ENOMEM;
}

/* "%.*s" arguments for a token, cut to keep messages short. */
#define TOKF(t) \
	(int)((t)->len > CFG_TOKEN_SHOWN ? CFG_TOKEN_SHOWN : (t)->len), (t)->s

static bool tok_is(const struct tok *t, const char *word)
{
	return t->kind == T_WORD && strlen(word) == t->len &&
	       !memcmp(t->s, word, t->len);
}

static struct pos tok_pos(const struct parser *p, const struct tok *t)
{
	struct pos at = {p->lineno, t->col};

	return at;
}

static int pos_cmp(struct pos a, struct pos b)
{
	if (a.line != b.line)
		return a.line < b.line ? -1 : 1;
	if (a.col != b.col)
		return a.col < b.col ? -1 : 1;
	return 0;
}

/*
 * Room for element @n of an array holding @n elements. Capacity is kept
 * at the next power of two, so it need not be stored. Returns the
 * (possibly moved) array or NULL.
 */
static void *grow(void *arr, unsigned int n, size_t size)
{
	if (n && (n & (n - 1)))
		return arr;
	if (n > UINT_MAX / 2)
		return NULL;
	return realloc(arr, (n ? 2 * (size_t)n : 1) * size);
}

static bool all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return len > 0;
}

/* What a line offset looks like (parse_num's strict form). */
static bool is_offset(const char *s, size_t len)
{
	return all_digits(s, len) && (len == 1 || s[0] != '0');
}

/* Strict decimal: "0" or [1-9][0-9]*, the whole token, in [min, max]. */
static int parse_num(struct parser *p, const struct tok *t, uint32_t min,
		     uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	unsigned int i;

	if (t->kind != T_WORD || !all_digits(t->s, t->len))
		return err_col(p, t->col, "'%.*s' is not a number", TOKF(t));
	if (t->len > 1 && t->s[0] == '0')
		return err_col(p, t->col, "number '%.*s' has a leading zero",
			       TOKF(t));
	for (i = 0; i < t->len && v <= max; i++)
		v = v * 10 + (uint64_t)(t->s[i] - '0');
	if (v < min || v > max)
		return err_col(p, t->col, "number '%.*s' out of range (%u..%u)",
			       TOKF(t), min, max);
	*out = (uint32_t)v;
	return 0;
}

/* Words are already printable ASCII without blanks (the lexer). */
static int check_name(struct parser *p, const struct tok *t, const char *what,
		      unsigned int max)
{
	if (t->len > max)
		return err_col(p, t->col,
			       "%s '%.*s%s' longer than %u characters", what,
			       TOKF(t), t->len > CFG_TOKEN_SHOWN ? "..." : "",
			       max);
	return 0;
}

static char *tok_dup(const struct tok *t)
{
	return strndup(t->s, t->len);
}

static const struct tok *peek(struct parser *p)
{
	return p->cur < p->ntoks ? &p->toks[p->cur] : NULL;
}

/* The next token, which must be of @kind; @what names it in the error. */
static int expect(struct parser *p, enum tok_kind kind, const char *what,
		  const struct tok **out)
{
	const struct tok *t = peek(p);

	if (!t)
		return err_col(p, p->eol_col, "expected %s at end of line",
			       what);
	if (t->kind != kind)
		return err_col(p, t->col, "expected %s, got '%.*s'", what,
			       TOKF(t));
	p->cur++;
	if (out)
		*out = t;
	return 0;
}

/* Pick @t among @n @words; the error lists them. */
static int pick(struct parser *p, const struct tok *t, const char *what,
		const char *const *words, unsigned int n, unsigned int *out)
{
	char list[128] = "";
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (tok_is(t, words[i])) {
			*out = i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", i ? ", " : "", words[i]);
	}
	return err_col(p, t->col, "unknown %s '%.*s' (expected %s)", what,
		       TOKF(t), list);
}

static int add_ref(struct parser *p, enum ref_kind kind, unsigned int sect,
		   unsigned int entry, struct pos pos, struct pos pos2)
{
	struct ref *refs = grow(p->refs, p->nrefs, sizeof(*refs));

	if (!refs)
		return err_nomem(p);
	p->refs = refs;
	refs[p->nrefs].kind = kind;
	refs[p->nrefs].sect = sect;
	refs[p->nrefs].entry = entry;
	refs[p->nrefs].pos = pos;
	refs[p->nrefs].pos2 = pos2;
	p->nrefs++;
	return 0;
}

/* --- lexer ---------------------------------------------------------------- */

static bool is_word_byte(char c)
{
	return c > ' ' && c < 0x7f && !strchr("=,[]#", c);
}

/* Tokenize @len bytes of one line (without its line end). */
static int lex_line(struct parser *p, const char *s, unsigned int len)
{
	unsigned int i = 0;

	p->ntoks = 0;
	p->cur = 0;
	p->eol_col = len + 1;
	while (i < len) {
		struct tok t = {T_WORD, s + i, 1, i + 1};
		struct tok *toks;
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t') {
			i++;
			continue;
		}
		if (c == '#')
			break;
		if (c == '=')
			t.kind = T_EQ;
		else if (c == ',')
			t.kind = T_COMMA;
		else if (c == '[')
			t.kind = T_LBRACK;
		else if (c == ']')
			t.kind = T_RBRACK;
		else if (c == '-' && i + 1 < len && s[i + 1] == '>')
			t.kind = T_ARROW, t.len = 2;
		else if (c == '\r')
			return err_col(p, i + 1,
				       "carriage return not followed by a "
				       "newline");
		else if (!is_word_byte((char)c))
			return err_col(p, i + 1,
				       "invalid byte 0x%02x (only printable "
				       "ASCII outside comments)",
				       c);
		else
			while (i + t.len < len && is_word_byte(s[i + t.len]) &&
			       !(s[i + t.len] == '-' && i + t.len + 1 < len &&
				 s[i + t.len + 1] == '>'))
				t.len++;
		toks = grow(p->toks, p->ntoks, sizeof(*toks));
		if (!toks)
			return err_nomem(p);
		p->toks = toks;
		toks[p->ntoks++] = t;
		i += t.len;
	}
	return 0;
}

/* --- [sim NAME] ------------------------------------------------------------ */

static struct vg_config_sim *cur_sim(struct parser *p)
{
	return &p->cfg->sims[p->cfg->nsims - 1];
}

static struct vg_config_sim *find_sim(const struct vg_config *cfg,
				      const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->nsims; i++)
		if (!strcmp(cfg->sims[i].name, name))
			return &cfg->sims[i];
	return NULL;
}

/* Line @line of sim @s by name or offset; -1 if none. */
static int sim_line(const struct vg_config_sim *s, const char *line)
{
	unsigned long off;
	unsigned int i;

	for (i = 0; s->names && i < s->nlines; i++)
		if (s->names[i] && !strcmp(s->names[i], line))
			return (int)i;
	if (!is_offset(line, strlen(line)) || strlen(line) > 3)
		return -1;
	off = strtoul(line, NULL, 10);
	return off < s->nlines ? (int)off : -1;
}

static int sim_begin(struct parser *p, const struct tok *name)
{
	struct vg_config *cfg = p->cfg;
	struct vg_config_sim *sims;
	int rc;

	rc = check_name(p, name, "chip name", VG_CONFIG_NAME_MAX);
	if (rc)
		return rc;
	/* Wires write chip:line, so a sim chip's name cannot hold ':'. */
	if (memchr(name->s, ':', name->len))
		return err_col(p, name->col,
			       "sim chip name '%.*s' contains ':'", TOKF(name));
	sims = grow(cfg->sims, cfg->nsims, sizeof(*sims));
	if (!sims)
		return err_nomem(p);
	cfg->sims = sims;
	memset(&sims[cfg->nsims], 0, sizeof(*sims));
	sims[cfg->nsims].name = tok_dup(name);
	if (!sims[cfg->nsims].name)
		return err_nomem(p);
	if (find_sim(cfg, sims[cfg->nsims].name)) {
		free(sims[cfg->nsims].name);
		return err_col(p, name->col, "duplicate section [sim %.*s]",
			       TOKF(name));
	}
	cfg->nsims++;
	return 0;
}

static int sim_lines(struct parser *p, const struct tok *key)
{
	const struct tok *t;
	uint32_t n;
	int rc;

	(void)key;
	rc = expect(p, T_EQ, "'='", NULL);
	if (!rc)
		rc = expect(p, T_WORD, "a line count", &t);
	if (!rc)
		rc = parse_num(p, t, 1, CFG_MAX_SIM_LINES, &n);
	if (!rc)
		cur_sim(p)->nlines = n;
	return rc;
}

static int sim_names(struct parser *p, const struct tok *key)
{
	struct vg_config_sim *s = cur_sim(p);
	unsigned int i = 0, j;
	const struct tok *t;
	int rc;

	rc = expect(p, T_EQ, "'='", NULL);
	if (rc)
		return rc;
	s->names = calloc(s->nlines, sizeof(*s->names));
	if (!s->names)
		return err_nomem(p);
	for (; (t = peek(p)) != NULL; i++) {
		rc = expect(p, T_WORD, "a line name", &t);
		if (rc)
			return rc;
		if (i == s->nlines)
			return err_col(p, t->col, "more names than lines (%u)",
				       s->nlines);
		if (tok_is(t, "-"))
			continue;
		rc = check_name(p, t, "line name", VG_GPIO_NAME_MAX);
		if (rc)
			return rc;
		if (is_offset(t->s, t->len))
			return err_col(p, t->col,
				       "line name '%.*s' would read as an "
				       "offset",
				       TOKF(t));
		for (j = 0; j < i; j++)
			if (s->names[j] && tok_is(t, s->names[j]))
				return err_col(p, t->col,
					       "duplicate line name '%.*s'",
					       TOKF(t));
		s->names[i] = tok_dup(t);
		if (!s->names[i])
			return err_nomem(p);
	}
	if (i < s->nlines)
		return err_col(p, key->col, "%u names for %u lines", i,
			       s->nlines);
	return 0;
}

/* [chip:]line; the chip defaults to the current section's. */
static int wire_end(struct parser *p, const struct tok *t, char **chip,
		    char **line)
{
	const char *colon = memchr(t->s, ':', t->len);
	struct tok c = *t, l = *t;

	if (colon) {
		c.len = (unsigned int)(colon - t->s);
		l.s = colon + 1;
		l.len = t->len - c.len - 1;
		l.col = t->col + c.len + 1;
		if (!c.len || !l.len)
			return err_col(p, t->col,
				       "expected CHIP:LINE, got '%.*s'",
				       TOKF(t));
	}
	*chip = colon ? tok_dup(&c) : strdup(cur_sim(p)->name);
	*line = tok_dup(&l);
	return *chip && *line ? 0 : err_nomem(p);
}

static int sim_wire(struct parser *p, const struct tok *key)
{
	struct vg_config_sim *s = cur_sim(p);
	struct vg_config_wire *w;
	const struct tok *o, *in;
	int rc;

	(void)key;
	rc = expect(p, T_EQ, "'='", NULL);
	if (!rc)
		rc = expect(p, T_WORD, "an output line", &o);
	if (!rc)
		rc = expect(p, T_ARROW, "'->'", NULL);
	if (!rc)
		rc = expect(p, T_WORD, "an input line", &in);
	if (rc)
		return rc;
	w = grow(s->wires, s->nwires, sizeof(*w));
	if (!w)
		return err_nomem(p);
	s->wires = w;
	w = memset(&w[s->nwires++], 0, sizeof(*w));
	rc = wire_end(p, o, &w->out_chip, &w->out_line);
	if (!rc)
		rc = wire_end(p, in, &w->in_chip, &w->in_line);
	if (!rc)
		rc = add_ref(p, REF_WIRE, p->cfg->nsims - 1, s->nwires - 1,
			     tok_pos(p, o), tok_pos(p, in));
	return rc;
}

static int sim_pull(struct parser *p, const struct tok *key)
{
	static const char *const levels[] = {"down", "up"};
	struct vg_config_sim *s = cur_sim(p);
	struct vg_config_pull *pl;
	const struct tok *line, *lv;
	unsigned int v;
	int rc;

	(void)key;
	rc = expect(p, T_EQ, "'='", NULL);
	if (!rc)
		rc = expect(p, T_WORD, "a line", &line);
	if (!rc)
		rc = expect(p, T_WORD, "up or down", &lv);
	if (!rc)
		rc = pick(p, lv, "pull", levels, 2, &v);
	if (rc)
		return rc;
	pl = grow(s->pulls, s->npulls, sizeof(*pl));
	if (!pl)
		return err_nomem(p);
	s->pulls = pl;
	pl[s->npulls].value = (int)v;
	pl[s->npulls].line = tok_dup(line);
	if (!pl[s->npulls++].line)
		return err_nomem(p);
	return add_ref(p, REF_PULL, p->cfg->nsims - 1, s->npulls - 1,
		       tok_pos(p, line), tok_pos(p, line));
}

/* --- [domain NAME] ------------------------------------------------------- */

static struct vg_config_domain *cur_dom(struct parser *p)
{
	return &p->cfg->domains[p->cfg->ndomains - 1];
}

static int domain_begin(struct parser *p, const struct tok *name)
{
	struct vg_config *cfg = p->cfg;
	struct vg_config_domain *d;
	int rc;

	rc = check_name(p, name, "domain name", VG_CONFIG_NAME_MAX);
	if (rc)
		return rc;
	d = grow(cfg->domains, cfg->ndomains, sizeof(*d));
	if (!d)
		return err_nomem(p);
	cfg->domains = d;
	memset(&d[cfg->ndomains], 0, sizeof(*d));
	d[cfg->ndomains].name = tok_dup(name);
	if (!d[cfg->ndomains].name)
		return err_nomem(p);
	if (vg_config_domain(cfg, d[cfg->ndomains].name)) {
		free(d[cfg->ndomains].name);
		return err_col(p, name->col, "duplicate section [domain %.*s]",
			       TOKF(name));
	}
	cfg->ndomains++;
	return 0;
}

static int domain_add_line(struct parser *p, const struct tok *chip,
			   const struct tok *line)
{
	struct vg_config_domain *d = cur_dom(p);
	struct vg_config_line *l;
	int rc;

	if (d->nlines == CFG_MAX_DOMAIN_LINES)
		return err_col(p, line->col, "more than %u lines",
			       CFG_MAX_DOMAIN_LINES);
	rc = check_name(p, line, "line", VG_GPIO_NAME_MAX);
	if (rc)
		return rc;
	l = grow(d->lines, d->nlines, sizeof(*l));
	if (!l)
		return err_nomem(p);
	d->lines = l;
	l = memset(&l[d->nlines++], 0, sizeof(*l));
	l->allow = VG_ALLOW_ALL;
	l->safe = VG_SAFE_INPUT;
	l->bias = VG_BIAS_AS_IS;
	l->drive = VG_DRIVE_PUSH_PULL;
	l->chip = tok_dup(chip);
	l->line = tok_dup(line);
	if (!l->chip || !l->line)
		return err_nomem(p);
	return add_ref(p, REF_HOST_LINE, p->cfg->ndomains - 1, d->nlines - 1,
		       tok_pos(p, line), tok_pos(p, chip));
}

/* CHIP L [L ...][, CHIP L ...] */
static int domain_lines(struct parser *p, const struct tok *key)
{
	const struct tok *chip, *t;
	int rc;

	(void)key;
	rc = expect(p, T_EQ, "'='", NULL);
	if (rc)
		return rc;
	if (!peek(p))
		return err_col(p, p->eol_col, "empty line set");
	for (;;) {
		rc = expect(p, T_WORD, "a chip", &chip);
		if (!rc)
			rc = check_name(p, chip, "chip name",
					VG_CONFIG_NAME_MAX);
		if (!rc && (!peek(p) || peek(p)->kind != T_WORD))
			rc = err_col(p, chip->col, "chip '%.*s' has no lines",
				     TOKF(chip));
		while (!rc && (t = peek(p)) && t->kind == T_WORD) {
			p->cur++;
			rc = domain_add_line(p, chip, t);
		}
		if (rc)
			return rc;
		if (!peek(p) || peek(p)->kind != T_COMMA)
			break;
		p->cur++;
	}
	p->opts_done = calloc(cur_dom(p)->nlines, 1);
	return p->opts_done ? 0 : err_nomem(p);
}

static int opt_name(struct parser *p, const struct tok *t,
		    struct vg_config_line *l)
{
	int rc = check_name(p, t, "name", VG_GPIO_NAME_MAX);

	if (rc)
		return rc;
	memcpy(l->name, t->s, t->len);
	l->name[t->len] = '\0';
	return add_ref(p, REF_GUEST_NAME, p->cfg->ndomains - 1,
		       (unsigned int)(l - cur_dom(p)->lines), tok_pos(p, t),
		       tok_pos(p, t));
}

static int opt_allow(struct parser *p, const struct tok *t,
		     struct vg_config_line *l)
{
	static const char *const words[] = {"in", "out", "irq"};
	static const unsigned int bits[] = {VG_ALLOW_IN, VG_ALLOW_OUT,
					    VG_ALLOW_IRQ};
	unsigned int i;
	int rc;

	l->allow = 0;
	for (;;) {
		rc = pick(p, t, "allow value", words, 3, &i);
		if (rc)
			return rc;
		if (l->allow & bits[i])
			return err_col(p, t->col, "'%s' listed twice",
				       words[i]);
		l->allow |= bits[i];
		if (!peek(p) || peek(p)->kind != T_COMMA)
			return 0;
		p->cur++;
		rc = expect(p, T_WORD, "in, out or irq", &t);
		if (rc)
			return rc;
	}
}

static int opt_safe(struct parser *p, const struct tok *t,
		    struct vg_config_line *l)
{
	static const char *const w[] = {"input", "low", "high"};
	static const enum vg_safe v[] = {VG_SAFE_INPUT, VG_SAFE_LOW,
					 VG_SAFE_HIGH};
	unsigned int i;
	int rc = pick(p, t, "safe state", w, 3, &i);

	if (!rc)
		l->safe = v[i];
	return rc;
}

static int opt_bias(struct parser *p, const struct tok *t,
		    struct vg_config_line *l)
{
	static const char *const w[] = {"as-is", "disabled", "pull-up",
					"pull-down"};
	static const enum vg_bias v[] = {VG_BIAS_AS_IS, VG_BIAS_DISABLED,
					 VG_BIAS_PULL_UP, VG_BIAS_PULL_DOWN};
	unsigned int i;
	int rc = pick(p, t, "bias", w, 4, &i);

	if (!rc)
		l->bias = v[i];
	return rc;
}

static int opt_drive(struct parser *p, const struct tok *t,
		     struct vg_config_line *l)
{
	static const char *const w[] = {"push-pull", "open-drain",
					"open-source"};
	static const enum vg_drive v[] = {
		VG_DRIVE_PUSH_PULL, VG_DRIVE_OPEN_DRAIN, VG_DRIVE_OPEN_SOURCE};
	unsigned int i;
	int rc = pick(p, t, "drive", w, 3, &i);

	if (!rc)
		l->drive = v[i];
	return rc;
}

static int opt_active_low(struct parser *p, const struct tok *t,
			  struct vg_config_line *l)
{
	static const char *const w[] = {"no", "yes"};
	unsigned int i;
	int rc = pick(p, t, "active-low value", w, 2, &i);

	if (!rc)
		l->active_low = i == 1;
	return rc;
}

static int opt_debounce(struct parser *p, const struct tok *t,
			struct vg_config_line *l)
{
	return parse_num(p, t, 0, UINT32_MAX, &l->debounce_us);
}

static const struct {
	const char *name;
	int (*parse)(struct parser *p, const struct tok *value,
		     struct vg_config_line *l);
} line_opts[] = {
	{"name", opt_name},	    {"allow", opt_allow},
	{"safe", opt_safe},	    {"bias", opt_bias},
	{"drive", opt_drive},	    {"active-low", opt_active_low},
	{"debounce", opt_debounce},
};

/* A guest index, or the line token as written in `lines`. */
static int line_ref(struct parser *p, const struct tok *ref, unsigned int *out)
{
	struct vg_config_domain *d = cur_dom(p);
	unsigned int i, found = 0;
	uint32_t idx;
	int rc;

	if (all_digits(ref->s, ref->len)) {
		rc = parse_num(p, ref, 0, d->nlines - 1, &idx);
		if (!rc)
			*out = idx;
		return rc;
	}
	for (i = 0; i < d->nlines; i++) {
		if (!tok_is(ref, d->lines[i].line))
			continue;
		if (found++)
			return err_col(p, ref->col,
				       "line '%.*s' is ambiguous, use its "
				       "guest index",
				       TOKF(ref));
		*out = i;
	}
	if (!found)
		return err_col(p, ref->col,
			       "no line '%.*s' in this domain's lines",
			       TOKF(ref));
	return 0;
}

/* line REF = OPT=VALUE ... */
static int domain_line(struct parser *p, const struct tok *key)
{
	const struct tok *ref, *name, *value;
	struct vg_config_line *l;
	unsigned int idx = 0, i, given = 0;
	int rc;

	(void)key;
	rc = expect(p, T_WORD, "a line", &ref);
	if (!rc)
		rc = line_ref(p, ref, &idx);
	if (rc)
		return rc;
	if (p->opts_done[idx])
		return err_col(p, ref->col, "options for line %u given twice",
			       idx);
	p->opts_done[idx] = 1;
	l = &cur_dom(p)->lines[idx];
	rc = expect(p, T_EQ, "'='", NULL);
	if (!rc && !peek(p))
		rc = err_col(p, p->eol_col, "expected an option");
	while (!rc && peek(p)) {
		rc = expect(p, T_WORD, "an option", &name);
		for (i = 0; !rc && i < VG_ARRAY_SIZE(line_opts); i++)
			if (tok_is(name, line_opts[i].name))
				break;
		if (!rc && i == VG_ARRAY_SIZE(line_opts))
			rc = err_col(p, name->col, "unknown option '%.*s'",
				     TOKF(name));
		if (!rc && (given & (1u << i)))
			rc = err_col(p, name->col, "duplicate option '%s'",
				     line_opts[i].name);
		given |= 1u << i;
		if (!rc)
			rc = expect(p, T_EQ, "'='", NULL);
		if (!rc)
			rc = expect(p, T_WORD, "a value", &value);
		if (!rc)
			rc = line_opts[i].parse(p, value, l);
	}
	return rc;
}

/* --- sections ------------------------------------------------------------ */

struct key_def {
	const char *name;
	int (*parse)(struct parser *p, const struct tok *key);
	bool repeatable;
};

/* keys[0] is required and must come first: the others depend on it. */
struct section_def {
	const char *name;
	int (*begin)(struct parser *p, const struct tok *name);
	const struct key_def *keys;
	unsigned int nkeys;
};

static const struct key_def sim_keys[] = {
	{"lines", sim_lines, false},
	{"names", sim_names, false},
	{"wire", sim_wire, true},
	{"pull", sim_pull, true},
};

static const struct key_def domain_keys[] = {
	{"lines", domain_lines, false},
	{"line", domain_line, true},
};

static const struct section_def section_defs[] = {
	{"sim", sim_begin, sim_keys, VG_ARRAY_SIZE(sim_keys)},
	{"domain", domain_begin, domain_keys, VG_ARRAY_SIZE(domain_keys)},
};

static int section_end(struct parser *p)
{
	const struct section_def *s = p->sect;

	if (s && !(p->seen & 1u))
		return err_at(p, p->sect_pos, "[%s %s] has no '%s'", s->name,
			      p->sect_name, s->keys[0].name);
	free(p->opts_done);
	p->opts_done = NULL;
	return 0;
}

/* [TYPE NAME] */
static int parse_header(struct parser *p)
{
	const struct tok *type, *name, *t;
	unsigned int i;
	int rc;

	rc = section_end(p);
	p->sect = NULL;
	p->cur = 1;
	if (!rc)
		rc = expect(p, T_WORD, "a section type", &type);
	if (!rc)
		rc = expect(p, T_WORD, "a section name", &name);
	if (!rc)
		rc = expect(p, T_RBRACK, "']'", NULL);
	if (!rc && (t = peek(p)) != NULL)
		rc = err_col(p, t->col, "unexpected '%.*s' after ']'", TOKF(t));
	if (rc)
		return rc;
	for (i = 0; i < VG_ARRAY_SIZE(section_defs); i++)
		if (tok_is(type, section_defs[i].name))
			break;
	if (i == VG_ARRAY_SIZE(section_defs))
		return err_col(p, type->col,
			       "unknown section type '%.*s' (expected sim or "
			       "domain)",
			       TOKF(type));
	rc = section_defs[i].begin(p, name);
	if (rc)
		return rc;
	p->sect = &section_defs[i];
	p->sect_pos = tok_pos(p, &p->toks[0]);
	p->sect_name = i == 0 ? cur_sim(p)->name : cur_dom(p)->name;
	p->seen = 0;
	return 0;
}

static int parse_entry(struct parser *p)
{
	const struct tok *key = &p->toks[0], *t;
	const struct section_def *s = p->sect;
	unsigned int i;
	int rc;

	if (key->kind != T_WORD)
		return err_col(p, key->col, "expected a key or a [section]");
	if (!s)
		return err_col(p, key->col, "key '%.*s' outside a section",
			       TOKF(key));
	for (i = 0; i < s->nkeys; i++)
		if (tok_is(key, s->keys[i].name))
			break;
	if (i == s->nkeys)
		return err_col(p, key->col, "unknown key '%.*s' in [%s]",
			       TOKF(key), s->name);
	if (i && !(p->seen & 1u))
		return err_col(p, key->col, "'%s' before '%s'", s->keys[i].name,
			       s->keys[0].name);
	if ((p->seen & (1u << i)) && !s->keys[i].repeatable)
		return err_col(p, key->col, "duplicate key '%s'",
			       s->keys[i].name);
	p->seen |= 1u << i;
	p->cur = 1;
	rc = s->keys[i].parse(p, key);
	if (!rc && (t = peek(p)) != NULL)
		rc = err_col(p, t->col, "unexpected '%.*s'", TOKF(t));
	return rc;
}

/* --- checks across sections, once the file is read ----------------------- */

/* A host line or guest name, for duplicate detection by sorting. */
struct dup_key {
	const char *a; /* chip, or guest name */
	const char *b; /* host line as written; NULL for a resolved sim line */
	int off; /* sim line offset, or domain index for guest names */
	unsigned int dom;
	struct pos pos;
	const char *shown; /* the line as written, for messages */
};

static int dup_cmp(const void *x, const void *y)
{
	const struct dup_key *k = x, *l = y;
	int c = strcmp(k->a, l->a);

	if (!c && k->b && l->b)
		c = strcmp(k->b, l->b);
	if (!c && k->off != l->off)
		c = k->off < l->off ? -1 : 1;
	return c ? c : pos_cmp(k->pos, l->pos);
}

/* The sorted pair whose second member comes first in the file, or -1. */
static int first_dup(struct dup_key *keys, unsigned int n)
{
	unsigned int i;
	int best = -1;

	qsort(keys, n, sizeof(*keys), dup_cmp);
	for (i = 1; i < n; i++) {
		struct dup_key a = keys[i - 1], b = keys[i];

		a.pos = b.pos;
		if (dup_cmp(&a, &b) == 0 &&
		    (best < 0 || pos_cmp(b.pos, keys[best].pos) < 0))
			best = (int)i;
	}
	return best;
}

static int check_sim_refs(struct parser *p)
{
	struct vg_config *cfg = p->cfg;
	unsigned char **marks;
	unsigned int i;
	int rc = 0;

	enum { DRIVEN = 1, PULLED = 2 };
	marks = calloc(cfg->nsims ? cfg->nsims : 1, sizeof(*marks));
	if (!marks)
		return err_nomem(p);
	for (i = 0; i < cfg->nsims; i++)
		if (!(marks[i] = calloc(cfg->sims[i].nlines, 1)))
			rc = err_nomem(p);
	for (i = 0; !rc && i < p->nrefs; i++) {
		const struct ref *r = &p->refs[i];
		struct vg_config_sim *own, *so, *si;
		struct vg_config_wire *w;
		int lo, li;

		if (r->kind != REF_WIRE && r->kind != REF_PULL)
			continue;
		own = &cfg->sims[r->sect];
		if (r->kind == REF_PULL) {
			const char *line = own->pulls[r->entry].line;

			lo = sim_line(own, line);
			if (lo < 0)
				rc = err_at(p, r->pos, "no line '%s' on sim %s",
					    line, own->name);
			else if (marks[r->sect][lo] & PULLED)
				rc = err_at(p, r->pos,
					    "pull for '%s' given "
					    "twice",
					    line);
			else
				marks[r->sect][lo] |= PULLED;
			continue;
		}
		w = &own->wires[r->entry];
		so = find_sim(cfg, w->out_chip);
		si = find_sim(cfg, w->in_chip);
		lo = so ? sim_line(so, w->out_line) : -1;
		li = si ? sim_line(si, w->in_line) : -1;
		if (!so || !si)
			rc = err_at(p, so ? r->pos2 : r->pos,
				    "no sim chip '%s'",
				    so ? w->in_chip : w->out_chip);
		else if (lo < 0 || li < 0)
			rc = err_at(p, lo < 0 ? r->pos : r->pos2,
				    "no line '%s' on sim %s",
				    lo < 0 ? w->out_line : w->in_line,
				    lo < 0 ? so->name : si->name);
		else if (so == si && lo == li)
			rc = err_at(p, r->pos2, "line '%s' wired to itself",
				    w->in_line);
		else if (marks[si - cfg->sims][li] & DRIVEN)
			rc = err_at(p, r->pos2, "'%s' already has a driver",
				    w->in_line);
		else
			marks[si - cfg->sims][li] |= DRIVEN;
	}
	for (i = 0; i < cfg->nsims; i++)
		free(marks[i]);
	free(marks);
	return rc;
}

static int check_domain_refs(struct parser *p)
{
	struct vg_config *cfg = p->cfg;
	struct dup_key *hosts, *names;
	unsigned int i, nh = 0, nn = 0;
	int rc = 0, d;

	hosts = calloc(p->nrefs ? p->nrefs : 1, sizeof(*hosts));
	names = calloc(p->nrefs ? p->nrefs : 1, sizeof(*names));
	if (!hosts || !names) {
		rc = err_nomem(p);
		goto out;
	}
	for (i = 0; !rc && i < p->nrefs; i++) {
		const struct ref *r = &p->refs[i];
		const struct vg_config_line *l;
		const struct vg_config_sim *s;
		int off = -1;

		if (r->kind != REF_HOST_LINE && r->kind != REF_GUEST_NAME)
			continue;
		l = &cfg->domains[r->sect].lines[r->entry];
		if (r->kind == REF_GUEST_NAME) {
			names[nn++] =
				(struct dup_key){l->name, NULL,	  (int)r->sect,
						 r->sect, r->pos, NULL};
			continue;
		}
		/* A sim chip is resolved now; other chips by the provider. */
		s = find_sim(cfg, l->chip);
		if (s && (off = sim_line(s, l->line)) < 0) {
			rc = err_at(p, r->pos, "no line '%s' on sim %s",
				    l->line, s->name);
			break;
		}
		hosts[nh++] = (struct dup_key){l->chip, s ? NULL : l->line,
					       off,	r->sect,
					       r->pos,	l->line};
		if (!l->name[0] && s && s->names && s->names[off])
			names[nn++] = (struct dup_key){s->names[off], NULL,
						       (int)r->sect,  r->sect,
						       r->pos,	      NULL};
	}
	if (rc)
		goto out;
	d = first_dup(hosts, nh);
	if (d >= 0) {
		const struct dup_key *a = &hosts[d - 1], *b = &hosts[d];

		if (a->dom == b->dom)
			rc = err_at(p, b->pos, "host line %s %s listed twice",
				    b->a, b->shown);
		else
			rc = err_at(p, b->pos,
				    "host line %s %s already in domain %s",
				    b->a, b->shown, cfg->domains[a->dom].name);
		goto out;
	}
	d = first_dup(names, nn);
	if (d >= 0)
		rc = err_at(p, names[d].pos, "duplicate guest name '%s'",
			    names[d].a);
out:
	free(hosts);
	free(names);
	return rc;
}

/* --- public API ------------------------------------------------------------ */

int vg_config_parse(const char *text, size_t len, const char *source,
		    struct vg_config **out, char *err, size_t errlen)
{
	struct parser p = {.source = source ? source : "config",
			   .err = err,
			   .errlen = err ? errlen : 0};
	const char *nul = len ? memchr(text, '\0', len) : NULL;
	size_t at = 0;
	int rc = 0;

	if (p.errlen)
		err[0] = '\0';
	p.cfg = calloc(1, sizeof(*p.cfg));
	if (!p.cfg)
		return err_nomem(&p);
	if (len > CFG_MAX_FILE) {
		p.lineno = 1;
		rc = err_col(&p, 1, "larger than %u bytes", CFG_MAX_FILE);
	}
	while (!rc && at < len) {
		const char *s = text + at, *nl = memchr(s, '\n', len - at);
		size_t n = nl ? (size_t)(nl - s) : len - at;

		p.lineno++;
		at += n + (nl != NULL);
		if (nul && nul >= s && nul < s + n) {
			rc = err_col(&p, (unsigned int)(nul - s) + 1,
				     "NUL byte in input");
			break;
		}
		if (n && s[n - 1] == '\r' && nl)
			n--; /* CRLF line end */
		rc = lex_line(&p, s, (unsigned int)n);
		if (rc || !p.ntoks)
			continue;
		if (p.toks[0].kind == T_LBRACK)
			rc = parse_header(&p);
		else
			rc = parse_entry(&p);
	}
	if (!rc)
		rc = section_end(&p);
	if (!rc)
		rc = check_sim_refs(&p);
	if (!rc)
		rc = check_domain_refs(&p);
	free(p.toks);
	free(p.refs);
	free(p.opts_done);
	if (rc) {
		vg_config_free(p.cfg);
		return rc;
	}
	*out = p.cfg;
	return 0;
}

int vg_config_load(const char *path, struct vg_config **out, char *err,
		   size_t errlen)
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
	rc = vg_config_parse(buf, len, path, out, err, errlen);
	free(buf);
	close(fd);
	return rc;
out:
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
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
