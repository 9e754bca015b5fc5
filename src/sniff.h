/*
 * Classification of a flow from its first client bytes: a TLS
 * ClientHello record, an HTTP/1 request line, or anything else. Pure
 * code; the misbehaviour engine hangs off its verdict.
 */
#ifndef PROXYSIM_SNIFF_H
#define PROXYSIM_SNIFF_H

#include <stddef.h>

#include "attrib.h"

enum sniff_proto {
	SNIFF_NEED_MORE = 0,	/* too few bytes to tell */
	SNIFF_HTTP,
	SNIFF_TLS,
	SNIFF_OTHER
};

enum sniff_proto sniff_classify(const void *, size_t);
const char	*sniff_name(enum sniff_proto);

#endif
