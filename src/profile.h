/*
 * Misbehaviour profiles: named, immutable descriptions of what the
 * middlebox does to a flow. This foundation ships only `passthrough`;
 * the misbehaviour engine adds its behaviours here. Pure code.
 */
#ifndef PROXYSIM_PROFILE_H
#define PROXYSIM_PROFILE_H

#include <stddef.h>

#include "attrib.h"

struct profile {
	const char	*name;
	const char	*summary;	/* one line for --list-profiles */
};

const struct profile *profile_find(const char *) NONNULL(1);
/* Iteration for --list-profiles: NULL past the end. */
const struct profile *profile_at(size_t);

#endif
