/* The ClientHello parser; see tlshello.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tlshello.h"

#define TLSHELLO_EXT_SNI	0
#define TLSHELLO_EXT_ALPN	16
#define TLSHELLO_EXT_VERSIONS	43

/*
 * A reader over the handshake message as the records carry it: record
 * headers are skipped as they come, so a message split across records
 * reads as one, without a copy. The first failure sticks (rc), and every
 * read after it yields zeros.
 */
struct tlshello_rd {
	const unsigned char	*p;
	size_t			 n;
	size_t			 pos;		/* next input byte */
	size_t			 rec_left;	/* of the current record */
	size_t			 off;		/* in the message */
	size_t			 end;		/* the message's length */
	size_t			 nrecords;
	enum tlshello_rc	 rc;		/* NEED_MORE or MALFORMED once failed */
	int			 failed;
	const char		*err;
};

static void
tlshello_fail(struct tlshello_rd *rd, enum tlshello_rc rc, const char *err)
{
	if (rd->failed)
		return;
	rd->failed = 1;
	rd->rc = rc;
	rd->err = err;
}

/* The next record's header: handshake, version 3.x, 1 to 2^14 bytes. */
static int
tlshello_record(struct tlshello_rd *rd)
{
	const unsigned char *h = rd->p + rd->pos;
	size_t len;

	if (rd->n - rd->pos < 5) {
		tlshello_fail(rd, TLSHELLO_NEED_MORE, "record header");
		return -1;
	}
	if (h[0] != 0x16 || h[1] != 0x03) {
		tlshello_fail(rd, TLSHELLO_MALFORMED,
		    "a record that is not a handshake inside the ClientHello");
		return -1;
	}
	len = (size_t)h[3] << 8 | h[4];
	if (len == 0 || len > TLSHELLO_MAX_RECORD) {
		tlshello_fail(rd, TLSHELLO_MALFORMED, "record length");
		return -1;
	}
	rd->pos += 5;
	rd->rec_left = len;
	rd->nrecords++;
	return 0;
}

static unsigned
tlshello_u8(struct tlshello_rd *rd)
{
	if (rd->failed)
		return 0;
	if (rd->off >= rd->end) {
		tlshello_fail(rd, TLSHELLO_MALFORMED, "a field runs past the message");
		return 0;
	}
	if (rd->rec_left == 0 && tlshello_record(rd) != 0)
		return 0;
	if (rd->pos >= rd->n) {
		tlshello_fail(rd, TLSHELLO_NEED_MORE, "message body");
		return 0;
	}
	rd->rec_left--;
	rd->off++;
	return rd->p[rd->pos++];
}

static unsigned
tlshello_u16(struct tlshello_rd *rd)
{
	unsigned hi = tlshello_u8(rd);

	return hi << 8 | tlshello_u8(rd);
}

/* Copies len bytes into dst (or skips them when dst is NULL). */
static void
tlshello_bytes(struct tlshello_rd *rd, unsigned char *dst, size_t len)
{
	size_t i;

	for (i = 0; i < len && !rd->failed; i++) {
		unsigned char b = (unsigned char)tlshello_u8(rd);

		if (dst != NULL)
			dst[i] = b;
	}
}

/* A vector's end from its length; MALFORMED past limit. */
static size_t
tlshello_vec_end(struct tlshello_rd *rd, size_t len, size_t limit)
{
	if (rd->off + len > limit) {
		tlshello_fail(rd, TLSHELLO_MALFORMED, "a vector runs past its parent");
		return rd->off;
	}
	return rd->off + len;
}

/* The whole extension must have been consumed. */
static void
tlshello_check_end(struct tlshello_rd *rd, size_t end, const char *what)
{
	if (!rd->failed && rd->off != end)
		tlshello_fail(rd, TLSHELLO_MALFORMED, what);
}

static void
tlshello_sni(struct tlshello_rd *rd, struct tlshello *th, size_t ext_end)
{
	size_t list_end = tlshello_vec_end(rd, tlshello_u16(rd), ext_end);

	if (!rd->failed && list_end != ext_end) {
		tlshello_fail(rd, TLSHELLO_MALFORMED, "server_name list length");
		return;
	}
	if (!rd->failed && list_end == rd->off) {
		tlshello_fail(rd, TLSHELLO_MALFORMED, "empty server_name list");
		return;
	}
	while (!rd->failed && rd->off < list_end) {
		unsigned type = tlshello_u8(rd);
		size_t len = tlshello_u16(rd);

		(void)tlshello_vec_end(rd, len, list_end);
		if (rd->failed)
			return;
		if (type != 0) {
			tlshello_bytes(rd, NULL, len);
			continue;
		}
		if (len == 0 || len > TLSHELLO_MAX_SNI) {
			tlshello_fail(rd, TLSHELLO_MALFORMED, "host_name length");
			return;
		}
		if (th->nsni++ == 0) {
			tlshello_bytes(rd, (unsigned char *)th->sni, len);
			th->sni[len] = '\0';
			th->sni_len = len;
		} else
			tlshello_bytes(rd, NULL, len);
	}
}

