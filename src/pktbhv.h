/*
 * Packet personas: what a middlebox that never terminates TCP does to
 * the segments it forwards (the NFQUEUE mode, nfq.c). Pure code: it
 * decides and rewrites bytes in place; the caller fixes checksums, sends
 * verdicts and resets, and logs.
 *
 * The personas are a table here rather than rules/profiles files: the
 * HTTP profiles are lists of relay behaviours with their own grammar,
 * and a packet persona is one decision per segment with a few numeric
 * parameters (--pkt-param KEY=VALUE).
 */
#ifndef PROXYSIM_PKTBHV_H
#define PROXYSIM_PKTBHV_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

enum pktbhv_kind {
	PKTBHV_PASSTHROUGH = 0,
	PKTBHV_CNEONCTION,
	PKTBHV_DPI_RESET,
	PKTBHV_SNI_BLOCK,
	PKTBHV_PMTU_BLACKHOLE,
	PKTBHV_MAX
};

#define PKTBHV_MAX_SNI		8
#define PKTBHV_NAMELEN		256
#define PKTBHV_PATLEN		64
#define PKTBHV_PROB_ONE		1000000u	/* probabilities in millionths */

struct pktbhv_conf {
	enum pktbhv_kind kind;
	char		 pattern[PKTBHV_PATLEN];	/* dpi-reset */
	char		 sni[PKTBHV_MAX_SNI][PKTBHV_NAMELEN];	/* sni-block */
	size_t		 nsni;
	unsigned	 mtu;		/* pmtu-blackhole: largest payload */
	uint32_t	 p_drop, p_dup, p_delay;	/* any persona */
	unsigned	 delay_ms;
};

enum pktbhv_verdict {
	PKTBHV_ACCEPT = 0,
	PKTBHV_MANGLED,		/* accept the rewritten bytes */
	PKTBHV_DROP,
	PKTBHV_RESET		/* drop, and reset both ends */
};

/* What the persona did to one segment, for the event log. */
struct pktbhv_act {
	enum pktbhv_verdict v;
	const char	*what;		/* "rename", "pattern", "sni", "size" */
	size_t		 offset;	/* into the payload */
	size_t		 count;		/* renames made */
	char		 detail[PKTBHV_NAMELEN]; /* the SNI, the pattern */
};

const char	*pktbhv_name(enum pktbhv_kind);
const char	*pktbhv_summary(enum pktbhv_kind);
/* 0 and the persona's defaults in conf, or -1 for an unknown name. */
int		 pktbhv_find(const char *, struct pktbhv_conf *);
/* "KEY=VALUE": sni, pattern, mtu, drop, dup, delay, delay-ms. 0, or -1
 * with a reason. */
int		 pktbhv_set_param(struct pktbhv_conf *, const char *,
		    const char **why);
/*
 * Decides for one parsed segment in buf (to_server: it travels towards
 * the captured port). May rewrite payload bytes in place, keeping the
 * length; the caller then fixes the checksums.
 */
void		 pktbhv_apply(const struct pktbhv_conf *, const struct pkt *,
		    uint8_t *buf, int to_server, struct pktbhv_act *);
/*
 * The server name of a TLS ClientHello that starts at p. 1 with the name
 * in out, 0 if it is a ClientHello without one (or one that does not fit
 * in these bytes), -1 if it is not a ClientHello.
 */
int		 pktbhv_sni(const uint8_t *p, size_t n, char *out,
		    size_t outlen);

#endif
