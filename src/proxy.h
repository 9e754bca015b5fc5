/*
 * The daemon's running state: the event base, the listeners, the live
 * flows and the settings that new flows take. A reload swaps the
 * settings and profile; flows keep the profile they started with.
 */
#ifndef PROXYSIM_PROXY_H
#define PROXYSIM_PROXY_H

#include <sys/queue.h>
#include <stdint.h>

#include "intercept.h"
#include "settings.h"

struct event_base;
struct evdns_base;
struct evconnlistener;
struct event;
struct conn;
struct profile;
struct profile_set;

#define PROXY_MAX_LISTENERS	3	/* v4, v6 and the explicit proxy */

struct proxy {
	struct event_base	*base;
	struct settings		 cfg;		/* what new flows take */
	struct profile_set	*profiles;	/* the current generation */
	const struct profile	*profile;	/* in profiles */
	uint64_t		 rng;		/* xorshift64*, from --seed */
	enum intercept_mode	 mode;
	uint16_t		 listen_port;
	struct evconnlistener	*listeners[PROXY_MAX_LISTENERS];
	size_t			 nlisteners;
	struct event		*accept_retry;
	struct evdns_base	*dns;		/* the explicit proxy's resolver */
	int			 paused_limit;	/* at max-flows */
	int			 paused_fds;	/* out of descriptors */
	unsigned		 nflows;
	uint64_t		 last_id;
	uint64_t		 total_flows;
	TAILQ_HEAD(, conn)	 flows;
};

/* Opens the listeners for px->cfg. 0, or -1 with a message in err. */
int	proxy_listen(struct proxy *, char *err, size_t errlen)
	    NONNULL(1, 2) WUNRES;
/* Called by conn.c when a flow is gone, to resume accepting. */
void	proxy_flow_done(struct proxy *) NONNULL(1);
void	proxy_shutdown(struct proxy *) NONNULL(1);
/* The next number of the seeded generator: runs with the same --seed and
 * the same order of flows make the same choices. */
uint64_t proxy_random(struct proxy *) NONNULL(1);

#endif
