/*
 * TCP/IP packets as bytes. Every length a peer controls (IHL, total
 * length, payload length, extension-header lengths, data offset) is
 * checked against the bytes there are before it is used.
 */
#include "config.h"

#include <string.h>

#include "pkt.h"

/* Extension headers skipped before giving up on an IPv6 packet. */
#define PKT_MAX_EXT	8

static uint16_t
pkt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
pkt_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
pkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
pkt_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static int
pkt_fail(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return -1;
}

/* Finds the TCP header after IPv6's extension headers. */
static int
pkt_parse6(struct pkt *p, const uint8_t *b, size_t len, const char **why)
{
	size_t off = PKT_IP6_HDR, plen, hl;
	uint8_t nh;
	int i;

	if (len < PKT_IP6_HDR)
		return pkt_fail(why, "short IPv6 header");
	plen = pkt_get16(b + 4);
	if (plen == 0)
		return pkt_fail(why, "IPv6 jumbogram");
	if (PKT_IP6_HDR + plen > len)
		return pkt_fail(why, "IPv6 payload length past the end");
	p->len = PKT_IP6_HDR + plen;
	memcpy(p->src, b + 8, 16);
	memcpy(p->dst, b + 24, 16);
	nh = b[6];
	for (i = 0; i < PKT_MAX_EXT; i++) {
		switch (nh) {
		case 6:
			p->l4off = off;
			return 0;
		case 0:		/* hop-by-hop */
		case 43:	/* routing */
		case 60:	/* destination options */
			if (off + 8 > p->len)
				return pkt_fail(why, "short extension header");
			hl = ((size_t)b[off + 1] + 1) * 8;
			break;
		case 44:	/* fragment */
			if (off + 8 > p->len)
				return pkt_fail(why, "short fragment header");
			if ((pkt_get16(b + off + 2) & 0xfff9) != 0)
				return pkt_fail(why, "IPv6 fragment");
			hl = 8;	/* an atomic fragment: the whole packet */
			break;
		case 51:	/* authentication header */
			if (off + 8 > p->len)
				return pkt_fail(why, "short AH");
			hl = ((size_t)b[off + 1] + 2) * 4;
			break;
		default:
			return pkt_fail(why, "not TCP");
		}
		if (off + hl > p->len)
			return pkt_fail(why, "extension header past the end");
		nh = b[off];
		off += hl;
	}
	return pkt_fail(why, "too many extension headers");
}

static int
pkt_parse4(struct pkt *p, const uint8_t *b, size_t len, const char **why)
{
	size_t ihl, tot;

	if (len < PKT_IP4_HDR)
		return pkt_fail(why, "short IPv4 header");
	ihl = (size_t)(b[0] & 0x0f) * 4;
	tot = pkt_get16(b + 2);
	if (ihl < PKT_IP4_HDR)
		return pkt_fail(why, "IPv4 header length below 20");
	if (tot < ihl || tot > len)
		return pkt_fail(why, "IPv4 total length out of range");
	if ((pkt_get16(b + 6) & 0x3fff) != 0)
		return pkt_fail(why, "IPv4 fragment");
	if (b[9] != 6)
		return pkt_fail(why, "not TCP");
	p->len = tot;
	memset(p->src, 0, sizeof(p->src));
	memset(p->dst, 0, sizeof(p->dst));
	memcpy(p->src, b + 12, 4);
	memcpy(p->dst, b + 16, 4);
	p->l4off = ihl;
	return 0;
}

int
pkt_parse(struct pkt *p, const void *buf, size_t len, const char **why)
{
	const uint8_t *b = buf, *t;
	int r;

	memset(p, 0, sizeof(*p));
	if (len == 0)
		return pkt_fail(why, "empty");
	switch (b[0] >> 4) {
	case 4:
		p->family = 4;
		r = pkt_parse4(p, b, len, why);
		break;
	case 6:
		p->family = 6;
		r = pkt_parse6(p, b, len, why);
		break;
	default:
		return pkt_fail(why, "not IPv4 or IPv6");
	}
	if (r != 0)
		return -1;
	if (p->l4off + PKT_TCP_HDR > p->len)
		return pkt_fail(why, "short TCP header");
	t = b + p->l4off;
	p->thl = (size_t)(t[12] >> 4) * 4;
	if (p->thl < PKT_TCP_HDR)
		return pkt_fail(why, "TCP data offset below 5");
	if (p->l4off + p->thl > p->len)
		return pkt_fail(why, "TCP options past the end");
	p->sport = pkt_get16(t);
	p->dport = pkt_get16(t + 2);
	p->seq = pkt_get32(t + 4);
	p->ack = pkt_get32(t + 8);
	p->flags = t[13];
	p->window = pkt_get16(t + 14);
	p->payoff = p->l4off + p->thl;
	p->plen = p->len - p->payoff;
	return 0;
}

