/*
 * opt.h - the one option parser of the sochdb-* tools, table-driven in the
 * manner of git's parse-options.
 *
 * A command describes its options in a table of struct opt; opt_next()
 * walks argv and returns the id of each option found (with its value) or
 * OPT_ARG for each argument, until OPT_EOF. It knows the house rules
 * (DESIGN.md "Conventions for all six"):
 *   - options and arguments mix in any order until "--" (GNU permutation);
 *   - "--name=value" and "--name value", "-xVALUE" and "-x VALUE", bundled
 *     short flags ("-qe"), unambiguous abbreviations of long names;
 *   - where a value is expected the next word is the value, even "-1"; an
 *     argument that looks like a negative number ("-1", "-0.5") is an
 *     argument, not an unknown option;
 *   - "-h"/"--help" prints the command's help (its head plus one line per
 *     option, generated from the table) on stdout and exits 0;
 *   - the options that stood before the subcommand (cli_dispatch) come
 *     first, as if written right after it; those the command does not
 *     take are ignored;
 *   - an unknown option, a missing or unwanted value is a usage error:
 *     one line and "Try 'sochdb-X CMD -h' for more information.", exit 2.
 * -q/--quiet, -v/--verbose, --progress and --no-progress set cli_verbosity
 * and cli_progress themselves; opt_next never returns them.
 *
 * List-valued options (DESIGN.md: "comma-separated and repeatable"): an
 * entry whose id has OPT_LIST or'd in ({ K_X | OPT_LIST, ... }) takes a
 * list. Each occurrence's value is one or more items separated by commas;
 * an empty item ("", "a,", ",a", "a,,b") is a usage error that names the
 * option as written ("option '--x': empty item in 'a,,b'"). opt_next
 * returns the id without OPT_LIST and the occurrence's value whole, once
 * per occurrence; the command appends it to its list with opt_list_add,
 * so "--x a,b --x c" (or "--x=a,b", "-xa,b", or one of them before the
 * subcommand) gives the items a, b, c in that order. An item that must
 * hold a comma is spelled as the option's own rules allow (sochdb-kv -e:
 * \x2c); the parser knows no escape.
 */
#ifndef SDB_OPT_H
#define SDB_OPT_H

#include <stddef.h>

struct opt {
	int id;            /* > 0: returned by opt_next; 0 ends the table */
	char shrt;         /* 'x' for -x, or 0 */
	const char *lng;   /* "name" for --name, or NULL */
	const char *arg;   /* the value's placeholder ("FILE"); NULL: no value */
	const char *help;  /* lines of help; NULL: not listed (an alias) */
};

/* Or'd into a table entry's id: a list-valued option (above). */
#define OPT_LIST 0x400000

/* Ids the parser itself handles, and two for a table's help only. */
enum {
	OPT_EOF = -1,       /* opt_next: no more */
	OPT_ARG = -2,       /* opt_next: an argument, in *val */
	OPT_QUIET = 0x7f00, /* cli_verbosity = 0, cli_progress = 0 */
	OPT_VERBOSE,        /* cli_verbosity++ */
	OPT_PROGRESS,       /* cli_progress = 1 */
	OPT_NO_PROGRESS,    /* cli_progress = 0 */
	OPT_TEXT,           /* a help line printed as it is (help only) */
};

#define OPT_END { 0, 0, NULL, NULL, NULL }
/* A literal help line, for a layout the generator does not make. */
#define OPT_LINE(text) { OPT_TEXT, 0, NULL, NULL, text }

struct opt_parser {
	const struct opt *tab;
	const char *head;  /* the help before the option lines */
	int argc;
	char **argv;
	int i;             /* next word of argv */
	int pre;           /* next of the options before the subcommand */
	const char *bundle;/* the rest of a bundle of short options */
	int only_args;     /* after "--" */
	int stop_at_arg;   /* cli_dispatch: the first argument ends options */
	int head_only;     /* cli_dispatch: -h prints head alone */
	int scanned;       /* argv was searched for -h */
	const struct opt *cur; /* the option just returned */
};

/* Column where the help of an option starts (26; sochdb-bulk 30). */
extern int opt_help_column;

/*
 * argv[0] is the command's name ("put"); head is the start of its help
 * ("usage: sochdb-kv put [options] KEY VALUE|-\nStores VALUE ...\n").
 */
void opt_init(struct opt_parser *p, const struct opt *tab, const char *head,
	      int argc, char **argv);
/* The next option's id (*val: its value or NULL), OPT_ARG or OPT_EOF. */
int opt_next(struct opt_parser *p, const char **val);

/* cli_dispatch: remembers an option that stood before the subcommand. */
void opt_keep_pre(const struct opt *o, const char *val);

/*
 * The items of a list-valued option, in the order given. The command owns
 * it: start from OPT_LIST_INIT, append each occurrence's value with
 * opt_list_add, release with opt_list_free (which leaves it empty and
 * reusable). item[0..n) are NUL-terminated copies, owned by the list (the
 * argv strings are not kept); item is NULL while n is 0.
 */
struct opt_list {
	char **item;
	size_t n;
	size_t cap;
};
#define OPT_LIST_INIT { NULL, 0, 0 }

/* Splits val at commas and appends the items (copies) to l; opt names the
 * option in the usage error for an empty item ("--prefix", "-x"). Out of
 * memory: exit 3. */
void opt_list_add(struct opt_list *l, const char *opt, const char *val);
void opt_list_free(struct opt_list *l);

#endif
