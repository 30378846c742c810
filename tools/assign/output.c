// SPDX-License-Identifier: BSD-3-Clause
/*
 * vgpio-assign: what it prints: list, show, check and status, as text or
 * as one JSON document.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "assign.h"
#include "cfgparse.h"

static void json_strn(const char *s, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_str(const char *s)
{
	json_strn(s, strlen(s));
}

/* "key": with a comma before it unless it is the first of its object. */
static void json_key(bool *first, const char *key)
{
	if (!*first)
		putchar(',');
	*first = false;
	json_str(key);
	putchar(':');
}

static void json_allow(unsigned int allow)
{
	static const char *const words[] = {"in", "out", "irq"};
	static const unsigned int bits[] = {VG_ALLOW_IN, VG_ALLOW_OUT,
					    VG_ALLOW_IRQ};
	bool first = true;
	unsigned int i;

	putchar('[');
	for (i = 0; i < VG_ARRAY_SIZE(bits); i++) {
		if (!(allow & bits[i]))
			continue;
		if (!first)
			putchar(',');
		first = false;
		json_str(words[i]);
	}
	putchar(']');
}

int vg_cmd_list(const struct vg_assign *t)
{
	struct vg_config *cfg;
	struct vg_ptext text;
	unsigned int i;
	int rc = vg_policy_load(t, &text, &cfg);

	if (rc)
		return rc;
	if (t->json) {
		fputs("{\"policy\":", stdout);
		json_str(t->policy);
		fputs(",\"domains\":[", stdout);
	}
	for (i = 0; i < cfg->ndomains; i++) {
		const struct vg_config_domain *d = &cfg->domains[i];

		if (!t->json) {
			printf("%s %u\n", d->name, d->nlines);
			continue;
		}
		printf("%s{\"name\":", i ? "," : "");
		json_str(d->name);
		printf(",\"lines\":%u}", d->nlines);
	}
	if (t->json)
		puts("]}");
	vg_config_free(cfg);
	free(text.s);
	return RC_OK;
}

/* The guest's name for @l: given, or the sim line's; "": the host's. */
static const char *guest_name(const struct vg_config *cfg,
			      const struct vg_config_line *l)
{
	const struct vg_config_sim *s = vg_cfgsim_find(cfg, l->chip);
	int off;

	if (l->name[0] || !s || !s->names)
		return l->name;
	off = vg_cfgsim_line(s, l->line);
	return off >= 0 && s->names[off] ? s->names[off] : "";
}

static void show_line(const struct vg_assign *t, const struct vg_config *cfg,
		      unsigned int i, const struct vg_config_line *l)
{
	static const char *const safe[] = {"input", "low", "high"};
	static const char *const bias[] = {"as-is", "disabled", "pull-up",
					   "pull-down"};
	static const char *const drive[] = {"push-pull", "open-drain",
					    "open-source"};
	const char *name = guest_name(cfg, l);
	char allow[32];
	bool first = true;

	vg_acl_allow_str(l->allow, allow, sizeof(allow));
	if (!t->json) {
		printf("%u %s %s name=%s allow=%s safe=%s bias=%s drive=%s "
		       "active-low=%s debounce=%u sim=%s\n",
		       i, l->chip, l->line, name[0] ? name : "-", allow,
		       safe[l->safe], bias[l->bias], drive[l->drive],
		       l->active_low ? "yes" : "no",
		       (unsigned int)l->debounce_us,
		       vg_cfgsim_find(cfg, l->chip) ? "yes" : "no");
		return;
	}
	putchar('{');
	json_key(&first, "index");
	printf("%u", i);
	json_key(&first, "chip");
	json_str(l->chip);
	json_key(&first, "line");
	json_str(l->line);
	json_key(&first, "name");
	json_str(name);
	json_key(&first, "allow");
	json_allow(l->allow);
	json_key(&first, "safe");
	json_str(safe[l->safe]);
	json_key(&first, "bias");
	json_str(bias[l->bias]);
	json_key(&first, "drive");
	json_str(drive[l->drive]);
	json_key(&first, "active_low");
	fputs(l->active_low ? "true" : "false", stdout);
	json_key(&first, "debounce_us");
	printf("%u", (unsigned int)l->debounce_us);
	json_key(&first, "sim");
	fputs(vg_cfgsim_find(cfg, l->chip) ? "true" : "false", stdout);
	putchar('}');
}

int vg_cmd_show(const struct vg_assign *t, const char *domain)
{
	const struct vg_config_domain *d;
	struct vg_config *cfg;
	struct vg_ptext text;
	unsigned int i;
	int rc = vg_policy_load(t, &text, &cfg);

	if (rc)
		return rc;
	d = vg_config_domain(cfg, domain);
	if (!d) {
		vg_assign_msg("domain %s: not in %s", domain, t->policy);
		rc = RC_INVALID;
		goto out;
	}
	if (t->json) {
		fputs("{\"domain\":", stdout);
		json_str(d->name);
		fputs(",\"lines\":[", stdout);
	}
	for (i = 0; i < d->nlines; i++) {
		if (t->json && i)
			putchar(',');
		show_line(t, cfg, i, &d->lines[i]);
	}
	if (t->json)
		puts("]}");
out:
	vg_config_free(cfg);
	free(text.s);
	return rc;
}

