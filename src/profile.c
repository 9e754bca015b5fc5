/* The profile table; see profile.h. */
#include "config.h"

#include <string.h>

#include "profile.h"

static const struct profile profile_table[] = {
	{ "passthrough", "relay every flow untouched, byte for byte", 0 },
};

const struct profile *
profile_find(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(profile_table); i++)
		if (strcmp(profile_table[i].name, name) == 0)
			return &profile_table[i];
	return NULL;
}

const struct profile *
profile_at(size_t i)
{
	return i < nitems(profile_table) ? &profile_table[i] : NULL;
}
