/*
 * The NFQUEUE packet engine (-q/--nfqueue): reads a netfilter queue with
 * libnetfilter_queue's libmnl API on the daemon's event loop, keeps a
 * bounded table of flows by 5-tuple, applies a packet persona (pktbhv)
 * to each segment, and answers with batched verdicts. Fail-open: the
 * kernel accepts what the queue cannot hold.
 */
#ifndef PROXYSIM_NFQ_H
#define PROXYSIM_NFQ_H

#include <stddef.h>

struct proxy;
struct pktbhv_conf;

/* Binds queue num; 0, or -1 with a message in err. */
int	nfq_start(struct proxy *, unsigned num, const struct pktbhv_conf *,
	    char *err, size_t errlen);
/* Closes every flow (flow_close, reason shutdown) and the queue. */
void	nfq_stop(void);

#endif