uint32_t
pkt_sum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *b = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += pkt_get16(b + i);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t
pkt_cksum(const void *buf, size_t len)
{
	return (uint16_t)~pkt_sum(buf, len, 0);
}

/* The sum of the pseudo-header (RFC 793, RFC 8200 section 8.1). */
static uint32_t
pkt_pseudo(int family, const uint8_t *src, const uint8_t *dst, size_t l4len)
{
	uint32_t sum;
	size_t alen = family == 4 ? 4 : 16;

	sum = pkt_sum(src, alen, 0);
	sum = pkt_sum(dst, alen, sum);
	sum += (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff);
	sum += 6;
	return sum;
}

/* The checksum of a TCP segment whose checksum field reads zero. */
static uint16_t
pkt_tcp_sum(int family, const uint8_t *src, const uint8_t *dst,
    const uint8_t *tcp, size_t l4len)
{
	uint32_t sum = pkt_pseudo(family, src, dst, l4len);

	sum = pkt_sum(tcp, 16, sum);
	/* Skip the checksum field itself. */
	sum = pkt_sum(tcp + 18, l4len - 18, sum);
	return (uint16_t)~sum;
}

uint16_t
pkt_tcp_cksum(const struct pkt *p, const void *buf)
{
	const uint8_t *b = buf;

	return pkt_tcp_sum(p->family, p->src, p->dst, b + p->l4off,
	    p->len - p->l4off);
}

void
pkt_fix_cksum(const struct pkt *p, void *buf)
{
	uint8_t *b = buf;

	if (p->family == 4) {
		pkt_put16(b + 10, 0);
		pkt_put16(b + 10, pkt_cksum(b, p->l4off));
	}
	pkt_put16(b + p->l4off + 16, pkt_tcp_cksum(p, b));
}

int
pkt_cksum_ok(const struct pkt *p, const void *buf)
{
	const uint8_t *b = buf;

	if (p->family == 4 && pkt_cksum(b, p->l4off) != 0)
		return 0;
	return pkt_get16(b + p->l4off + 16) == pkt_tcp_cksum(p, b);
}

size_t
pkt_build(void *buf, size_t cap, const struct pkt_spec *s)
{
	uint8_t *b = buf, *t;
	size_t iph, opt = 0, len;

	if (s->family != 4 && s->family != 6)
		return 0;
	iph = s->family == 4 ? PKT_IP4_HDR : PKT_IP6_HDR;
	if (s->mss != 0)
		opt += 4;
	if (s->wscale >= 0)
		opt += 4;	/* NOP, then the three bytes of the option */
	len = iph + PKT_TCP_HDR + opt + s->plen;
	if (len > cap || len > PKT_MAX || s->plen > PKT_MAX)
		return 0;
	memset(b, 0, iph + PKT_TCP_HDR + opt);
	if (s->family == 4) {
		b[0] = 0x45;
		pkt_put16(b + 2, (uint16_t)len);
		pkt_put16(b + 4, s->ip_id);
		b[6] = 0x40;	/* don't fragment */
		b[8] = s->ttl ? s->ttl : 64;
		b[9] = 6;
		memcpy(b + 12, s->src, 4);
		memcpy(b + 16, s->dst, 4);
		pkt_put16(b + 10, pkt_cksum(b, PKT_IP4_HDR));
	} else {
		b[0] = 0x60;
		pkt_put16(b + 4, (uint16_t)(len - PKT_IP6_HDR));
		b[6] = 6;
		b[7] = s->ttl ? s->ttl : 64;
		memcpy(b + 8, s->src, 16);
		memcpy(b + 24, s->dst, 16);
	}
	t = b + iph;
	pkt_put16(t, s->sport);
	pkt_put16(t + 2, s->dport);
	pkt_put32(t + 4, s->seq);
	pkt_put32(t + 8, s->ack);
	t[12] = (uint8_t)(((PKT_TCP_HDR + opt) / 4) << 4);
	t[13] = s->flags;
	pkt_put16(t + 14, s->window);
	opt = PKT_TCP_HDR;
	if (s->mss != 0) {
		t[opt] = 2;
		t[opt + 1] = 4;
		pkt_put16(t + opt + 2, s->mss);
		opt += 4;
	}
	if (s->wscale >= 0) {
		t[opt] = 1;
		t[opt + 1] = 3;
		t[opt + 2] = 3;
		t[opt + 3] = (uint8_t)(s->wscale > 14 ? 14 : s->wscale);
		opt += 4;
	}
	if (s->plen > 0)
		memcpy(t + opt, s->payload, s->plen);
	pkt_put16(t + 16, pkt_tcp_sum(s->family, s->src, s->dst, t,
	    len - iph));
	return len;
}
