/*
 * Escapes untrusted bytes for the human log: printable ASCII stays,
 * everything else becomes a C-style escape (\r, \n, \t, \\, \xNN).
 * Pure code.
 */
#ifndef PROXYSIM_ESCAPE_H
#define PROXYSIM_ESCAPE_H

#include <stddef.h>

#include "attrib.h"

/*
 * Writes at most dstlen-1 characters and a NUL; stops before an escape
 * that would not fit whole. Returns the number of input bytes consumed.
 */
size_t	escape_bytes(char *dst, size_t dstlen, const void *src, size_t srclen)
	    NONNULL(1);

#endif