static void
tlshello_alpn_ext(struct tlshello_rd *rd, struct tlshello *th,
    size_t ext_end)
{
	size_t list_end = tlshello_vec_end(rd, tlshello_u16(rd), ext_end);
	size_t used = 0;

	if (!rd->failed && (list_end != ext_end || list_end == rd->off)) {
		tlshello_fail(rd, TLSHELLO_MALFORMED, "ALPN list length");
		return;
	}
	th->has_alpn = 1;
	while (!rd->failed && rd->off < list_end) {
		size_t len = tlshello_u8(rd);

		(void)tlshello_vec_end(rd, len, list_end);
		if (rd->failed)
			return;
		if (len == 0) {
			tlshello_fail(rd, TLSHELLO_MALFORMED, "empty ALPN protocol");
			return;
		}
		th->nalpn++;
		if (th->alpn_kept < TLSHELLO_MAX_ALPN &&
		    used + len <= sizeof(th->alpn_buf)) {
			th->alpn_off[th->alpn_kept] = (uint16_t)used;
			th->alpn_len[th->alpn_kept] = (uint8_t)len;
			th->alpn_kept++;
			tlshello_bytes(rd, th->alpn_buf + used, len);
			used += len;
		} else
			tlshello_bytes(rd, NULL, len);
	}
}

static void
tlshello_versions(struct tlshello_rd *rd, struct tlshello *th,
    size_t ext_end)
{
	size_t len = tlshello_u8(rd);
	size_t list_end = tlshello_vec_end(rd, len, ext_end);

	if (!rd->failed && (list_end != ext_end || len == 0 || len % 2 != 0)) {
		tlshello_fail(rd, TLSHELLO_MALFORMED,
		    "supported_versions length");
		return;
	}
	while (!rd->failed && rd->off < list_end) {
		uint16_t v = (uint16_t)tlshello_u16(rd);

		if (th->nversions < TLSHELLO_MAX_VERS)
			th->versions[th->nversions] = v;
		th->nversions++;
	}
	if (th->nversions > TLSHELLO_MAX_VERS)
		th->nversions = TLSHELLO_MAX_VERS;
}

static void
tlshello_extensions(struct tlshello_rd *rd, struct tlshello *th)
{
	size_t exts_end = tlshello_vec_end(rd, tlshello_u16(rd), rd->end);
	unsigned seen = 0;

	if (!rd->failed && exts_end != rd->end) {
		tlshello_fail(rd, TLSHELLO_MALFORMED,
		    "bytes after the extensions");
		return;
	}
	while (!rd->failed && rd->off < exts_end) {
		unsigned type = tlshello_u16(rd);
		size_t ext_end = tlshello_vec_end(rd, tlshello_u16(rd), exts_end);
		unsigned bit = type == TLSHELLO_EXT_SNI ? 1 :
		    type == TLSHELLO_EXT_ALPN ? 2 :
		    type == TLSHELLO_EXT_VERSIONS ? 4 : 0;

		if (rd->failed)
			return;
		th->nexts++;
		if (seen & bit) {
			/* RFC 8446 4.2: at most one of each type. */
			tlshello_fail(rd, TLSHELLO_MALFORMED, "duplicate extension");
			return;
		}
		seen |= bit;
		switch (type) {
		case TLSHELLO_EXT_SNI:
			/* An empty server_name is the server's echo, not a
			 * client's; a client always names a host. */
			tlshello_sni(rd, th, ext_end);
			break;
		case TLSHELLO_EXT_ALPN:
			tlshello_alpn_ext(rd, th, ext_end);
			break;
		case TLSHELLO_EXT_VERSIONS:
			tlshello_versions(rd, th, ext_end);
			break;
		default:
			tlshello_bytes(rd, NULL, ext_end - rd->off);
			break;
		}
		tlshello_check_end(rd, ext_end, "an extension's inner length");
	}
}

