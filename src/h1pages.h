/*
 * Canned responses of real proxies, for the personas that answer on
 * their own: Squid 5.7's error pages, HAProxy's 400 and nginx's 502 and
 * 504. Pure: the caller gives its host name and an IMF-fixdate (RFC 9110
 * 5.6.7) for Date, or NULL to leave Date out.
 */
#ifndef PROXYSIM_H1PAGES_H
#define PROXYSIM_H1PAGES_H

#include <sys/types.h>
#include <stddef.h>

#include "attrib.h"

/*
 * Squid 5.7: status, reason, the error's name (ERR_ACCESS_DENIED), the
 * lookup result for X-Cache-Lookup (NONE, MISS). Bytes written or -1.
 */
ssize_t	h1pages_squid(char *, size_t, int status, const char *reason,
	    const char *err, const char *lookup, const char *host,
	    const char *date) NONNULL(1, 4, 5, 6, 7) WUNRES;
/* The same with one more header line ("Proxy-Authenticate: ..."). */
ssize_t	h1pages_squid_ex(char *, size_t, int status, const char *reason,
	    const char *err, const char *lookup, const char *host,
	    const char *date, const char *extra) NONNULL(1, 4, 5, 6, 7) WUNRES;
/* CONNECT to a port not in SSL_ports (real-products.md, byte for byte). */
ssize_t	h1pages_squid_403(char *, size_t, const char *host, const char *date)
	    NONNULL(1, 3) WUNRES;
/* A request Squid cannot parse (no Host, bad CONNECT). */
ssize_t	h1pages_squid_400(char *, size_t, const char *host, const char *date)
	    NONNULL(1, 3) WUNRES;
/* HAProxy's built-in 400: 90-byte body, Connection: close. */
ssize_t	h1pages_haproxy_400(char *, size_t) NONNULL(1) WUNRES;
/* nginx 1.22.1 (server_tokens on): 502 Bad Gateway, 504 Gateway Time-out. */
ssize_t	h1pages_nginx(char *, size_t, int status, const char *date)
	    NONNULL(1) WUNRES;

#endif
