/*
 * A JSON object writer into a caller's fixed buffer: pure, no allocation.
 * Strings are escaped so that any bytes from the wire give valid JSON:
 * bytes outside printable ASCII become \u00XX, which keeps the log
 * lossless (each \u00XX is one original byte).
 */
#ifndef PROXYSIM_JSON_H
#define PROXYSIM_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "attrib.h"

struct jsonw {
	char	*buf;
	size_t	 cap;
	size_t	 len;
	int	 need_comma;
	int	 overflow;	/* output was cut: the object is invalid */
};

void	jsonw_init(struct jsonw *, char *, size_t) NONNULL(1, 2);
void	jsonw_begin(struct jsonw *) NONNULL(1);
void	jsonw_end(struct jsonw *) NONNULL(1);
void	jsonw_str(struct jsonw *, const char *, const char *) NONNULL(1, 2);
void	jsonw_bytes(struct jsonw *, const char *, const void *, size_t)
	    NONNULL(1, 2);
void	jsonw_u64(struct jsonw *, const char *, uint64_t) NONNULL(1, 2);
void	jsonw_i64(struct jsonw *, const char *, int64_t) NONNULL(1, 2);
void	jsonw_bool(struct jsonw *, const char *, int) NONNULL(1, 2);
void	jsonw_double(struct jsonw *, const char *, double, int) NONNULL(1, 2);
/* Appends a key whose value is a JSON text the caller built. */
void	jsonw_raw(struct jsonw *, const char *, const char *) NONNULL(1, 2, 3);
/* The finished text, or NULL if it did not fit. */
const char *jsonw_text(const struct jsonw *) NONNULL(1);

#endif
