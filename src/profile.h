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
	/*
	 * Hold the client's bytes until the flow is classified. Profiles
	 * that act on HTTP need it; passthrough must not, or a client that
	 * sends one byte and waits would wait forever.
	 */
	int		 needs_sniff;
};

const struct profile *profile_find(const char *) NONNULL(1);
/* Iteration for --list-profiles: NULL past the end. */
const struct profile *profile_at(size_t);

#endif
