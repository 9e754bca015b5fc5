/* Unit tests for h1.c: head parsing, lookups and message framing. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "h1.h"
#include "h1_vectors.h"
#include "tap.h"

/* draft-hixie-76 section 1.3, with key3 after the head. */
static const char req76[] =
    "GET /demo HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n"
    "Sec-WebSocket-Protocol: sample\r\n"
    "Upgrade: WebSocket\r\n"
    "Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"
    "Origin: http://example.com\r\n"
    "\r\n"
    "^n:ds[4U";

static const char resp76[] =
    "HTTP/1.1 101 WebSocket Protocol Handshake\r\n"
    "Upgrade: WebSocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Origin: http://example.com\r\n"
    "Sec-WebSocket-Location: ws://example.com/demo\r\n"
    "Sec-WebSocket-Protocol: sample\r\n"
    "\r\n"
    "8jKS'y:G*Co,Wxa-";

static const char chunked[] =
    "HTTP/1.1 200 OK\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "4\r\nWiki\r\n"
    "5;ext=\"1\"\r\npedia\r\n"
    "E\r\n in\r\n\r\nchunks.\r\n"
    "0\r\n"
    "X-Trailer: 1\r\n"
    "\r\n"
    "HTTP/1.1 204 No Content\r\n\r\n";

static int
span_is(const char *buf, struct h1_span s, const char *want)
{
	return s.len == strlen(want) && memcmp(buf + s.off, want, s.len) == 0;
}

/*
 * Feeds in to a fresh h1_msg as the bytes arrive at the given split
 * points (cuts[] ascending, ending at len) and writes a transcript: one
 * token per run of units ("H<len>", "B<len>", "F", "X<len>", "T<len>",
 * "." when a message ends, "E:<error>"), then the EOF verdict. The body
 * bytes are collected in body.
 */
static void
run(enum h1_kind kind, enum h1_method meth, const char *in, size_t len,
    const size_t *cuts, size_t ncuts, char *out, size_t cap,
    char *body, size_t bodycap)
{
	struct h1_msg m;
	struct h1_feed_result res;
	size_t pos = 0, avail, ci = 0, o = 0, bl = 0, run_len = 0;
	enum h1_unit last = H1_U_NEED_MORE;
	int r;

	h1_msg_init(&m, kind);
	h1_msg_set_method(&m, meth);
	avail = ncuts > 0 ? cuts[0] : len;
	out[0] = '\0';
#define FLUSH() do {							\
	if (last == H1_U_BODY || last == H1_U_EXTRA || last == H1_U_TUNNEL) \
		o += (size_t)snprintf(out + o, cap - o, "%c%zu",	\
		    last == H1_U_BODY ? 'B' : last == H1_U_EXTRA ? 'X' : 'T', \
		    run_len);						\
	else if (last == H1_U_FRAMING)					\
		o += (size_t)snprintf(out + o, cap - o, "F");		\
	last = H1_U_NEED_MORE;						\
	run_len = 0;							\
} while (0)
	for (;;) {
		r = h1_msg_feed(&m, in + pos, avail - pos, &res);
		if (r < 0) {
			FLUSH();
			o += (size_t)snprintf(out + o, cap - o, "E:%s",
			    h1_strerror(r));
			return;
		}
		if (r == 0) {
			if (avail == len)
				break;
			avail = ++ci < ncuts ? cuts[ci] : len;
			continue;
		}
		if (res.unit == H1_U_BODY && bl + (size_t)r <= bodycap) {
			memcpy(body + bl, in + pos, (size_t)r);
			bl += (size_t)r;
		}
		if (res.unit != last || res.unit == H1_U_HEAD)
			FLUSH();
		if (res.unit == H1_U_HEAD)
			o += (size_t)snprintf(out + o, cap - o, "H%d", r);
		else {
			last = res.unit;
			run_len += (size_t)r;
		}
		if (res.done) {
			FLUSH();
			o += (size_t)snprintf(out + o, cap - o, ".");
		}
		pos += (size_t)r;
	}
	FLUSH();
