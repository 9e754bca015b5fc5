/* An explicit proxy's reading of a request head; see pxreq.h. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "pxreq.h"

static const char *const pxreq_errs[PXREQ_E_MAX] = {
	[PXREQ_E_NONE] = "none",
	[PXREQ_E_CONNECT_TARGET] = "CONNECT target is not host:port",
	[PXREQ_E_CONNECT_PORT] = "CONNECT target has no valid port",
	[PXREQ_E_SCHEME] = "URL scheme is not http or ws",
	[PXREQ_E_URL] = "URL has no valid host or port",
	[PXREQ_E_ORIGIN_FORM] = "request target is not a full URL",
	[PXREQ_E_NO_HOST] = "HTTP/1.1 request without Host",
};

const char *
pxreq_form_name(enum pxreq_form f)
{
	switch (f) {
	case PXREQ_CONNECT:	return "connect";
	case PXREQ_ABSOLUTE:	return "absolute";
	case PXREQ_ORIGIN:	return "origin";
	}
	return "?";
}

const char *
pxreq_strerror(enum pxreq_err e)
{
	return e < PXREQ_E_MAX ? pxreq_errs[e] : "?";
}

static int
pxreq_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* A reg-name of letters, digits, '-', '.', '_' (RFC 3986 3.2.2, minus
 * the percent-encodings and sub-delims no resolver takes). */
static int
pxreq_name_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n >= PXREQ_HOSTLEN)
		return 0;
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
			return 0;
	}
	return 1;
}

static int
pxreq_v6_ok(const char *p, size_t n)
{
	size_t i;

	if (n < 2 || n > 45)
		return 0;
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
			return 0;
	}
	return 1;
}

