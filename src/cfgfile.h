/*
 * The configuration file: INI (inih). Keys live in a [proxysimd] section
 * (or before any section) and mirror the long options. A key the command
 * line already set is ignored, so the command line wins. [profile NAME]
 * sections define profiles: summary, source and behaviour lines. Errors
 * name file:line.
 */
#ifndef PROXYSIM_CFGFILE_H
#define PROXYSIM_CFGFILE_H

#include <stddef.h>

#include "settings.h"

struct profile_set;

/*
 * Parses text as if read from `name`: [proxysimd] settings into s (NULL
 * for a file of personas, where they are refused) and [profile NAME]
 * sections into ps (NULL refuses them). 0, or -1 with "name:line: why".
 */
int	cfgfile_parse_string(const char *text, const char *name,
	    struct settings *s, struct profile_set *ps, char *err,
	    size_t errlen) NONNULL(1, 2, 5) WUNRES;
/* Reads and parses a file. 0, or -1 with a message in err. */
int	cfgfile_load(const char *path, struct settings *s,
	    struct profile_set *ps, char *err, size_t errlen)
	    NONNULL(1, 4) WUNRES;

#endif