#undef FLUSH
	r = h1_msg_eof(&m);
	o += (size_t)snprintf(out + o, cap - o, " eof:%s",
	    r < 0 ? h1_strerror(r) : "ok");
	if (bl < bodycap)
		body[bl] = '\0';
}

static void
check_run(enum h1_kind kind, enum h1_method meth, const char *in, size_t len,
    const char *want, const char *name)
{
	char got[512], body[512];

	if (len == (size_t)-1)
		len = strlen(in);
	run(kind, meth, in, len, NULL, 0, got, sizeof(got), body, sizeof(body));
	is_str(got, want, name);
}

static void
check_err(enum h1_kind kind, const char *in, int want, const char *name)
{
	struct h1_head h;

	is_str(h1_strerror(h1_parse_head(in, strlen(in), kind, &h)),
	    h1_strerror(want), name);
}

/* Every way of splitting a stream gives the one-piece transcript. */
static void
check_splits(enum h1_kind kind, enum h1_method meth, const char *in,
    size_t len, const char *wantbody, const char *name)
{
	char want[512], got[512], wb[512], body[512];
	size_t cuts[64], i, n, bad = 0, badbody = 0;
	unsigned long seed = 12345;
	int k;

	run(kind, meth, in, len, NULL, 0, want, sizeof(want), wb, sizeof(wb));
	if (wantbody != NULL)
		is_str(wb, wantbody, "body bytes in one piece");
	/* Two pieces, cut at every offset. */
	for (i = 0; i <= len; i++) {
		cuts[0] = i;
		run(kind, meth, in, len, cuts, 1, got, sizeof(got), body,
		    sizeof(body));
		bad += strcmp(got, want) != 0;
		badbody += strcmp(body, wb) != 0;
	}
	ok(bad == 0 && badbody == 0, "%s: cut at every offset (%zu bad)",
	    name, bad + badbody);
	/* One byte at a time. */
	bad = 0;
	for (i = 0; i < len && i < nitems(cuts); i++)
		cuts[i] = i + 1;
	if (len <= nitems(cuts)) {
		run(kind, meth, in, len, cuts, len, got, sizeof(got), body,
		    sizeof(body));
		is_str(got, want, "byte by byte");
	} else {
		struct h1_msg m;
		struct h1_feed_result res;
		size_t pos = 0, avail = 0, bl = 0;
		int r;

		/* Too long for the cut table: drive it here. */
		h1_msg_init(&m, kind);
		h1_msg_set_method(&m, meth);
		while (avail <= len) {
			r = h1_msg_feed(&m, in + pos, avail - pos, &res);
			if (r < 0)
				break;
			if (r == 0) {
				avail++;
				continue;
			}
			if (res.unit == H1_U_BODY) {
				memcpy(body + bl, in + pos, (size_t)r);
				bl += (size_t)r;
			}
			pos += (size_t)r;
		}
		body[bl] = '\0';
		ok(pos == len && strcmp(body, wb) == 0,
		    "%s: byte by byte consumes all, same body", name);
	}
	/* Random splits (a fixed LCG keeps the test repeatable). */
	bad = 0;
	for (k = 0; k < 200; k++) {
		n = 0;
		i = 0;
		while (n < nitems(cuts) - 1) {
			seed = seed * 1103515245UL + 12345UL;
			i += (seed >> 16) % 9;
			if (i >= len)
				break;
			cuts[n++] = i;
		}
		run(kind, meth, in, len, cuts, n, got, sizeof(got), body,
		    sizeof(body));
		bad += strcmp(got, want) != 0 || strcmp(body, wb) != 0;
	}
	ok(bad == 0, "%s: 200 random splits (%zu bad)", name, bad);
}