enum tlshello_rc
tlshello_parse(const void *buf, size_t n, struct tlshello *th)
{
	const unsigned char *p = buf;
	struct tlshello_rd rd;
	size_t len;
	unsigned sid, comp;

	memset(th, 0, sizeof(*th));
	/* The first record and message header, byte by byte, as sniff.c. */
	if (n >= 1 && p[0] != 0x16) {
		th->err = "not a handshake record";
		return TLSHELLO_NOT_TLS;
	}
	if (n >= 2 && p[1] != 0x03) {
		th->err = "record version is not 3.x";
		return TLSHELLO_NOT_TLS;
	}
	if (n >= 3 && p[2] > 0x04) {
		th->err = "record version is not 3.x";
		return TLSHELLO_NOT_TLS;
	}
	/* Decided in byte order, so that more bytes never change a verdict. */
	if (n >= 5 && ((p[3] << 8 | p[4]) == 0 ||
	    (p[3] << 8 | p[4]) > TLSHELLO_MAX_RECORD)) {
		th->err = "record length";
		return TLSHELLO_MALFORMED;
	}
	if (n >= 6 && p[5] != 0x01) {
		th->err = "the handshake message is not a ClientHello";
		return TLSHELLO_NOT_TLS;
	}
	memset(&rd, 0, sizeof(rd));
	rd.p = p;
	rd.n = buf == NULL ? 0 : n;
	rd.end = 4;
	if (n >= 3)
		th->record_version = (uint16_t)(p[1] << 8 | p[2]);
	/* The handshake header: type, then a 24-bit length. */
	(void)tlshello_u8(&rd);
	len = (size_t)tlshello_u8(&rd) << 16;
	len |= (size_t)tlshello_u8(&rd) << 8;
	len |= tlshello_u8(&rd);
	if (!rd.failed && len > TLSHELLO_MAX_MSG - 4)
		tlshello_fail(&rd, TLSHELLO_MALFORMED, "ClientHello too long");
	if (!rd.failed && len < 2 + 32 + 1 + 2 + 1)
		tlshello_fail(&rd, TLSHELLO_MALFORMED, "ClientHello too short");
	rd.end = 4 + len;
	th->legacy_version = (uint16_t)tlshello_u16(&rd);
	tlshello_bytes(&rd, NULL, 32);		/* random */
	sid = tlshello_u8(&rd);
	if (!rd.failed && sid > 32)
		tlshello_fail(&rd, TLSHELLO_MALFORMED, "session id length");
	tlshello_bytes(&rd, NULL, sid);
	len = tlshello_u16(&rd);
	if (!rd.failed && (len < 2 || len % 2 != 0))
		tlshello_fail(&rd, TLSHELLO_MALFORMED, "cipher suites length");
	(void)tlshello_vec_end(&rd, len, rd.end);
	th->ciphers = len / 2;
	tlshello_bytes(&rd, NULL, len);
	comp = tlshello_u8(&rd);
	if (!rd.failed && comp == 0)
		tlshello_fail(&rd, TLSHELLO_MALFORMED, "no compression method");
	(void)tlshello_vec_end(&rd, comp, rd.end);
	tlshello_bytes(&rd, NULL, comp);
	/* Extensions are optional before TLS 1.3 (RFC 5246 7.4.1.2). */
	if (!rd.failed && rd.off < rd.end)
		tlshello_extensions(&rd, th);
	th->nrecords = rd.nrecords;
	if (rd.failed) {
		th->err = rd.err;
		return rd.rc;
	}
	th->hello_len = rd.end;
	th->wire_len = rd.pos + rd.rec_left;
	return TLSHELLO_OK;
}

const char *
tlshello_rc_name(enum tlshello_rc rc)
{
	switch (rc) {
	case TLSHELLO_NEED_MORE:	return "need_more";
	case TLSHELLO_OK:		return "ok";
	case TLSHELLO_NOT_TLS:		return "not_tls";
	case TLSHELLO_MALFORMED:	return "malformed";
	}
	return "?";
}

const char *
tlshello_version_name(uint16_t v, char *buf, size_t cap)
{
	static const char *const names[] = { "SSLv3", "TLSv1.0", "TLSv1.1",
	    "TLSv1.2", "TLSv1.3" };

	if (v >= 0x0300 && v <= 0x0304)
		snprintf(buf, cap, "%s", names[v - 0x0300]);
	else
		snprintf(buf, cap, "0x%04x", v);
	return buf;
}

const unsigned char *
tlshello_alpn(const struct tlshello *th, size_t i, size_t *len)
{
	if (i >= th->alpn_kept) {
		*len = 0;
		return NULL;
	}
	*len = th->alpn_len[i];
	return th->alpn_buf + th->alpn_off[i];
}

int
tlshello_name_match(const char *pattern, const char *host, size_t len)
{
	size_t plen = strlen(pattern);

	if (host == NULL || len == 0)
		return 0;
	if (host[len - 1] == '.')
		len--;
	if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* "*.lab" matches "a.lab", "a.b.lab", never "lab". */
		size_t slen = plen - 1;	/* ".lab" */

		return len > slen && memchr(host, '\0', len) == NULL &&
		    strncasecmp(host + len - slen, pattern + 1, slen) == 0;
	}
	return len == plen && memchr(host, '\0', len) == NULL &&
	    strncasecmp(host, pattern, len) == 0;
}
