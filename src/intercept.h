/*
 * Interception engines: how a transparent listener is made and how a
 * flow's original destination is found. REDIRECT (nat table) rewrites the
 * destination and keeps the original in conntrack, read back with
 * SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST; TPROXY leaves the destination
 * alone, so it is simply the accepted socket's local address.
 * (sslsplit's nat.c has the same split.)
 */
#ifndef PROXYSIM_INTERCEPT_H
#define PROXYSIM_INTERCEPT_H

#include <sys/socket.h>
#include <stdint.h>

#include "attrib.h"

enum intercept_mode {
	INTERCEPT_REDIRECT = 0,
	INTERCEPT_TPROXY
};

const char *intercept_mode_name(enum intercept_mode);
/* A non-blocking listening socket, or -1 with errno set. */
int	intercept_listen(enum intercept_mode, const struct sockaddr *,
	    socklen_t, int v6only) WUNRES;
/* The flow's original destination. 0, or -1 with errno set. */
int	intercept_orig_dst(enum intercept_mode, int fd,
	    struct sockaddr_storage *) NONNULL(3) WUNRES;
/*
 * A non-blocking TCP socket for the upstream leg, marked with `mark` so
 * the capture rules skip it. In TPROXY mode it is bound to the client's
 * address so that the server sees the real client.
 */
int	intercept_upstream_socket(enum intercept_mode, int family,
	    const struct sockaddr *client, uint32_t mark) NONNULL(3) WUNRES;

#endif
