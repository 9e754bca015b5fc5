/*
 * Packet personas. Each looks at one segment at a time, as the cheap
 * boxes in the field do: a header name split across two segments, or a
 * pattern across two, goes through untouched, and so does a ClientHello
 * whose SNI is not in its first segment.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pktbhv.h"

static const struct {
	const char	*name;
	const char	*summary;
} pktbhv_table[PKTBHV_MAX] = {
	[PKTBHV_PASSTHROUGH] = { "passthrough",
	    "forwards every segment untouched" },
	[PKTBHV_CNEONCTION] = { "cneonction",
	    "renames Connection to Cneonction and Upgrade to Upgrxde in "
	    "requests, same length, seq untouched" },
	[PKTBHV_DPI_RESET] = { "dpi-reset",
	    "a segment carrying \"Upgrade: websocket\" is dropped and both "
	    "ends reset" },
	[PKTBHV_SNI_BLOCK] = { "sni-block",
	    "a ClientHello naming a listed SNI is dropped and both ends reset" },
	[PKTBHV_PMTU_BLACKHOLE] = { "pmtu-blackhole",
	    "segments with more than 1200 bytes of payload vanish" },
};

const char *
pktbhv_name(enum pktbhv_kind k)
{
	return k < PKTBHV_MAX ? pktbhv_table[k].name : "?";
}

const char *
pktbhv_summary(enum pktbhv_kind k)
{
	return k < PKTBHV_MAX ? pktbhv_table[k].summary : "?";
}

int
pktbhv_find(const char *name, struct pktbhv_conf *c)
{
	int k;

	for (k = 0; k < PKTBHV_MAX; k++)
		if (strcmp(name, pktbhv_table[k].name) == 0)
			break;
	if (k == PKTBHV_MAX)
		return -1;
	memset(c, 0, sizeof(*c));
	c->kind = (enum pktbhv_kind)k;
	strcpy(c->pattern, "Upgrade: websocket");
	strcpy(c->sni[0], "blocked.example");
	c->nsni = 1;
	c->mtu = 1200;
	c->delay_ms = 100;
	return 0;
}

/* "0.05" or "5%": a probability in millionths. */
static int
pktbhv_prob(const char *v, uint32_t *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (end == v || errno != 0)
		return -1;
	if (*end == '%') {
		d /= 100;
		end++;
	}
	if (*end != '\0' || !(d >= 0 && d <= 1))
		return -1;
	*out = (uint32_t)(d * PKTBHV_PROB_ONE + 0.5);
	return 0;
}

static int
pktbhv_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long u;

	errno = 0;
	u = strtoul(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0 || v[0] == '-' || u < lo ||
	    u > hi)
		return -1;
	*out = (unsigned)u;
	return 0;
}

int
pktbhv_set_param(struct pktbhv_conf *c, const char *kv, const char **why)
{
	const char *v = strchr(kv, '=');
	size_t klen, vlen;

	if (v == NULL) {
		*why = "not KEY=VALUE";
		return -1;
	}
	klen = (size_t)(v - kv);
	v++;
	vlen = strlen(v);
#define KEY(s)	(klen == sizeof(s) - 1 && strncmp(kv, s, klen) == 0)
	if (KEY("sni")) {
		/* The first sni= replaces the default list. */
		static const char def[] = "blocked.example";

		if (c->nsni == 1 && strcmp(c->sni[0], def) == 0)
			c->nsni = 0;
		if (vlen == 0 || vlen >= PKTBHV_NAMELEN) {
			*why = "a server name of 1 to 255 bytes";
			return -1;
		}
		if (c->nsni == PKTBHV_MAX_SNI) {
			*why = "at most 8 names";
			return -1;
		}
		strcpy(c->sni[c->nsni++], v);
	} else if (KEY("pattern")) {
		if (vlen == 0 || vlen >= PKTBHV_PATLEN) {
			*why = "a pattern of 1 to 63 bytes";
			return -1;
		}
		strcpy(c->pattern, v);
	} else if (KEY("mtu")) {
		if (pktbhv_uint(v, 0, 65535, &c->mtu) != 0) {
			*why = "bytes of payload, 0 to 65535";
			return -1;
		}
	} else if (KEY("drop") || KEY("dup") || KEY("delay")) {
		uint32_t *p = KEY("drop") ? &c->p_drop : KEY("dup") ?
		    &c->p_dup : &c->p_delay;

		if (pktbhv_prob(v, p) != 0) {
			*why = "a probability, 0 to 1 or 0% to 100%";
			return -1;
		}
	} else if (KEY("delay-ms")) {
		if (pktbhv_uint(v, 1, 60000, &c->delay_ms) != 0) {
			*why = "milliseconds, 1 to 60000";
			return -1;
		}
	} else {
		*why = "unknown key (sni, pattern, mtu, drop, dup, delay, "
		    "delay-ms)";
		return -1;
	}
#undef KEY
	return 0;
}

