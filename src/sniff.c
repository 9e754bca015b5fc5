/* First-bytes classifier; see sniff.h. */
#include "config.h"

#include "h1.h"
#include "sniff.h"

/*
 * The longest method we wait for before giving up on HTTP. Registered
 * methods are at most 17 characters (e.g. VERSION-CONTROL); tokens that
 * long are still HTTP by RFC 9110's grammar, but nothing real sends them.
 */
#define SNIFF_MAX_METHOD	24

static enum sniff_proto
sniff_tls(const unsigned char *p, size_t n)
{
	/*
	 * A TLS record header (RFC 8446 5.1): type 22 (handshake), legacy
	 * version 3.x, then a handshake message of type 1 (ClientHello).
	 */
	if (n < 2)
		return SNIFF_NEED_MORE;
	if (p[1] != 0x03)
		return SNIFF_OTHER;
	if (n < 3)
		return SNIFF_NEED_MORE;
	if (p[2] > 0x04)
		return SNIFF_OTHER;
	if (n < 6)
		return SNIFF_NEED_MORE;
	return p[5] == 0x01 ? SNIFF_TLS : SNIFF_OTHER;
}

static enum sniff_proto
sniff_http(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i <= SNIFF_MAX_METHOD; i++) {
		if (p[i] == ' ')
			break;
		if (!h1_tchar(p[i]))
			return SNIFF_OTHER;
	}
	if (i > SNIFF_MAX_METHOD)
		return SNIFF_OTHER;
	if (i == n)
		return SNIFF_NEED_MORE;
	if (i == 0)
		return SNIFF_OTHER;
	/* The request target starts with '/', '*', a scheme or authority. */
	if (i + 1 == n)
		return SNIFF_NEED_MORE;
	return p[i + 1] > 0x20 && p[i + 1] < 0x7f ? SNIFF_HTTP : SNIFF_OTHER;
}

enum sniff_proto
sniff_classify(const void *buf, size_t n)
{
	const unsigned char *p = buf;

	if (n == 0)
		return SNIFF_NEED_MORE;
	if (p[0] == 0x16)
		return sniff_tls(p, n);
	return sniff_http(p, n);
}

const char *
sniff_name(enum sniff_proto p)
{
	switch (p) {
	case SNIFF_NEED_MORE:	return "unknown";
	case SNIFF_HTTP:	return "http";
	case SNIFF_TLS:		return "tls";
	case SNIFF_OTHER:	return "other";
	}
	return "?";
}
