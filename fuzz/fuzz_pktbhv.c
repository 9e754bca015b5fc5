/* libFuzzer target: the packet personas on a segment carrying the input
 * as payload, and the SNI extractor on the input itself. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pkt.h"
#include "pktbhv.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t a[4] = { 198, 18, 1, 2 }, b[4] = { 198, 18, 2, 2 };
	static uint8_t buf[PKT_MAX];
	struct pktbhv_conf c;
	struct pktbhv_act act;
	struct pkt_spec s;
	struct pkt p;
	char name[PKTBHV_NAMELEN];
	size_t n;
	int k;

	if (pktbhv_sni(data, size, name, sizeof(name)) == 1 &&
	    strlen(name) >= sizeof(name))
		__builtin_trap();
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.src = a;
	s.dst = b;
	s.sport = 1;
	s.dport = 80;
	s.flags = PKT_ACK;
	s.wscale = -1;
	s.payload = data;
	s.plen = size;
	if ((n = pkt_build(buf, sizeof(buf), &s)) == 0 ||
	    pkt_parse(&p, buf, n, NULL) != 0)
		return 0;
	for (k = 0; k < PKTBHV_MAX; k++) {
		if (pktbhv_find(pktbhv_name(k), &c) != 0)
			__builtin_trap();
		pktbhv_apply(&c, &p, buf, 1, &act);
		/* Rewrites keep the length: the segment still parses. */
		if (pkt_parse(&p, buf, n, NULL) != 0 || p.plen != size)
			__builtin_trap();
	}
	return 0;
}
