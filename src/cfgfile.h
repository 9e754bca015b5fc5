/*
 * The configuration file: INI (inih). Keys live in a [proxysimd] section
 * (or before any section) and mirror the long options. A key the command
 * line already set is ignored, so the command line wins. Errors name
 * file:line.
 */
#ifndef PROXYSIM_CFGFILE_H
#define PROXYSIM_CFGFILE_H

#include <stddef.h>

#include "settings.h"

/* Parses text as if read from `name`. 0, or -1 with "name:line: why". */
int	cfgfile_parse_string(const char *text, const char *name,
	    struct settings *, char *err, size_t errlen)
	    NONNULL(1, 2, 3, 4) WUNRES;
/* Reads and parses a file. 0, or -1 with a message in err. */
int	cfgfile_load(const char *path, struct settings *, char *err,
	    size_t errlen) NONNULL(1, 2, 3) WUNRES;

#endif
