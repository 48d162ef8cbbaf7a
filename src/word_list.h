/* Whether a word is one of a fixed list (token types, keyscripts, keys). */
#ifndef WORD_LIST_H
#define WORD_LIST_H

#include <stdbool.h>
#include <stddef.h>

#define WORD_LIST_LEN(a) (sizeof(a) / sizeof((a)[0]))

bool word_listed(const char *word, const char *const *list, size_t n);

#endif
