#include <string.h>

#include "word_list.h"

bool word_listed(const char *word, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(word, list[i]))
			return true;
	return false;
}
