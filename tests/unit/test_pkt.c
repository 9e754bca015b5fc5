/* Unit tests for pkt.c: parsing, checksums and building TCP/IP segments.
 * The two segments below were checked by Wireshark 4.0's IP and TCP
 * checksum validation (tshark -o tcp.check_checksum:TRUE). */
#include "config.h"

#include <string.h>

#include "pkt.h"
#include "tap.h"

/* A SYN 198.18.1.2:40000 > 198.18.2.2:80, MSS 1460, wscale 7. */
static const unsigned char syn4[] = {
	0x45, 0x00, 0x00, 0x30, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x99, 0x6b,
	0xc6, 0x12, 0x01, 0x02, 0xc6, 0x12, 0x02, 0x02, 0x9c, 0x40, 0x00, 0x50,
	0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00, 0x70, 0x02, 0xfa, 0xf0,
	0x19, 0x08, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07,
};

/* [fd00::2]:443 > [fd00::3]:51000, PSH ACK, "GET / HTTP/1.1\r\n\r\n". */
static const unsigned char data6[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x26, 0x06, 0x40, 0xfd, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x03, 0x01, 0xbb, 0xc7, 0x38, 0xff, 0xff, 0xff, 0xf0,
	0x01, 0x02, 0x03, 0x04, 0x50, 0x18, 0x01, 0xf5, 0x08, 0x34, 0x00, 0x00,
	0x47, 0x45, 0x54, 0x20, 0x2f, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x31,
	0x2e, 0x31, 0x0d, 0x0a, 0x0d, 0x0a,
};

static void
test_sums(void)
{
	/* RFC 1071 section 3's example: the sum is ddf2. */
	static const unsigned char rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4,
	    0xf5, 0xf6, 0xf7 };
	/* An IPv4 header whose checksum field holds b861. */
	unsigned char ip[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
	    0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00,
	    0xc7 };

	is_int(pkt_sum(rfc, sizeof(rfc), 0), 0xddf2, "RFC 1071 example sum");
	is_int(pkt_cksum(rfc, sizeof(rfc)), 0x220d, "RFC 1071 checksum");
	is_int(pkt_cksum(ip, sizeof(ip)), 0xb861, "IPv4 header checksum");
	ip[10] = 0xb8;
	ip[11] = 0x61;
	is_int(pkt_cksum(ip, sizeof(ip)), 0, "a correct header sums to zero");
	is_int(pkt_cksum(rfc, 7), (uint16_t)~pkt_sum(rfc, 7, 0),
	    "odd length pads with zero");
}

static void
test_parse_vectors(void)
{
	struct pkt p;
	const char *why = NULL;
	unsigned char b[sizeof(data6)];

	ok(pkt_parse(&p, syn4, sizeof(syn4), &why) == 0, "SYN parses");
	is_int(p.family, 4, "v4");
	is_mem(p.src, 4, "\xc6\x12\x01\x02", 4, "v4 source");
	is_mem(p.dst, 4, "\xc6\x12\x02\x02", 4, "v4 destination");
	is_int(p.sport, 40000, "source port");
	is_int(p.dport, 80, "destination port");
	is_int(p.seq, 0x11223344, "seq");
	is_int(p.flags, PKT_SYN, "flags");
	is_int(p.window, 64240, "window");
	is_int(p.thl, 28, "options counted in the header length");
	is_int(p.plen, 0, "no payload");
	is_int(pkt_tcp_cksum(&p, syn4), 0x1908, "v4 TCP checksum");
	ok(pkt_cksum_ok(&p, syn4), "v4 checksums verify");

	ok(pkt_parse(&p, data6, sizeof(data6), &why) == 0, "v6 segment parses");
	is_int(p.family, 6, "v6");
	is_int(p.sport, 443, "v6 source port");
	is_int(p.seq, 0xfffffff0u, "v6 seq");
	is_int(p.ack, 0x01020304, "v6 ack");
	is_int(p.flags, PKT_ACK | PKT_PSH, "v6 flags");
	is_mem(data6 + p.payoff, p.plen, "GET / HTTP/1.1\r\n\r\n", 18,
	    "v6 payload");
	is_int(pkt_tcp_cksum(&p, data6), 0x0834, "v6 TCP checksum");

	/* Mangle one payload byte: the checksum no longer holds; fixed, it
	 * is what a fresh computation gives. */
	memcpy(b, data6, sizeof(b));
	b[p.payoff] = 'P';
	ok(!pkt_cksum_ok(&p, b), "a mangled byte breaks the checksum");
	pkt_fix_cksum(&p, b);
	ok(pkt_cksum_ok(&p, b), "fixed");
	b[p.payoff] = 'G';
	pkt_fix_cksum(&p, b);
	is_mem(b, sizeof(b), data6, sizeof(data6), "and back to the vector");
}