static void check_problem(const struct vg_assign *t, unsigned int n,
			  const char *domain, const struct vg_config_line *l,
			  const char *why)
{
	bool first = true;

	if (!t->json) {
		if (domain)
			printf("%s: domain %s: %s\n", t->policy, domain, why);
		else
			printf("%s\n", why);
		return;
	}
	printf("%s{", n ? "," : "");
	if (domain) {
		json_key(&first, "domain");
		json_str(domain);
		json_key(&first, "chip");
		json_str(l->chip);
		json_key(&first, "line");
		json_str(l->line);
	}
	json_key(&first, "message");
	json_str(why);
	putchar('}');
}

int vg_cmd_check(const struct vg_assign *t)
{
	struct vg_config *cfg = NULL;
	struct vg_ptext text;
	char why[ASSIGN_ERR_MAX];
	unsigned int i, k, nprob = 0, nprobed = 0;
	int rc = vg_ptext_read(t->policy, false, &text);

	if (rc) {
		vg_assign_msg("%s: %s", t->policy, strerror(-rc));
		return RC_FAIL;
	}
	if (t->json) {
		fputs("{\"policy\":", stdout);
		json_str(t->policy);
		fputs(",\"problems\":[", stdout);
	}
	if (vg_config_parse(text.s, text.len, t->policy, &cfg, why,
			    sizeof(why)))
		check_problem(t, nprob++, NULL, NULL, why);
	for (i = 0; cfg && i < cfg->ndomains; i++) {
		const struct vg_config_domain *d = &cfg->domains[i];

		for (k = 0; k < d->nlines; k++) {
			if (vg_cfgsim_find(cfg, d->lines[k].chip))
				continue;
			nprobed++;
			if (vg_line_probe(d->name, &d->lines[k], why,
					  sizeof(why)))
				check_problem(t, nprob++, d->name, &d->lines[k],
					      why);
		}
	}
	if (t->json)
		printf("],\"ok\":%s,\"domains\":%u,\"probed\":%u}\n",
		       nprob ? "false" : "true", cfg ? cfg->ndomains : 0,
		       nprobed);
	else if (nprob)
		printf("%s: %u problem(s)\n", t->policy, nprob);
	else
		printf("%s: ok (%u domain(s), %u host line(s) probed)\n",
		       t->policy, cfg->ndomains, nprobed);
	vg_config_free(cfg);
	free(text.s);
	return nprob ? RC_FAIL : RC_OK;
}

/* One "key value" of a status line as a JSON member. */
static void status_pair(bool *first, const char *key, size_t klen,
			const char *val, size_t vlen)
{
	size_t i;

	if (!*first)
		putchar(',');
	*first = false;
	if (klen == 4 && !memcmp(key, "line", 4))
		json_str("index");
	else if (klen == 6 && !memcmp(key, "domain", 6))
		json_str("name");
	else if (klen == 5 && !memcmp(key, "lines", 5))
		json_str("nlines"); /* "lines" holds the line objects */
	else
		json_strn(key, klen);
	putchar(':');
	if (vg_cfg_is_digits(val, vlen) && vlen <= 19) {
		printf("%.*s", (int)vlen, val);
	} else if (vlen == 3 && !memcmp(val, "yes", 3)) {
		fputs("true", stdout);
	} else if (vlen == 2 && !memcmp(val, "no", 2)) {
		fputs("false", stdout);
	} else if (klen == 4 && !memcmp(key, "name", 4) && vlen == 1 &&
		   val[0] == '-') {
		json_str(""); /* unnamed */
	} else if (klen == 5 && !memcmp(key, "allow", 5)) {
		putchar('[');
		for (i = 0; i < vlen;) {
			size_t n = strcspn(val + i, ",");

			n = n > vlen - i ? vlen - i : n;
			if (i)
				putchar(',');
			json_strn(val + i, n);
			i += n + 1;
		}
		putchar(']');
	} else {
		json_strn(val, vlen);
	}
}

/*
 * vgpiod's status reply as JSON: "domain NAME key value ..." lines, each
 * followed by its "  line I key value ..." lines. Every pair becomes a
 * member, so fields vgpiod adds later appear too.
 */
void vg_status_json(char *reply)
{
	unsigned int ndom = 0, nline = 0;
	char *line, *save = NULL;

	fputs("{\"domains\":[", stdout);
	for (line = strtok_r(reply, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *w = line + strspn(line, " ");
		bool is_dom = !strncmp(w, "domain ", 7), first = true;

		if (!is_dom && (!ndom || strncmp(w, "line ", 5)))
			continue; /* not a line this version knows */
		if (is_dom)
			printf("%s{", ndom++ ? "]}," : "");
		else
			printf("%s{", nline++ ? "," : "");
		while (*w) {
			size_t kl = strcspn(w, " "), vl;
			const char *k = w;

			w += kl;
			w += strspn(w, " ");
			vl = strcspn(w, " ");
			status_pair(&first, k, kl, w, vl);
			w += vl;
			w += strspn(w, " ");
		}
		if (is_dom) {
			fputs(",\"lines\":[", stdout);
			nline = 0;
		} else {
			putchar('}');
		}
	}
	printf("%s]}\n", ndom ? "]}" : "");
}
