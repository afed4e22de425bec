/* opt.c - the option parser of the tools (see opt.h). */
#include "opt.h"
#include "cli.h"
#include "util/array.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int opt_help_column = 26;

/* The options that stood before the subcommand, in order. */
#define MAX_PRE 32
static struct {
	const struct opt *o;
	const char *val;
} pre[MAX_PRE];
static int npre;

void opt_keep_pre(const struct opt *o, const char *val)
{
	if (npre == MAX_PRE)
		die_usage("too many options before the subcommand");
	pre[npre].o = o;
	pre[npre].val = val;
	npre++;
}

void opt_init(struct opt_parser *p, const struct opt *tab, const char *head,
	      int argc, char **argv)
{
	memset(p, 0, sizeof(*p));
	p->tab = tab;
	p->head = head;
	p->argc = argc;
	p->argv = argv;
	p->i = 1;
}

static int is_option(const struct opt *o)
{
	return o->id != OPT_TEXT && (o->shrt || o->lng);
}

static const struct opt *find_short(const struct opt *tab, char c)
{
	for (const struct opt *o = tab; o->id; o++)
		if (is_option(o) && o->shrt == c)
			return o;
	return NULL;
}

/* The entry of --name (n bytes): exact, else the one option that the
 * name abbreviates (aliases of one id count once). */
static const struct opt *find_long(const struct opt *tab, const char *name,
				   size_t n)
{
	const struct opt *hit = NULL;
	int ambiguous = 0;

	for (const struct opt *o = tab; o->id; o++) {
		if (!is_option(o) || !o->lng || strncmp(o->lng, name, n))
			continue;
		if (!o->lng[n])
			return o;
		if (hit && hit->id != o->id)
			ambiguous = 1;
		if (!hit)
			hit = o;
	}
	if (ambiguous)
		die_usage("ambiguous option '--%.*s'", (int)n, name);
	return hit;
}

/* "-1", "-0.5", "-.5": an argument where the table has no digit option. */
static int negative_number(const struct opt *tab, const char *a)
{
	const char *d = a + 1;

	if (*d == '.')
		d++;
	return *d >= '0' && *d <= '9' && !find_short(tab, a[1]);
}

/* Applies an option the parser handles itself; 1 when it was one. */
static int builtin(const struct opt *o)
{
	switch (o->id) {
	case OPT_QUIET: cli_verbosity = 0; cli_progress = 0; return 1;
	case OPT_VERBOSE: cli_verbosity++; return 1;
	case OPT_PROGRESS: cli_progress = 1; return 1;
	case OPT_NO_PROGRESS: cli_progress = 0; return 1;
	default: return 0;
	}
}

/* 1 when the list v has an empty item: "", "a,", ",a", "a,,b". */
static int empty_item(const char *v)
{
	const char *c;

	for (c = v;; c++) {
		const char *e = strchr(c, ',');
		if ((e ? e : c + strlen(c)) == c)
			return 1;
		if (!e)
			return 0;
		c = e;
	}
}

static void check_list(const char *opt, const char *v)
{
	if (empty_item(v))
		die_usage("option '%s': empty item in '%s' (a list is ITEM[,ITEM...])",
			  opt, v);
}

void opt_list_add(struct opt_list *l, const char *opt, const char *val)
{
	const char *c = val;

	check_list(opt, val);
	for (;;) {
		const char *e = strchr(c, ',');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		char *item;
		if (sdb_grow((void **)&l->item, &l->cap, l->n + 1, sizeof(*l->item), 4) ||
		    !(item = malloc(n + 1)))
			die(EXIT_FAILURE_RT, "out of memory");
		memcpy(item, c, n);
		item[n] = 0;
		l->item[l->n++] = item;
		if (!e)
			return;
		c = e + 1;
	}
}

void opt_list_free(struct opt_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->item[i]);
	free(l->item);
	l->item = NULL;
	l->n = l->cap = 0;
}

/* The id opt_next returns for entry o with value v: a list's value is
 * checked here, so its error comes in the order of the words. */
static int found(const struct opt *o, const char *v)
{
	char name[64];

	if (!(o->id & OPT_LIST) || !v)
		return o->id & ~OPT_LIST;
	if (o->lng)
		snprintf(name, sizeof(name), "--%s", o->lng);
	else
		snprintf(name, sizeof(name), "-%c", o->shrt);
	check_list(name, v);
	return o->id & ~OPT_LIST;
}

