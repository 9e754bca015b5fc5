/*
 * Rules pick a flow's profile: by destination address and port, by the
 * nth flow, and, for HTTP, by Host and path. They come from [rules]
 * sections ("rule = port=80 host=*.example.com profile=NAME"), are tried
 * in order, and the first that matches wins; no match leaves the default
 * profile (-P). Pure code: parsing and matching only.
 */
#ifndef PROXYSIM_RULES_H
#define PROXYSIM_RULES_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "attrib.h"

#define RULES_MAX		64
#define RULES_PORTS		8
#define RULES_PATLEN		128

struct rule {
	char		 origin[96];	/* file:line */
	char		 profile[64];
	unsigned	 nports;
	uint16_t	 ports[RULES_PORTS];
	int		 dst_family;	/* 0: any address */
	unsigned char	 dst[16];
	unsigned	 dst_plen;
	char		 host[RULES_PATLEN];	/* "" any; "*.x" a suffix */
	char		 path[RULES_PATLEN];	/* "" any; "/x*" a prefix */
	uint64_t	 nth;		/* only the nth flow (1-based); 0 any */
	uint64_t	 every;		/* every nth flow; 0 any */
};

struct ruleset {
	size_t		 n;
	struct rule	 r[RULES_MAX];
};

/* What is known of a flow. host and path are NULL until the request head
 * is parsed; http says whether it ever will be. */
struct rules_flow {
	const struct sockaddr	*dst;
	uint64_t		 nth;	/* the flow's number since start */
	int			 http;	/* 1 HTTP, 0 not, -1 not known yet */
	const char		*host;	/* the Host value, port included */
	size_t			 hostlen;
	const char		*target; /* the request-target */
	size_t			 targetlen;
};

/* Parses "key=value ..." into r. 0, or -1 and *err. */
int	rules_parse(struct rule *r, const char *line, const char *origin,
	    const char **err) NONNULL(1, 2, 3, 4) WUNRES;
/* Does the rule need the request head to decide? */
int	rules_needs_http(const struct rule *) NONNULL(1);
/* 1 matches, 0 does not, -1 cannot tell before the request head. */
int	rules_match(const struct rule *, const struct rules_flow *)
	    NONNULL(1, 2);
/*
 * The first matching rule, or NULL. *pending is set when an earlier
 * rule could still match once the request head is known: then the
 * caller waits for it (a NULL with *pending set means "ask again").
 */
const struct rule *rules_pick(const struct ruleset *,
	    const struct rules_flow *, int *pending) NONNULL(1, 2, 3);

#endif
