/*
 * An explicit proxy's reading of a request head, pure: which form the
 * target has (RFC 9112 3.2: authority-form for CONNECT, absolute-form
 * http:// or ws://, origin-form), the host and port it names, Basic
 * proxy credentials (RFC 9110 11.7.1, RFC 7617), and the rewrite of an
 * absolute-form request line to origin-form that real proxies make
 * before forwarding. No I/O, no logging, no allocation.
 */
#ifndef PROXYSIM_PXREQ_H
#define PROXYSIM_PXREQ_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "attrib.h"
#include "h1.h"

#define PXREQ_HOSTLEN	256	/* a DNS name is at most 253 bytes */

enum pxreq_form {
	PXREQ_CONNECT = 0,	/* CONNECT host:port */
	PXREQ_ABSOLUTE,		/* GET http://host[:port]/path, ws:// too */
	PXREQ_ORIGIN		/* GET /path: not for a forward proxy */
};

/* What is wrong with a request, for the proxy's 400 and the event log. */
enum pxreq_err {
	PXREQ_E_NONE = 0,
	PXREQ_E_CONNECT_TARGET,	/* not host:port */
	PXREQ_E_CONNECT_PORT,	/* port missing, 0 or over 65535 */
	PXREQ_E_SCHEME,		/* absolute-form other than http or ws */
	PXREQ_E_URL,		/* absolute-form with a bad authority */
	PXREQ_E_ORIGIN_FORM,	/* a forward proxy needs a full URL */
	PXREQ_E_NO_HOST,	/* HTTP/1.1 without Host (RFC 9112 3.2) */
	PXREQ_E_MAX
};

struct pxreq {
	enum pxreq_form	 form;
	char		 host[PXREQ_HOSTLEN];	/* v6 without brackets */
	int		 v6;		/* the host was a [v6] literal */
	uint16_t	 port;
	char		 scheme[8];	/* "http" or "ws"; "" for CONNECT */
	struct h1_span	 path;		/* absolute-form: from '/' or '?'; may be
					 * empty (then "/" is sent) */
};

const char	*pxreq_form_name(enum pxreq_form);
const char	*pxreq_strerror(enum pxreq_err);
/* Reads a parsed request head (h over buf): PXREQ_E_NONE and *out, or
 * why the proxy must answer 400. */
enum pxreq_err	 pxreq_parse(const char *buf, const struct h1_head *h,
		    struct pxreq *out) NONNULL(1, 2, 3) WUNRES;

/*
 * Proxy-Authorization against "user:password" (Basic): 1 when they
 * match, 0 when there is no Proxy-Authorization, -1 when it is wrong or
 * another scheme.
 */
int	pxreq_basic_check(const char *buf, const struct h1_head *h,
	    const char *cred) NONNULL(1, 2, 3);

/*
 * The head with its request target in origin-form ("GET /path HTTP/1.1")
 * and, if drop_auth, without Proxy-Authorization lines (the proxy
 * consumed them); every other byte as it came. Its length, or -1 when
 * cap is too small.
 */
ssize_t	pxreq_origin_form(char *out, size_t cap, const char *buf,
	    const struct h1_head *h, const struct pxreq *, int drop_auth)
	    NONNULL(1, 3, 4, 5) WUNRES;

#endif