/* Case-insensitive search of pat in p. */
static const uint8_t *
pktbhv_find_ci(const uint8_t *p, size_t n, const char *pat, size_t plen)
{
	size_t i;

	if (plen == 0 || n < plen)
		return NULL;
	for (i = 0; i + plen <= n; i++)
		if (strncasecmp((const char *)p + i, pat, plen) == 0)
			return p + i;
	return NULL;
}

/*
 * Renames header name `from` at line starts (after CRLF, or at the
 * segment's first byte when it looks like a head's line) to `to`, of the
 * same length. Returns the renames made; *first is the first offset.
 */
static size_t
pktbhv_rename(uint8_t *p, size_t n, const char *from, const char *to,
    size_t *first)
{
	size_t len = strlen(from), i, made = 0;

	for (i = 0; i + len + 1 <= n; i++) {
		if (i > 0 && !(i >= 2 && p[i - 2] == '\r' && p[i - 1] == '\n'))
			continue;
		if (strncasecmp((const char *)p + i, from, len) != 0 ||
		    p[i + len] != ':')
			continue;
		memcpy(p + i, to, len);
		if (made++ == 0)
			*first = i;
		i += len;
	}
	return made;
}

void
pktbhv_apply(const struct pktbhv_conf *c, const struct pkt *pk, uint8_t *buf,
    int to_server, struct pktbhv_act *a)
{
	uint8_t *pay = buf + pk->payoff;
	const uint8_t *hit;
	size_t off = 0, n;

	memset(a, 0, sizeof(*a));
	if (pk->plen == 0)
		return;
	switch (c->kind) {
	case PKTBHV_PASSTHROUGH:
	case PKTBHV_MAX:
		break;
	case PKTBHV_CNEONCTION:
		if (!to_server)
			break;
		n = pktbhv_rename(pay, pk->plen, "Connection", "Cneonction",
		    &off);
		a->count = pktbhv_rename(pay, pk->plen, "Upgrade", "Upgrxde",
		    &a->offset);
		if (n > 0 && (a->count == 0 || off < a->offset))
			a->offset = off;
		a->count += n;
		if (a->count > 0) {
			a->v = PKTBHV_MANGLED;
			a->what = "rename";
		}
		break;
	case PKTBHV_DPI_RESET:
		hit = pktbhv_find_ci(pay, pk->plen, c->pattern,
		    strlen(c->pattern));
		if (hit != NULL) {
			a->v = PKTBHV_RESET;
			a->what = "pattern";
			a->offset = (size_t)(hit - pay);
			strcpy(a->detail, c->pattern);
		}
		break;
	case PKTBHV_SNI_BLOCK: {
		char name[PKTBHV_NAMELEN];
		size_t i;

		if (!to_server || pktbhv_sni(pay, pk->plen, name,
		    sizeof(name)) != 1)
			break;
		for (i = 0; i < c->nsni; i++)
			if (strcasecmp(name, c->sni[i]) == 0)
				break;
		if (i < c->nsni) {
			a->v = PKTBHV_RESET;
			a->what = "sni";
			strcpy(a->detail, name);
		}
		break;
	}
	case PKTBHV_PMTU_BLACKHOLE:
		if (pk->plen > c->mtu) {
			a->v = PKTBHV_DROP;
			a->what = "size";
			a->count = pk->plen;
		}
		break;
	}
}

static uint16_t
pktbhv_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int
pktbhv_sni(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	size_t rec, hs, off, end, l;

	/* Record: handshake, version 3.x, length; ClientHello. */
	if (n < 9 || p[0] != 0x16 || p[1] != 3 || p[5] != 1)
		return -1;
	rec = pktbhv_get16(p + 3);
	hs = (size_t)p[6] << 16 | (size_t)p[7] << 8 | p[8];
	end = 5 + rec;
	if (end > n)
		end = n;	/* the rest is in later segments */
	if (9 + hs < end)
		end = 9 + hs;
	off = 9 + 2 + 32;	/* client version, random */
	if (off + 1 > end)
		return 0;
	off += 1 + p[off];			/* session id */
	if (off + 2 > end)
		return 0;
	off += 2 + pktbhv_get16(p + off);	/* cipher suites */
	if (off + 1 > end)
		return 0;
	off += 1 + p[off];			/* compression methods */
	if (off + 2 > end)
		return 0;
	l = pktbhv_get16(p + off);		/* extensions */
	off += 2;
	if (off + l < end)
		end = off + l;
	while (off + 4 <= end) {
		uint16_t type = pktbhv_get16(p + off);
		size_t elen = pktbhv_get16(p + off + 2), e = off + 4, nl;

		off = e + elen;
		if (type != 0)
			continue;
		/* server_name: list length, then type 0 (host_name), name. */
		if (off > end || elen < 5 || p[e + 2] != 0)
			return 0;
		nl = pktbhv_get16(p + e + 3);
		if (e + 5 + nl > off || nl == 0 || nl >= outlen)
			return 0;
		memcpy(out, p + e + 5, nl);
		out[nl] = '\0';
		return memchr(out, '\0', nl) == NULL ? 1 : 0;
	}
	return 0;
}