static void
test_ext_headers(void)
{
	unsigned char b[sizeof(data6) + 16 + 8];
	struct pkt p, q;
	const char *why;

	/* Hop-by-hop (8 bytes of PadN) and destination options (16). */
	memcpy(b, data6, 40);
	b[6] = 0;
	b[5] += 24;
	memset(b + 40, 0, 24);
	b[40] = 60;		/* next: destination options */
	b[42] = 1;		/* PadN */
	b[43] = 4;
	b[48] = 6;		/* next: TCP */
	b[49] = 1;		/* 16 bytes */
	b[50] = 1;
	b[51] = 12;
	memcpy(b + 64, data6 + 40, sizeof(data6) - 40);
	ok(pkt_parse(&p, b, sizeof(b), &why) == 0, "extension headers skipped");
	is_int(p.l4off, 64, "TCP after 24 bytes of extensions");
	is_int(p.plen, 18, "payload after them");
	ok(pkt_cksum_ok(&p, b), "the pseudo-header counts TCP only");
	(void)pkt_parse(&q, data6, sizeof(data6), NULL);
	is_int(pkt_tcp_cksum(&p, b), pkt_tcp_cksum(&q, data6),
	    "same checksum as without extensions");

	b[49] = 200;
	ok(pkt_parse(&p, b, sizeof(b), &why) == -1, "extension past the end");
	b[49] = 1;
	b[48] = 44;		/* a fragment header after it */
	b[5] += 8;
	ok(pkt_parse(&p, b, sizeof(b), &why) == -1, "length past the end");
	b[5] -= 8;
	b[48] = 17;
	ok(pkt_parse(&p, b, sizeof(b), &why) == -1 &&
	    strcmp(why, "not TCP") == 0, "UDP refused");
	b[48] = 0;		/* hop-by-hop chains until the limit */
	b[40] = 0;
	b[49] = 0;
	ok(pkt_parse(&p, b, sizeof(b), &why) == -1, "chain without TCP refused");
}