static void
test_request13(void)
{
	struct h1_head h;
	size_t i, bad = 0;
	int r;

	r = h1_parse_head(req13, sizeof(req13) - 1, H1_REQUEST, &h);
	is_int(r, (long long)sizeof(req13) - 1, "RFC 6455 request: whole head");
	ok(span_is(req13, h.method, "GET") && h.meth == H1_M_GET, "method");
	ok(span_is(req13, h.target, "/chat"), "target");
	ok(span_is(req13, h.version, "HTTP/1.1") && h.minor == 1, "version");
	ok(span_is(req13, h.line, "GET /chat HTTP/1.1\r\n"), "start line span");
	is_int((long long)h.nhdr, 7, "7 headers");
	ok(span_is(req13, h.hdr[0].name, "Host") &&
	    span_is(req13, h.hdr[0].value, "198.18.2.2") &&
	    span_is(req13, h.hdr[0].line, "Host: 198.18.2.2\r\n"),
	    "Host name, value and line spans");
	ok(span_is(req13, h.end, "\r\n"), "final CRLF span");
	is_int(h.flags & H1_F_BARE_LF, 0, "no bare LF");
	is_int(h1_header_find(&h, req13, "sec-websocket-key", 0), 3,
	    "find is case-insensitive");
	is_int(h1_header_find(&h, req13, "Host", 1), -1, "find from index");
	ok(h1_header_has_token(&h, req13, "connection", "UPGRADE"),
	    "Connection has upgrade");
	ok(!h1_header_has_token(&h, req13, "Connection", "keep-alive"),
	    "Connection has no keep-alive");
	is_str(h1_ws_name(h1_head_ws_kind(&h, req13)), "hybi", "ws kind hybi");
	for (i = 0; i < sizeof(req13) - 1; i++)
		bad += h1_parse_head(req13, i, H1_REQUEST, &h) != 0;
	is_int((long long)bad, 0, "every proper prefix needs more");
	is_int(h1_parse_head_max(req13, 40, 40, H1_REQUEST, &h),
	    -H1_E_TOO_BIG, "bounded by max");
	check_run(H1_REQUEST, H1_M_GET, req13, sizeof(req13) - 1,
	    "H201. eof:ok", "upgrade request: head, then nothing");
}

static void
test_response13(void)
{
	struct h1_head h;
	char in[256];
	int r;

	r = h1_parse_head(resp13, sizeof(resp13) - 1, H1_RESPONSE, &h);
	is_int(r, (long long)sizeof(resp13) - 1, "RFC 6455 101: whole head");
	is_int(h.status, 101, "status 101");
	ok(span_is(resp13, h.reason, "Switching Protocols"), "reason");
	is_str(h1_ws_name(h1_head_ws_kind(&h, resp13)), "hybi", "101 hybi");
	snprintf(in, sizeof(in), "%s%s", resp13, "\x81\x02hi");
	check_run(H1_RESPONSE, H1_M_GET, in, strlen(in), "H129.T4 eof:ok",
	    "101 then tunnel bytes");
	r = h1_parse_head("HTTP/1.1 200\r\n\r\n", 16, H1_RESPONSE, &h);
	ok(r == 16 && h.status == 200 && h.reason.len == 0,
	    "status line without reason or its SP");
}