/* Prints head and the table's option lines to f. */
static void opt_help(FILE *f, const char *head, const struct opt *tab)
{
	fputs(head, f);
	for (const struct opt *o = tab; o->id; o++) {
		const char *h = o->help, *nl;
		int n;
		if (!h)
			continue;
		if (o->id == OPT_TEXT) {
			fprintf(f, "%s\n", h);
			continue;
		}
		if (o->shrt)
			n = fprintf(f, "  -%c%s", o->shrt, o->lng ? ", " : "");
		else
			n = fprintf(f, "      ");
		if (o->lng)
			n += fprintf(f, "--%s", o->lng);
		if (o->arg)
			n += fprintf(f, " %s", o->arg);
		fprintf(f, "%*s", n < opt_help_column ? opt_help_column - n : 1, "");
		/* the help's further lines start at the column too */
		while ((nl = strchr(h, '\n'))) {
			fprintf(f, "%.*s\n%*s", (int)(nl - h), h, opt_help_column, "");
			h = nl + 1;
		}
		fprintf(f, "%s\n", h);
	}
}

static void help_exit(const struct opt_parser *p)
{
	if (p->head_only)
		fputs(p->head, stdout);
	else
		opt_help(stdout, p->head, p->tab);
	exit(cli_finish(EXIT_OK));
}

/* The value of short option o at the bundle's rest, or the next word. */
static const char *short_value(struct opt_parser *p, const struct opt *o)
{
	const char *v;

	if (p->bundle && *p->bundle) {
		v = p->bundle;
		p->bundle = NULL;
		return v;
	}
	p->bundle = NULL;
	if (p->i >= p->argc)
		die_usage("option '-%c' requires a value", o->shrt);
	return p->argv[p->i++];
}

/* The next of the options that stood before the subcommand that this
 * command takes (the others are not its business). */
static int next_pre(struct opt_parser *p, const char **val)
{
	while (p->pre < npre) {
		const struct opt *k = pre[p->pre++].o, *o = NULL;
		const char *v = pre[p->pre - 1].val;
		if (k->lng)
			for (o = p->tab; o->id && !(is_option(o) && o->lng &&
						    !strcmp(o->lng, k->lng)); o++)
				;
		else
			o = find_short(p->tab, k->shrt);
		if (!o || !o->id || builtin(o))
			continue;
		p->cur = o;
		*val = v;
		return found(o, v);
	}
	return 0;
}

/* -h or --help anywhere before "--" wins over any error in the words
 * (their values skipped, so "--prefix -h" is no request for help). */
static void scan_help(const struct opt_parser *p)
{
	for (int i = p->i; i < p->argc; i++) {
		const char *a = p->argv[i], *eq;
		const struct opt *o;
		if (a[0] != '-' || !a[1])
			continue;
		if (!strcmp(a, "--"))
			return;
		if (!strcmp(a, "--help"))
			help_exit(p);
		if (a[1] == '-') {
			eq = strchr(a + 2, '=');
			for (o = p->tab; o->id; o++)
				if (is_option(o) && o->lng && !strcmp(o->lng, a + 2))
					break;
			if (o->id && o->arg && !eq)
				i++;
			continue;
		}
		for (const char *c = a + 1; *c; c++) {
			if (*c == 'h')
				help_exit(p);
			if ((o = find_short(p->tab, *c)) && o->arg) {
				if (!c[1])
					i++;
				break;
			}
		}
	}
}

int opt_next(struct opt_parser *p, const char **val)
{
	const struct opt *o;
	const char *a;
	int id;

	*val = NULL;
	if (!p->scanned) {
		p->scanned = 1;
		if (!p->stop_at_arg)
			scan_help(p);
	}
	if (!p->stop_at_arg && (id = next_pre(p, val)))
		return id;
again:
	if (p->bundle && *p->bundle) {
		char c = *p->bundle++;
		if (c == 'h')
			help_exit(p);
		if (!(o = find_short(p->tab, c)))
			die_usage("unknown option '-%c'", c);
		p->cur = o;
		if (o->arg)
			*val = short_value(p, o);
		if (builtin(o) && !p->stop_at_arg)
			goto again;
		return found(o, *val);
	}
	p->bundle = NULL;
	if (p->i >= p->argc)
		return OPT_EOF;
	a = p->argv[p->i++];
	if (p->only_args || a[0] != '-' || !a[1] || negative_number(p->tab, a)) {
		if (p->stop_at_arg)
			p->only_args = 1;
		*val = a;
		return OPT_ARG;
	}
	if (a[1] != '-') {
		p->bundle = a + 1;
		goto again;
	}
	if (!a[2]) {
		p->only_args = 1;
		goto again;
	}
	{
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t n = eq ? (size_t)(eq - name) : strlen(name);
		if (n == 4 && !strncmp(name, "help", 4))
			help_exit(p);
		if (!(o = find_long(p->tab, name, n)))
			die_usage("unknown option '--%.*s'", (int)n, name);
		p->cur = o;
		if (!o->arg && eq)
			die_usage("option '--%s' takes no value", o->lng);
		if (o->arg) {
			if (eq)
				*val = eq + 1;
			else if (p->i < p->argc)
				*val = p->argv[p->i++];
			else
				die_usage("option '%s' requires a value", a);
		}
	}
	if (builtin(o) && !p->stop_at_arg)
		goto again;
	return found(o, *val);
}