static void
test_build(void)
{
	static const uint8_t a4[4] = { 198, 18, 1, 2 }, b4[4] = { 198, 18, 2, 2 };
	static const uint8_t a6[16] = { 0xfd, [15] = 2 };
	static const uint8_t b6[16] = { 0xfd, [15] = 3 };
	unsigned char buf[PKT_MAX], big[3000];
	struct pkt_spec s;
	struct pkt p;
	size_t n, i;
	int fam;

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.src = a4;
	s.dst = b4;
	s.sport = 40000;
	s.dport = 80;
	s.seq = 0x11223344;
	s.flags = PKT_SYN;
	s.window = 64240;
	s.mss = 1460;
	s.wscale = 7;
	s.ip_id = 0x1234;
	n = pkt_build(buf, sizeof(buf), &s);
	is_mem(buf, n, syn4, sizeof(syn4), "built SYN matches the vector");
	is_int(pkt_build(buf, n - 1, &s), 0, "short buffer refused");

	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7);
	for (fam = 4; fam <= 6; fam += 2) {
		memset(&s, 0, sizeof(s));
		s.family = fam;
		s.src = fam == 4 ? a4 : a6;
		s.dst = fam == 4 ? b4 : b6;
		s.sport = 1234;
		s.dport = 443;
		s.seq = 0xfffffff0u;
		s.ack = 77;
		s.flags = PKT_ACK | PKT_PSH;
		s.window = 1000;
		s.wscale = -1;
		s.payload = big;
		s.plen = sizeof(big);
		n = pkt_build(buf, sizeof(buf), &s);
		ok(n == (fam == 4 ? 20u : 40u) + 20 + sizeof(big),
		    "v%d length", fam);
		ok(pkt_parse(&p, buf, n, NULL) == 0, "v%d round trip", fam);
		ok(p.family == fam && p.sport == 1234 && p.dport == 443 &&
		    p.seq == 0xfffffff0u && p.ack == 77 &&
		    p.flags == (PKT_ACK | PKT_PSH) && p.window == 1000,
		    "v%d fields", fam);
		ok(p.plen == sizeof(big) &&
		    memcmp(buf + p.payoff, big, sizeof(big)) == 0,
		    "v%d payload", fam);
		ok(pkt_cksum_ok(&p, buf), "v%d checksums", fam);
	}
	s.plen = PKT_MAX;
	is_int(pkt_build(buf, sizeof(buf), &s), 0, "over 65535 refused");
	s.family = 5;
	s.plen = 0;
	is_int(pkt_build(buf, sizeof(buf), &s), 0, "family 5 refused");
}

static void
test_garbage(void)
{
	unsigned char b[sizeof(syn4) + 4];
	struct pkt p;
	const char *why;
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(syn4); i++)
		if (pkt_parse(&p, syn4, i, &why) == 0)
			bad++;
	is_int(bad, 0, "every v4 truncation refused");
	bad = 0;
	for (i = 0; i < sizeof(data6); i++)
		if (pkt_parse(&p, data6, i, &why) == 0)
			bad++;
	is_int(bad, 0, "every v6 truncation refused");

	/* Link padding after the IP packet is not payload. */
	memcpy(b, syn4, sizeof(syn4));
	memset(b + sizeof(syn4), 0xee, 4);
	ok(pkt_parse(&p, b, sizeof(b), NULL) == 0 && p.len == sizeof(syn4) &&
	    p.plen == 0, "trailing padding ignored");

	memcpy(b, syn4, sizeof(syn4));
	b[0] = 0x44;
	ok(pkt_parse(&p, b, sizeof(syn4), &why) == -1, "IHL 4 refused");
	b[0] = 0x55;
	ok(pkt_parse(&p, b, sizeof(syn4), &why) == -1, "version 5 refused");
	b[0] = 0x4f;
	ok(pkt_parse(&p, b, sizeof(syn4), &why) == -1, "IHL past the end");
	b[0] = 0x45;
	b[6] = 0x20;	/* more fragments */
	ok(pkt_parse(&p, b, sizeof(syn4), &why) == -1 &&
	    strcmp(why, "IPv4 fragment") == 0, "first fragment refused");
	b[6] = 0x40;
	b[32] = 0x40;	/* data offset 4 */
	ok(pkt_parse(&p, b, sizeof(syn4), &why) == -1, "data offset 4 refused");
	b[32] = 0xf0;	/* 60 bytes of header in 28 */
	ok(pkt_parse(&p, b, sizeof(syn4), &why) == -1, "options past the end");
	b[32] = 0x70;
	b[3] = 0x10;	/* total length 16 */
	ok(pkt_parse(&p, b, sizeof(syn4), &why) == -1, "total below IHL");
	b[3] = 0x30;
	b[9] = 17;
	ok(pkt_parse(&p, b, sizeof(syn4), &why) == -1, "UDP refused");
	ok(pkt_parse(&p, b, 0, &why) == -1, "empty refused");
}

int
main(void)
{
	test_sums();
	test_parse_vectors();
	test_ext_headers();
	test_build();
	test_garbage();
	return tap_done();
}
