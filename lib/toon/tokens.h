/*
 * tokens.h - a fast estimate of how many LLM tokens a text costs.
 *
 * The estimator approximates OpenAI's o200k_base tokenizer (GPT-4o)
 * without its 200k-entry vocabulary: it splits text the way o200k's
 * pre-tokenizer does (letter runs with one leading space or punctuation
 * mark, digit runs in groups of three, punctuation runs, white-space runs)
 * and charges each piece by class and length. Its error against the real
 * tokenizer is measured by scripts/bench/toon.sh (gpt-tokenizer from npm).
 */
#ifndef SDB_TOKENS_H
#define SDB_TOKENS_H

#include <stddef.h>

/* Estimated o200k_base token count of p[0..n) (UTF-8). */
size_t sdb_tokens_estimate(const char *p, size_t n);

#endif