/* "1" to "65535", no sign, no leading junk: the port, or -1. */
static long
pxreq_port(const char *p, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

/*
 * host[:port] or [v6][:port] into out; defport when the port is absent
 * (0: a port is required). 0, 1 for a bad host, 2 for a bad port.
 */
static int
pxreq_authority(const char *p, size_t n, uint16_t defport, struct pxreq *out)
{
	const char *host = p, *colon = NULL;
	size_t hlen;
	long port;

	out->v6 = 0;
	if (n > 0 && p[0] == '[') {
		const char *rb = memchr(p, ']', n);

		if (rb == NULL)
			return 1;
		host = p + 1;
		hlen = (size_t)(rb - host);
		if (!pxreq_v6_ok(host, hlen))
			return 1;
		out->v6 = 1;
		if ((size_t)(rb + 1 - p) < n) {
			if (rb[1] != ':')
				return 1;
			colon = rb + 1;
		}
	} else {
		colon = memchr(p, ':', n);
		hlen = colon != NULL ? (size_t)(colon - p) : n;
		if (!pxreq_name_ok(host, hlen))
			return 1;
	}
	if (colon != NULL) {
		port = pxreq_port(colon + 1, (size_t)(p + n - colon - 1));
		if (port < 0)
			return 2;
	} else if (defport == 0)
		return 2;
	else
		port = defport;
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	out->port = (uint16_t)port;
	return 0;
}

enum pxreq_err
pxreq_parse(const char *buf, const struct h1_head *h, struct pxreq *out)
{
	const char *t = buf + h->target.off;
	size_t n = h->target.len, i, alen;
	int rc;

	memset(out, 0, sizeof(*out));
	if (h->meth == H1_M_CONNECT) {
		out->form = PXREQ_CONNECT;
		rc = pxreq_authority(t, n, 0, out);
		return rc == 0 ? PXREQ_E_NONE : rc == 1 ?
		    PXREQ_E_CONNECT_TARGET : PXREQ_E_CONNECT_PORT;
	}
	if (n == 0 || t[0] == '/' || t[0] == '*') {
		out->form = PXREQ_ORIGIN;
		if (h->minor >= 1 && h1_header_find(h, buf, "Host", 0) < 0)
			return PXREQ_E_NO_HOST;
		return PXREQ_E_ORIGIN_FORM;
	}
	out->form = PXREQ_ABSOLUTE;
	for (i = 0; i < n && i < 8 && t[i] != ':'; i++)
		out->scheme[i] = (char)pxreq_lower((unsigned char)t[i]);
	if (i == n || t[i] != ':' || n - i < 3 || t[i + 1] != '/' ||
	    t[i + 2] != '/')
		return PXREQ_E_URL;
	out->scheme[i < sizeof(out->scheme) ? i : sizeof(out->scheme) - 1] = '\0';
	if (strcmp(out->scheme, "http") != 0 && strcmp(out->scheme, "ws") != 0)
		return PXREQ_E_SCHEME;
	t += i + 3;
	n -= i + 3;
	for (alen = 0; alen < n && t[alen] != '/' && t[alen] != '?' &&
	    t[alen] != '#'; alen++)
		if (t[alen] == '@')
			return PXREQ_E_URL;	/* userinfo: not in http(s) URIs */
	if (pxreq_authority(t, alen, 80, out) != 0)
		return PXREQ_E_URL;
	out->path.off = (uint32_t)(t + alen - buf);
	out->path.len = (uint32_t)(n - alen);
	if (h->minor >= 1 && h1_header_find(h, buf, "Host", 0) < 0)
		return PXREQ_E_NO_HOST;
	return PXREQ_E_NONE;
}

static int
pxreq_b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 with padding into out: its length, or -1. */
static long
pxreq_b64dec(const char *in, size_t n, unsigned char *out, size_t cap)
{
	size_t i, o = 0;
	unsigned acc = 0;
	int bits = 0, v, pad = 0;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (in[i] == '=') {
			if (i < n - 2)
				return -1;
			pad++;
			continue;
		}
		if (pad || (v = pxreq_b64val((unsigned char)in[i])) < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return (long)o;
}

int
pxreq_basic_check(const char *buf, const struct h1_head *h, const char *cred)
{
	unsigned char dec[512];
	const char *v;
	size_t n;
	long dn;
	int k = h1_header_find(h, buf, "Proxy-Authorization", 0);

	if (k < 0)
		return 0;
	v = buf + h->hdr[k].value.off;
	n = h->hdr[k].value.len;
	/* auth-scheme is case-insensitive (RFC 9110 11.1). */
	if (n < 6 || strncasecmp(v, "Basic", 5) != 0 || v[5] != ' ')
		return -1;
	v += 6;
	n -= 6;
	while (n > 0 && *v == ' ')
		v++, n--;
	dn = pxreq_b64dec(v, n, dec, sizeof(dec));
	if (dn < 0 || (size_t)dn != strlen(cred) ||
	    memcmp(dec, cred, (size_t)dn) != 0)
		return -1;
	return 1;
}

ssize_t
pxreq_origin_form(char *out, size_t cap, const char *buf,
    const struct h1_head *h, const struct pxreq *r, int drop_auth)
{
	size_t o = 0, i, prefix, rest;
	const char *after;

#define PXREQ_PUT(p, len) do {				\
	if ((len) > cap - o)				\
		return -1;				\
	memcpy(out + o, (p), (len));			\
	o += (len);					\
} while (0)
	/* The line up to the target, the path, then the rest of the line. */
	prefix = h->target.off - h->line.off;
	PXREQ_PUT(buf + h->line.off, prefix);
	if (r->path.len == 0 || buf[r->path.off] != '/')
		PXREQ_PUT("/", 1);
	PXREQ_PUT(buf + r->path.off, r->path.len);
	after = buf + h->target.off + h->target.len;
	rest = h->line.off + h->line.len - (h->target.off + h->target.len);
	PXREQ_PUT(after, rest);
	for (i = 0; i < h->nhdr; i++) {
		if (drop_auth && h1_span_eq(buf, h->hdr[i].name,
		    "Proxy-Authorization"))
			continue;
		PXREQ_PUT(buf + h->hdr[i].line.off, h->hdr[i].line.len);
	}
	PXREQ_PUT(buf + h->end.off, h->end.len);
#undef PXREQ_PUT
	return (ssize_t)o;
}
