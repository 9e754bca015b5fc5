/*
 * libFuzzer target for ws.c: the frame decoders, the handshake parsers
 * and the URL parser. The first byte picks the parser and its options.
 * Besides crashes it traps on broken properties: a header prefix never
 * decides differently from the whole header, encode and decode agree,
 * and UTF-8 checking gives the same answer however the input is split.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ws.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

static void
fuzz_frames(unsigned sel, const uint8_t *p, size_t n)
{
	unsigned flags = (sel & 1 ? WS_F_MASKED : 0) | (sel & 2 ? WS_F_UNMASKED : 0) |
	    (sel & 4 ? WS_F_RSV1 : 0);
	uint64_t maxlen = sel & 8 ? 125 : 1 << 20;
	struct ws_frame f, g;
	struct ws_seq seq;
	struct ws_utf8 u;
	uint8_t hdr[WS_HDR_MAX], *pl;
	size_t off = 0, k;
	unsigned code;
	int r, op;

	ws_seq_init(&seq);
	ws_utf8_init(&u);
	while (off < n) {
		r = ws_frame_parse(p + off, n - off, flags, maxlen, &f);
		/* No prefix of what decided may decide otherwise. */
		for (k = 0; k < n - off && k < WS_HDR_MAX; k++) {
			int rk = ws_frame_parse(p + off, k, flags, maxlen, &g);

			CHECK(rk == 0 || rk == r);
		}
		if (r <= 0)
			return;
		CHECK((size_t)r == f.hdrlen && r >= 2 && r <= WS_HDR_MAX);
		CHECK(f.len <= maxlen);
		if (f.rsv == 0) {
			/* The same header, encoded again, decodes the same. */
			size_t h = ws_frame_header(hdr, f.fin, f.opcode, f.len,
			    f.masked ? f.mask : NULL);
			CHECK(h > 0 && h <= (size_t)r);
			CHECK(ws_frame_parse(hdr, h, 0, UINT64_MAX, &g) == (int)h);
			CHECK(g.fin == f.fin && g.opcode == f.opcode && g.len == f.len &&
			    g.masked == f.masked);
		}
		op = ws_seq_frame(&seq, &f, 1 << 20);
		if (op < 0)
			return;
		off += (size_t)r;
		if (n - off < f.len)
			return;
		if ((pl = malloc(f.len + 1)) == NULL)
			return;
		memcpy(pl, p + off, f.len);
		if (f.masked)
			ws_mask(pl, f.len, f.mask, 0);
		if (f.opcode == WS_OP_CLOSE)
			(void)!ws_close_parse(pl, f.len, &code);
		else if (op == WS_OP_TEXT)
			(void)!ws_utf8_feed(&u, pl, f.len);
		free(pl);
		off += f.len;
	}
}

static void
fuzz_hixie(unsigned sel, const uint8_t *p, size_t n)
{
	struct ws_hixie_frame h;
	uint64_t maxlen = sel & 1 ? 16 : 1 << 20;
	uint8_t *enc;
	ssize_t r, e;
	size_t off = 0;

	while (off < n) {
		r = ws_hixie_parse(p + off, n - off, maxlen, &h);
		if (r <= 0)
			break;
		CHECK((size_t)r <= n - off && h.off + h.len <= (uint64_t)r);
		if (h.type == 0 && !h.close) {
			/* A text frame re-encodes to itself. */
			if ((enc = malloc((size_t)h.len + 2)) == NULL)
				return;
			e = ws_hixie_encode(enc, (size_t)h.len + 2, p + off + h.off,
			    (size_t)h.len);
			CHECK(e == r && memcmp(enc, p + off, (size_t)r) == 0);
			free(enc);
		}
		off += (size_t)r;
	}
}

static void
fuzz_request(unsigned sel, const uint8_t *p, size_t n)
{
	struct ws_request rq;
	struct ws_respopts so = { (int)(sel & 1), sel & 2 ? "chat" : NULL, "fuzz" };
	char resp[4096];
	uint8_t ans[WS_ANSWER_LEN];
	ssize_t r, s;

	r = ws_server_request(p, n, sel & 4 ? 64 : WS_HEAD_MAX, &rq);
	if (r <= 0)
		return;
	CHECK((size_t)r <= n && rq.head.len == (size_t)r);
	s = ws_server_response(&rq, &so, resp, sizeof(resp));
	CHECK(s > 0 || s == -WS_E_NOSPACE);
	if (rq.version == 76 && n - (size_t)r >= WS_KEY3_LEN)
		CHECK(ws_h76_answer(rq.key1->value, rq.key1->valuelen, rq.key2->value,
		    rq.key2->valuelen, p + r, ans) == 0);
}

static void
fuzz_response(unsigned sel, const uint8_t *p, size_t n)
{
	static const int versions[] = { 13, 8, 7, 76, 75 };
	struct ws_client c;
	struct ws_reqopts ro = { "/", "h", sel & 8 ? "http://o" : NULL,
	    sel & 16 ? "chat" : NULL, sel & 32 ? "ws://h/" : NULL, NULL, 0 };
	struct ws_response rs;
	uint8_t rnd[WS_CLIENT_RAND];
	ssize_t r;

	memset(rnd, 0x5a, sizeof(rnd));
	if (ws_client_init(&c, versions[sel % 5], rnd) != 0)
		__builtin_trap();
	r = ws_client_response(&c, &ro, p, n, WS_HEAD_MAX, &rs);
	CHECK(r <= (ssize_t)n);
	if (r > 0 || r == -WS_E_STATUS)
		CHECK(rs.head.len > 0 && rs.head.len <= n);
}

static void
fuzz_url(const uint8_t *p, size_t n)
{
	struct ws_url u;
	char *s = malloc(n + 1);

	if (s == NULL)
		return;
	memcpy(s, p, n);
	s[n] = '\0';
	if (ws_url_parse(s, &u) == 0) {
		CHECK(u.port != 0 && u.resource[0] == '/' && u.host[0] != '\0');
		CHECK(strlen(u.hostport) < sizeof(u.hostport));
	}
	free(s);
}

static void
fuzz_text(unsigned sel, const uint8_t *p, size_t n)
{
	struct ws_utf8 u;
	struct ws_head h;
	uint8_t out[WS_CTRL_MAX];
	size_t cut = n > 0 ? sel % (n + 1) : 0, len;
	uint32_t num;
	unsigned code;
	int whole = ws_utf8_valid(p, n), split;

	ws_utf8_init(&u);
	split = ws_utf8_feed(&u, p, cut) == 0 && ws_utf8_feed(&u, p + cut, n - cut) == 0 &&
	    ws_utf8_done(&u) == 0;
	CHECK(whole == split);
	if (ws_close_parse(p, n, &code) == 0 && n >= 2) {
		len = ws_close_payload(out, code, (const char *)p + 2, n - 2);
		CHECK(len == n && memcmp(out, p, n) == 0);
	}
	(void)!ws_h76_key_number((const char *)p, n, &num);
	if (ws_head_scan(p, n, WS_HEAD_MAX, &h) > 0)
		(void)ws_head_has_token(&h, "Connection", "upgrade");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sel;

	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	switch (sel % 6) {
	case 0: fuzz_frames(sel / 6, data, size); break;
	case 1: fuzz_hixie(sel / 6, data, size); break;
	case 2: fuzz_request(sel / 6, data, size); break;
	case 3: fuzz_response(sel / 6, data, size); break;
	case 4: fuzz_url(data, size); break;
	default: fuzz_text(sel / 6, data, size); break;
	}
	return 0;
}