static void
test_hixie(void)
{
	struct h1_head h;
	const char *hx75 = "GET /demo HTTP/1.1\r\nUpgrade: WebSocket\r\n"
	    "Connection: Upgrade\r\nHost: example.com\r\n"
	    "Origin: http://example.com\r\n\r\n";
	const char *r75 = "HTTP/1.1 101 Web Socket Protocol Handshake\r\n"
	    "Upgrade: WebSocket\r\nConnection: Upgrade\r\n"
	    "WebSocket-Origin: http://example.com\r\n"
	    "WebSocket-Location: ws://example.com/demo\r\n\r\n";
	int r;

	r = h1_parse_head(req76, sizeof(req76) - 1, H1_REQUEST, &h);
	is_int(r, (long long)sizeof(req76) - 1 - 8, "hixie-76 head ends before key3");
	is_str(h1_ws_name(h1_head_ws_kind(&h, req76)), "hixie76",
	    "hixie-76 request");
	check_run(H1_REQUEST, H1_M_GET, req76, sizeof(req76) - 1,
	    "H224.X8 eof:ok", "key3: 8 undeclared bytes after the head");
	r = h1_parse_head(resp76, sizeof(resp76) - 1, H1_RESPONSE, &h);
	is_str(h1_ws_name(h1_head_ws_kind(&h, resp76)), "hixie76",
	    "hixie-76 101");
	check_run(H1_RESPONSE, H1_M_GET, resp76, sizeof(resp76) - 1,
	    "H207.T16 eof:ok", "the 16-byte answer is tunnel, not body");
	r = h1_parse_head(hx75, strlen(hx75), H1_REQUEST, &h);
	is_str(h1_ws_name(h1_head_ws_kind(&h, hx75)), "hixie75",
	    "hixie-75 request");
	r = h1_parse_head(r75, strlen(r75), H1_RESPONSE, &h);
	is_str(h1_ws_name(h1_head_ws_kind(&h, r75)), "hixie75",
	    "hixie-75 101");
	r = h1_parse_head("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27,
	    H1_REQUEST, &h);
	is_str(h1_ws_name(h1_head_ws_kind(&h, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")),
	    "none", "plain GET");
	check_run(H1_REQUEST, H1_M_GET, "GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", (size_t)-1, "H18.H19. eof:ok", "pipelined plain requests");
}

static void
test_framing(void)
{
	const char *post = "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
	    "GET / HTTP/1.1\r\n\r\n";
	const char *cont = "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	const char *close10 = "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nabc";
	const char *headr = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	const char *r204 = "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"
	    "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n";
	const char *conn = "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03";
	const char *te10 = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz";
	const char *bare = "GET / HTTP/1.1\nHost: a\n\nGET";
	const char *lead = "\r\nGET / HTTP/1.1\r\n\r\n";
	struct h1_msg req, resp;
	struct h1_head h;
	char body[64];
	int r;

	check_splits(H1_RESPONSE, H1_M_GET, chunked, sizeof(chunked) - 1,
	    "Wikipedia in\r\n\r\nchunks.", "chunked response");
	check_run(H1_RESPONSE, H1_M_GET, chunked, sizeof(chunked) - 1,
	    "H47FB4FB5FB14F.H27. eof:ok", "chunked transcript");
	check_splits(H1_REQUEST, H1_M_GET, post, strlen(post), "hello",
	    "Content-Length request");
	check_run(H1_REQUEST, H1_M_GET, post, strlen(post),
	    "H39B5.H18. eof:ok", "POST body then the next request");
	check_splits(H1_RESPONSE, H1_M_GET, cont, strlen(cont), "ok",
	    "100-continue");
	check_run(H1_RESPONSE, H1_M_GET, cont, strlen(cont),
	    "H25.H38B2. eof:ok", "100 Continue, then 200");
	check_run(H1_RESPONSE, H1_M_GET, close10, strlen(close10),
	    "H30B3 eof:ok", "close-delimited response");
	check_run(H1_RESPONSE, H1_M_HEAD, headr, strlen(headr),
	    "H39.H38. eof:ok", "HEAD responses have no body");
	check_run(H1_RESPONSE, H1_M_GET, r204, strlen(r204),
	    "H46.H48. eof:ok", "204 and 304 have no body");
	check_run(H1_RESPONSE, H1_M_CONNECT, conn, strlen(conn),
	    "H39.T2 eof:ok", "2xx to CONNECT is a tunnel");
	check_run(H1_RESPONSE, H1_M_GET, te10, strlen(te10),
	    "H44B2 eof:ok", "final coding not chunked: read to close");
	check_run(H1_REQUEST, H1_M_GET, "CONNECT a:80 HTTP/1.1\r\n\r\nxx", (size_t)-1,
	    "H25.X2 eof:ok", "bytes after CONNECT are undeclared");
	check_run(H1_REQUEST, H1_M_GET, bare, strlen(bare), "H24. eof:truncated-message",
	    "bare LF lines; a partial head at EOF is truncated");
	r = h1_parse_head(bare, strlen(bare), H1_REQUEST, &h);
	ok(r == 24 && (h.flags & H1_F_BARE_LF) && span_is(bare, h.end, "\n"),
	    "bare LF recorded");
	r = h1_parse_head(lead, strlen(lead), H1_REQUEST, &h);
	ok(r == 20 && (h.flags & H1_F_LEADING_CRLF) && h.line.off == 2,
	    "an empty line before a request is skipped");
	check_run(H1_RESPONSE, H1_M_GET,
	    "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", (size_t)-1,
	    "H38B3 eof:truncated-message", "EOF inside a Content-Length body");

	/* The response side learns the method from the request side. */
	h1_msg_init(&req, H1_REQUEST);
	h1_msg_init(&resp, H1_RESPONSE);
	r = h1_msg_feed(&req, "HEAD / HTTP/1.1\r\n\r\n", 19,
	    (struct h1_feed_result[]){ { 0 } });
	h1_msg_expect_response(&resp, &req);
	is_int(resp.reqmeth, H1_M_HEAD, "expect_response copies HEAD");
	h1_msg_tunnel(&req);
	is_str(h1_state_name(req.state), "tunnel", "caller can tunnel");
	h1_msg_resume(&req);
	is_str(h1_state_name(req.state), "head", "or resume HTTP");
	(void)body;
}

static void
test_values(void)
{
	const char *a = "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n"
	    "content-length: 5\r\nConnection: keep-alive ,\tUpgrade\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n";
	struct h1_head h;
	int64_t cl = -1;
	int r;

	r = h1_parse_head(a, strlen(a), H1_RESPONSE, &h);
	ok(r > 0, "head with list values");
	r = h1_content_length(&h, a, &cl);
	ok(r == 1 && cl == 5, "identical Content-Length values are one");
	ok(h1_header_has_token(&h, a, "Connection", "upgrade") &&
	    h1_header_has_token(&h, a, "Connection", "keep-alive"),
	    "tokens with OWS around commas");
	is_int(h1_transfer_coding(&h, a), H1_TE_CHUNKED, "final coding chunked");
	r = h1_parse_head("HTTP/1.1 200 OK\r\n\r\n", 19, H1_RESPONSE, &h);
	is_int(h1_content_length(&h, "HTTP/1.1 200 OK\r\n\r\n", &cl), 0,
	    "no Content-Length");
}

static void
test_errors(void)
{
	char big[H1_HEAD_MAX + 64], many[4096];
	size_t i, o;

	check_err(H1_REQUEST, "GET/ HTTP/1.1\r\n\r\n", H1_E_REQUEST_LINE,
	    "no target");
	check_err(H1_REQUEST, "GET  / HTTP/1.1\r\n\r\n", H1_E_REQUEST_LINE,
	    "two spaces");
	check_err(H1_REQUEST, "GET / HTTP/1.1 x\r\n\r\n", H1_E_REQUEST_LINE,
	    "trailing word");
	check_err(H1_REQUEST, "GET / HTTP/2.0\r\n\r\n", H1_E_VERSION,
	    "HTTP/2.0 request line");
	check_err(H1_RESPONSE, "HTTP/1.1 2x0 OK\r\n\r\n", H1_E_STATUS_LINE,
	    "bad status code");
	check_err(H1_RESPONSE, "ICY 200 OK\r\n\r\n", H1_E_STATUS_LINE,
	    "not HTTP");
	check_err(H1_REQUEST, "GET / HTTP/1.1\r\nHost a\r\n\r\n",
	    H1_E_HEADER_SYNTAX, "header without colon");
	check_err(H1_REQUEST, "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
	    H1_E_HEADER_SYNTAX, "space before colon");
	check_err(H1_REQUEST, "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
	    H1_E_OBS_FOLD, "obs-fold");
	ok(h1_parse_head("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 27, H1_REQUEST,
	    (struct h1_head[]){ { 0 } }) == -H1_E_CTL, "NUL in a header value");
	check_err(H1_REQUEST, "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
	    H1_E_BARE_CR, "bare CR");
	check_err(H1_REQUEST, "GET / HTTP/1.1\r\nX: a\rb", H1_E_BARE_CR,
	    "bare CR is an error before the head ends");
	check_err(H1_REQUEST, "BAD\r\n", H1_E_REQUEST_LINE,
	    "a bad first line is an error at once");
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	memset(big + 19, 'a', sizeof(big) - 19);
	ok(h1_parse_head(big, sizeof(big), H1_REQUEST,
	    (struct h1_head[]){ { 0 } }) == -H1_E_TOO_BIG, "too-big head");
	o = (size_t)snprintf(many, sizeof(many), "GET / HTTP/1.1\r\n");
	for (i = 0; i <= H1_MAX_HEADERS; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "X: %zu\r\n", i);
	o += (size_t)snprintf(many + o, sizeof(many) - o, "\r\n");
	check_err(H1_REQUEST, many, H1_E_TOO_MANY, "too many headers");

	check_run(H1_REQUEST, H1_M_GET,
	    "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", (size_t)-1, "E:conflicting-content-length", "conflicting Content-Length");
	check_run(H1_REQUEST, H1_M_GET,
	    "POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", (size_t)-1,
	    "E:conflicting-content-length", "conflicting list");
	check_run(H1_REQUEST, H1_M_GET,
	    "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", (size_t)-1,
	    "E:bad-content-length", "negative Content-Length");
	check_run(H1_REQUEST, H1_M_GET,
	    "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", (size_t)-1, "E:bad-content-length", "overflowing Content-Length");
	check_run(H1_REQUEST, H1_M_GET,
	    "POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", (size_t)-1,
	    "E:bad-content-length", "empty Content-Length");
	check_run(H1_REQUEST, H1_M_GET,
	    "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", (size_t)-1,
	    "E:bad-transfer-encoding", "request not ending in chunked");
	check_run(H1_REQUEST, H1_M_GET,
	    "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", (size_t)-1,
	    "E:bad-transfer-encoding", "Transfer-Encoding in HTTP/1.0");
	check_run(H1_RESPONSE, H1_M_GET,
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", (size_t)-1,
	    "H47E:bad-chunk-size", "bad chunk size");
	check_run(H1_RESPONSE, H1_M_GET,
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "1234567890abcdef0\r\n", (size_t)-1, "H47E:bad-chunk-size",
	    "overflowing chunk size");
	check_run(H1_RESPONSE, H1_M_GET,
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX", (size_t)-1,
	    "H47FB2E:bad-chunk-end", "chunk data without its CRLF");
	check_run(H1_RESPONSE, H1_M_GET,
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", (size_t)-1, "H47FB2F eof:truncated-message", "EOF between chunks");
	is_str(h1_strerror(-H1_E_OBS_FOLD), "obs-fold", "strerror negative");
	is_str(h1_strerror(9999), "unknown-error", "strerror out of range");
	is_str(h1_state_name(H1_ST_CHUNK_SIZE), "chunk-size", "state name");
	is_str(h1_unit_name(H1_U_EXTRA), "extra", "unit name");
}

static void
test_may_start(void)
{
	ok(h1_may_start("GET / HTTP/1.1\r\n", 16, H1_REQUEST), "a request line");
	ok(h1_may_start("GE", 2, H1_REQUEST), "the start of a method");
	ok(h1_may_start("\r\nPOST ", 7, H1_REQUEST), "empty lines first");
	ok(!h1_may_start("\x81\x85", 2, H1_REQUEST), "a WebSocket frame is no request");
	/* draft-hixie-76 section 1.3's key3: ':' is no tchar. */
	ok(!h1_may_start("^n:ds[4U", 8, H1_REQUEST), "hixie-76's example key3 is none");
	ok(h1_may_start("^n", 2, H1_REQUEST), "... though its first two bytes may be");
	ok(h1_may_start("HTTP/1.1 200", 12, H1_RESPONSE), "a status line");
	ok(h1_may_start("HTT", 3, H1_RESPONSE), "the start of one");
	ok(!h1_may_start("8jKS'y:G*Co,Wxa-", 16, H1_RESPONSE),
	    "hixie-76's example 16-byte answer is no response");
	ok(h1_may_start("", 0, H1_RESPONSE) && h1_may_start("", 0, H1_REQUEST),
	    "nothing yet: may be anything");
}

int
main(void)
{
	test_may_start();
	test_request13();
	test_response13();
	test_hixie();
	test_framing();
	test_values();
	test_errors();
	return tap_done();
}
