/*
 * TCP/IP packets as bytes: a bounds-checked parser for IPv4 and IPv6
 * (extension headers skipped) carrying TCP, the Internet checksum, and a
 * builder of whole TCP/IP segments. Pure code: the capture files and the
 * NFQUEUE engine do the I/O around it.
 */
#ifndef PROXYSIM_PKT_H
#define PROXYSIM_PKT_H

#include <stddef.h>
#include <stdint.h>

#define PKT_FIN		0x01
#define PKT_SYN		0x02
#define PKT_RST		0x04
#define PKT_PSH		0x08
#define PKT_ACK		0x10
#define PKT_URG		0x20
#define PKT_ECE		0x40
#define PKT_CWR		0x80

#define PKT_IP4_HDR	20
#define PKT_IP6_HDR	40
#define PKT_TCP_HDR	20
/* An IP packet never exceeds 65535 bytes plus a jumbogram we refuse. */
#define PKT_MAX		65535

/* A parsed segment: offsets into the caller's bytes, which it keeps. */
struct pkt {
	int		 family;	/* 4 or 6 */
	uint8_t		 src[16];	/* 4 bytes used for IPv4 */
	uint8_t		 dst[16];
	uint16_t	 sport, dport;
	uint32_t	 seq, ack;
	uint8_t		 flags;		/* PKT_* */
	uint16_t	 window;
	size_t		 len;		/* the IP packet, without link padding */
	size_t		 l4off;		/* the TCP header */
	size_t		 thl;		/* TCP header length, options included */
	size_t		 payoff;	/* the payload */
	size_t		 plen;
};

/* What pkt_build makes. The payload may be NULL when plen is 0. */
struct pkt_spec {
	int		 family;	/* 4 or 6 */
	const uint8_t	*src, *dst;	/* 4 or 16 bytes, network order */
	uint16_t	 sport, dport;	/* host order */
	uint32_t	 seq, ack;
	uint8_t		 flags;
	uint16_t	 window;
	uint16_t	 mss;		/* SYN options when nonzero */
	int		 wscale;	/* SYN window-scale option when >= 0 */
	uint8_t		 ttl;		/* 0: 64 */
	uint16_t	 ip_id;
	const void	*payload;
	size_t		 plen;
};

/*
 * Parses the IP packet in buf. Returns 0, or -1 with a reason for
 * anything that is not one whole unfragmented TCP segment.
 */
int		 pkt_parse(struct pkt *, const void *buf, size_t len,
		    const char **why);
/* The one's-complement sum of the bytes, folded, not complemented. */
uint32_t	 pkt_sum(const void *, size_t, uint32_t);
/* The Internet checksum (RFC 1071) of the bytes. */
uint16_t	 pkt_cksum(const void *, size_t);
/* The TCP checksum the parsed segment in buf should carry. */
uint16_t	 pkt_tcp_cksum(const struct pkt *, const void *buf);
/* Writes correct IPv4 header and TCP checksums into buf. */
void		 pkt_fix_cksum(const struct pkt *, void *buf);
/* Does buf carry correct checksums? */
int		 pkt_cksum_ok(const struct pkt *, const void *buf);
/* Builds a segment into buf; returns its length, or 0 if cap is short. */
size_t		 pkt_build(void *buf, size_t cap, const struct pkt_spec *);

#endif
