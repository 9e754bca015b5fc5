/* libFuzzer target: the TCP/IP parser, its checksums, and a rebuild of
 * whatever parses, which must parse back to the same fields. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[PKT_MAX];
	struct pkt p, q;
	struct pkt_spec s;
	size_t n;

	if (pkt_parse(&p, data, size, NULL) != 0)
		return 0;
	if (p.payoff + p.plen != p.len || p.len > size)
		__builtin_trap();
	(void)pkt_cksum_ok(&p, data);
	memset(&s, 0, sizeof(s));
	s.family = p.family;
	s.src = p.src;
	s.dst = p.dst;
	s.sport = p.sport;
	s.dport = p.dport;
	s.seq = p.seq;
	s.ack = p.ack;
	s.flags = p.flags;
	s.window = p.window;
	s.wscale = -1;
	s.payload = data + p.payoff;
	s.plen = p.plen;
	n = pkt_build(buf, sizeof(buf), &s);
	if (n == 0)
		return 0;
	if (pkt_parse(&q, buf, n, NULL) != 0 || !pkt_cksum_ok(&q, buf) ||
	    q.seq != p.seq || q.ack != p.ack || q.plen != p.plen ||
	    memcmp(q.src, p.src, 16) != 0 || q.sport != p.sport)
		__builtin_trap();
	return 0;
}
