/* tokens.c - o200k_base token-count estimator (see tokens.h). */
#include "toon/tokens.h"

#include <stdint.h>

static int is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Cost of a run of ASCII letters: short words are one token; longer or
 * irregular ones split into pieces of about four to five letters. */
static size_t word_cost(const unsigned char *p, size_t n)
{
	size_t upper = 0;

	if (n <= 7)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z')
			upper++;
	if (upper > 1)
		return (n + 2) / 3;
	return (n + 4) / 5;
}

size_t sdb_tokens_estimate(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, t = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t st;

		if (c == ' ' && i + 1 < n && is_letter(p[i + 1])) {
			i++; /* " word" is one piece */
			c = p[i];
		}
		if (is_letter(c)) {
			st = i;
			while (i < n && is_letter(p[i]))
				i++;
			t += word_cost(p + st, i - st);
		} else if (is_digit(c)) {
			st = i;
			while (i < n && is_digit(p[i]))
				i++;
			t += (i - st + 2) / 3;
		} else if (c == '\n' || c == ' ' || c == '\t' || c == '\r') {
			/* a white-space run (newline plus indentation) */
			while (i < n && (p[i] == '\n' || p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
				i++;
			t += 1;
		} else if (c >= 0x80) {
			/* non-ASCII: about one token per code point, letters of
			 * Latin scripts merge with their word */
			st = i;
			i++;
			while (i < n && (p[i] & 0xC0) == 0x80)
				i++;
			t += (c < 0xE0) ? 0 : 1;
			if (c < 0xE0 && (st == 0 || !is_letter(p[st - 1])))
				t += 1;
		} else {
			/* punctuation: pairs such as '":' ',"' '{"' merge */
			st = i;
			while (i < n && !is_letter(p[i]) && !is_digit(p[i]) && p[i] < 0x80 &&
			       p[i] != ' ' && p[i] != '\n' && p[i] != '\t' && p[i] != '\r')
				i++;
			t += (i - st + 2) / 3;
		}
	}
	return t;
}
