/*
 * Unit tests for ws.c: the specifications' own vectors (RFC 6455 section
 * 1.3, draft-hixie-thewebsocketprotocol-76 section 1.3), handshake round
 * trips for every version, the frame codec, and malformed input.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ws.h"

#define RFC_KEY		"dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT	"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define H76_KEY1	"4 @1  46546xW%0l 1 5"
#define H76_KEY2	"12998 5 Y3 1  .P00"
#define H76_KEY3	"^n:ds[4U"
#define H76_ANSWER	"8jKS'y:G*Co,Wxa-"

static void
test_vectors(void)
{
	char acc[WS_ACCEPT_LEN + 1];
	uint8_t ans[WS_ANSWER_LEN];
	uint32_t n;

	is_int(ws_accept(RFC_KEY, strlen(RFC_KEY), acc), 0, "accept computed");
	is_str(acc, RFC_ACCEPT, "RFC 6455 1.3: the sample key's accept value");
	is_int(ws_h76_key_number(H76_KEY1, strlen(H76_KEY1), &n), 0, "Key1 parses");
	is_int(n, 829309203, "hixie-76: Key1 is 4146546015 / 5 spaces");
	is_int(ws_h76_key_number(H76_KEY2, strlen(H76_KEY2), &n), 0, "Key2 parses");
	is_int(n, 259970620, "hixie-76: Key2 is 1299853100 / 5 spaces");
	is_int(ws_h76_answer(H76_KEY1, strlen(H76_KEY1), H76_KEY2,
	    strlen(H76_KEY2), (const uint8_t *)H76_KEY3, ans), 0, "answer computed");
	is_mem(ans, sizeof(ans), H76_ANSWER, 16,
	    "hixie-76 1.3: the example's 16-byte answer");
	ok(ws_h76_key_number("123", 3, &n) == -WS_E_H76_KEY, "a key without spaces is refused");
	ok(ws_h76_key_number("1 0 1", 5, &n) == -WS_E_H76_KEY,
	    "a key not divisible by its spaces is refused");
	ok(ws_h76_key_number("  ", 2, &n) == -WS_E_H76_KEY, "a key without digits is refused");
	ok(ws_h76_key_number("99999999999999999999999 ", 24, &n) == -WS_E_H76_KEY,
	    "an overlong key number is refused");
	ok(ws_h76_key_number("42949672960 ", 12, &n) == -WS_E_H76_KEY,
	    "a key number past 32 bits is refused");
}

/* The random bytes of a client: the RFC's nonce first. */
static void
fill_rnd(uint8_t rnd[WS_CLIENT_RAND], unsigned seed)
{
	size_t i;

	memcpy(rnd, "the sample nonce", 16);
	for (i = 16; i < WS_CLIENT_RAND; i++)
		rnd[i] = (uint8_t)(i * 131 + seed * 7919 + (i >> 3));
}

static void
test_client_request(void)
{
	struct ws_client c;
	struct ws_reqopts ro = { "/chat", "server.example.com", "http://example.com",
	    "chat, superchat", NULL, NULL, 0 };
	struct ws_hdr extra[] = { { "X-A", 3, "b c", 3 } };
	struct ws_hdr bad[] = { { "X-A", 3, "b\r\nInjected: 1", 15 } };
	uint8_t rnd[WS_CLIENT_RAND];
	char buf[1024];
	ssize_t n;

	fill_rnd(rnd, 1);
	is_int(ws_client_init(&c, 13, rnd), 0, "client init, version 13");
	is_str(c.key, RFC_KEY, "the key is the base64 of the caller's 16 bytes");
	is_str(c.accept, RFC_ACCEPT, "the expected accept is the RFC's");
	ro.extra = extra;
	ro.nextra = 1;
	n = ws_client_request(&c, &ro, buf, sizeof(buf));
	ok(n > 0, "request built");
	buf[n > 0 ? n : 0] = '\0';
	is_str(buf,
	    "GET /chat HTTP/1.1\r\n"
	    "Host: server.example.com\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n"
	    "Origin: http://example.com\r\n"
	    "Sec-WebSocket-Protocol: chat, superchat\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "X-A: b c\r\n"
	    "\r\n", "RFC 6455 request as in section 1.3");
	ok(ws_client_request(&c, &ro, buf, 40) == -WS_E_NOSPACE,
	    "a small buffer is reported, not overrun");
	ro.extra = bad;
	ok(ws_client_request(&c, &ro, buf, sizeof(buf)) == -WS_E_ARG,
	    "a CRLF in an extra header is refused");
	ro.extra = NULL;
	ro.nextra = 0;
	ro.target = "/a b";
	ok(ws_client_request(&c, &ro, buf, sizeof(buf)) == -WS_E_ARG,
	    "a space in the target is refused");
	ro.target = "/chat";

	is_int(ws_client_init(&c, 8, rnd), 0, "client init, version 8");
	n = ws_client_request(&c, &ro, buf, sizeof(buf));
	buf[n > 0 ? n : 0] = '\0';
	ok(strstr(buf, "Sec-WebSocket-Version: 8\r\n") != NULL &&
	    strstr(buf, "Sec-WebSocket-Origin: http://example.com\r\n") != NULL,
	    "version 8 sends Sec-WebSocket-Origin");
	ok(ws_client_init(&c, 9, rnd) == -WS_E_ARG, "version 9 is unknown");

	is_int(ws_client_init(&c, 76, rnd), 0, "client init, version 76");
	{
		uint32_t n1, n2;
		uint8_t ans[WS_ANSWER_LEN];
		size_t l1 = strlen(c.key1), l2 = strlen(c.key2);

		ok(ws_h76_key_number(c.key1, l1, &n1) == 0 &&
		    ws_h76_key_number(c.key2, l2, &n2) == 0,
		    "generated Key1 and Key2 are valid (%s | %s)", c.key1, c.key2);
		ok(c.key1[0] != ' ' && c.key1[l1 - 1] != ' ' &&
		    c.key2[0] != ' ' && c.key2[l2 - 1] != ' ',
		    "no space at either end of a generated key");
		ok(ws_h76_answer(c.key1, l1, c.key2, l2, c.key3, ans) == 0 &&
		    memcmp(ans, c.answer, 16) == 0, "expected answer matches the keys");
	}
	n = ws_client_request(&c, &ro, buf, sizeof(buf));
	ok(n > 8 && memcmp(buf + n - 8, c.key3, 8) == 0 &&
	    memcmp(buf + n - 12, "\r\n\r\n", 4) == 0,
	    "hixie-76: key3 follows the head");
}

/* Client and server of one version agree, byte by byte. */
static void
roundtrip(int version)
{
	struct ws_client c;
	struct ws_request rq;
	struct ws_response rs;
	struct ws_respopts so = { 0, NULL, "wsprobe-test" };
	struct ws_reqopts ro = { "/echo?x=1", "h.example:8080", "http://o.example",
	    NULL, NULL, NULL, 0 };
	uint8_t rnd[WS_CLIENT_RAND], ans[WS_ANSWER_LEN];
	char req[1024], resp[1024];
	ssize_t rn, hn, sn;
	size_t i;
	int partial_ok = 1;

	fill_rnd(rnd, (unsigned)version);
	if (version == 76 || version == 75)
		ro.location = "ws://h.example:8080/echo?x=1";
	if (ws_client_init(&c, version, rnd) != 0) {
		ok(0, "v%d: client init", version);
		return;
	}
	rn = ws_client_request(&c, &ro, req, sizeof(req));
	hn = ws_server_request(req, (size_t)rn, WS_HEAD_MAX, &rq);
	ok(hn > 0 && rq.version == version, "v%d: the server recognises the request",
	    version);
	if (hn <= 0)
		return;
	ok(rn - hn == (version == 76 ? 8 : 0), "v%d: bytes after the head", version);
	ok(rq.origin != NULL && rq.origin->valuelen == 16 &&
	    memcmp(rq.origin->value, "http://o.example", 16) == 0,
	    "v%d: origin found", version);
	sn = ws_server_response(&rq, &so, resp, sizeof(resp));
	ok(sn > 0, "v%d: response built", version);
	if (sn <= 0)
		return;
	if (version == 76) {
		ok(ws_h76_answer(rq.key1->value, rq.key1->valuelen, rq.key2->value,
		    rq.key2->valuelen, (const uint8_t *)req + hn, ans) == 0,
		    "v76: server computes the answer");
		memcpy(resp + sn, ans, 16);
		sn += 16;
	}
	for (i = 0; i < (size_t)sn; i++)
		if (ws_client_response(&c, &ro, resp, i, WS_HEAD_MAX, &rs) != 0)
			partial_ok = 0;
	ok(partial_ok, "v%d: every prefix of the answer asks for more", version);
	is_int(ws_client_response(&c, &ro, resp, (size_t)sn, WS_HEAD_MAX, &rs), sn,
	    "the client accepts the server's answer");
	is_int(rs.status, 101, "status 101");
	ok(rs.server != NULL && rs.serverlen == 12, "Server header seen");
}

static ssize_t
check_resp(int version, const char *text, size_t len, struct ws_response *rs)
{
	struct ws_client c;
	struct ws_reqopts ro = { "/", "h", NULL, NULL, NULL, NULL, 0 };
	uint8_t rnd[WS_CLIENT_RAND];

	fill_rnd(rnd, 0);
	if (ws_client_init(&c, version, rnd) != 0)
		return -1000;
	return ws_client_response(&c, &ro, text, len, WS_HEAD_MAX, rs);
}

#define CHECK(v, s, rs)	check_resp(v, s, sizeof(s) - 1, rs)

static void
test_client_response_errors(void)
{
	struct ws_response rs;
	char big[WS_HEAD_MAX + 10];
	ssize_t n;

	n = CHECK(13, "HTTP/1.1 426 Upgrade Required\r\nServer: Python/3.11 "
	    "websockets/10.4\r\nContent-Length: 0\r\n\r\n", &rs);
	ok(n == -WS_E_STATUS && rs.status == 426 && rs.reasonlen == 16 &&
	    rs.serverlen == 27, "426: http-status, with status, reason, Server");
	is_str(ws_strerror((int)n), "http-status", "error name of a non-101");
	ok(CHECK(13, "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: xxxxxxxxxxxxxxxxxxxxxxxxxxx=\r\n\r\n", &rs) ==
	    -WS_E_BAD_ACCEPT, "a wrong accept is accept-wrong");
	ok(CHECK(13, "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "\r\n", &rs) == -WS_E_NO_ACCEPT, "no accept is accept-missing");
	ok(CHECK(13, "HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n", &rs) == -WS_E_NO_UPGRADE,
	    "no Upgrade is upgrade-missing");
	ok(CHECK(13, "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n"
	    "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n", &rs) == -WS_E_NO_CONNECTION,
	    "Connection without upgrade is connection-missing");
	ok(CHECK(13, "HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\nconnection: keep-alive, UPGRADE\r\n"
	    "sec-websocket-accept: " RFC_ACCEPT "\r\n\r\n", &rs) > 0,
	    "names and tokens without case; a token list");
	ok(CHECK(13, "HTTP/1.1 101 OK\nUpgrade: websocket\nConnection: Upgrade\n"
	    "Sec-WebSocket-Accept:   " RFC_ACCEPT "  \n\n", &rs) > 0,
	    "bare LF lines and padded values are tolerated");
	ok(CHECK(13, "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\nSec-WebSocket-Accept: " RFC_ACCEPT
	    "\r\n\r\n", &rs) == -WS_E_DUP_HEADER, "a doubled accept is refused");
	ok(CHECK(13, "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\nSec-WebSocket-Extensions: "
	    "permessage-deflate\r\n\r\n", &rs) == -WS_E_EXTENSION,
	    "an extension not offered is refused");
	ok(CHECK(13, "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\nSec-WebSocket-Protocol: chat\r\n\r\n",
	    &rs) == -WS_E_PROTOCOL, "a subprotocol not offered is refused");
	ok(CHECK(13, "SSH-2.0-OpenSSH_9.2\r\n\r\n", &rs) == -WS_E_HEAD_SYNTAX,
	    "a non-HTTP answer is head-syntax");
	ok(CHECK(13, "HTTP/1.1 101 OK\r\n Upgrade: websocket\r\n\r\n", &rs) ==
	    -WS_E_HEAD_SYNTAX, "obsolete line folding is refused");
	ok(CHECK(13, "HTTP/1.1 101 OK\r\nUpg\rrade: websocket\r\n\r\n", &rs) ==
	    -WS_E_HEAD_SYNTAX, "a bare CR is refused");
	ok(CHECK(13, "HTTP/1.1 101 OK\r\nNo colon here\r\n\r\n", &rs) ==
	    -WS_E_HEAD_SYNTAX, "a line without a colon is refused");
	ok(CHECK(13, "\r\n\r\n", &rs) == -WS_E_HEAD_SYNTAX, "an empty head is refused");
	memset(big, 'a', sizeof(big));
	ok(check_resp(13, big, sizeof(big), &rs) == -WS_E_HEAD_TOO_BIG,
	    "a head past the bound is head-too-big");
	ok(check_resp(13, big, 100, &rs) == 0, "a short partial head asks for more");

	n = CHECK(76, "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Location: ws://h/\r\n\r\n0123456789abcde",
	    &rs);
	ok(n == 0 && rs.head.len > 0,
	    "hixie-76: a complete head without all 16 answer bytes asks for more");
	ok(CHECK(76, "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Location: ws://h/\r\n\r\n0123456789abcdef",
	    &rs) == -WS_E_H76_ANSWER, "hixie-76: a wrong answer is refused");
	ok(CHECK(76, "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\n"
	    "Connection: Upgrade\r\n\r\n0123456789abcdef", &rs) == -WS_E_NO_LOCATION,
	    "hixie-76: no Location is refused");
	{
		struct ws_client c;
		struct ws_reqopts ro = { "/", "h", "http://o", NULL, "ws://h/", NULL, 0 };
		uint8_t rnd[WS_CLIENT_RAND];
		static const char r1[] = "HTTP/1.1 101 Web Socket Protocol Handshake\r\n"
		    "Upgrade: WebSocket\r\nConnection: Upgrade\r\n"
		    "WebSocket-Origin: http://o\r\nWebSocket-Location: ws://h/\r\n\r\n";
		static const char r2[] = "HTTP/1.1 101 Web Socket Protocol Handshake\r\n"
		    "Upgrade: WebSocket\r\nConnection: Upgrade\r\n"
		    "WebSocket-Origin: http://evil\r\nWebSocket-Location: ws://h/\r\n\r\n";
		static const char r3[] = "HTTP/1.1 101 Web Socket Protocol Handshake\r\n"
		    "Upgrade: WebSocket\r\nConnection: Upgrade\r\n"
		    "WebSocket-Origin: http://o\r\nWebSocket-Location: ws://x/\r\n\r\n";

		fill_rnd(rnd, 0);
		is_int(ws_client_init(&c, 75, rnd), 0, "client init, version 75");
		is_int(ws_client_response(&c, &ro, r1, sizeof(r1) - 1, WS_HEAD_MAX, &rs),
		    sizeof(r1) - 1, "hixie-75: a good answer");
		is_int(ws_client_response(&c, &ro, r2, sizeof(r2) - 1, WS_HEAD_MAX, &rs),
		    -WS_E_ORIGIN, "hixie-75: a wrong origin is refused");
		is_int(ws_client_response(&c, &ro, r3, sizeof(r3) - 1, WS_HEAD_MAX, &rs),
		    -WS_E_LOCATION, "hixie-75: a wrong location is refused");
	}
}

static void
test_server_request(void)
{
	static const char h76[] =
	    "GET /demo HTTP/1.1\r\n"
	    "Host: example.com\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key2: " H76_KEY2 "\r\n"
	    "Sec-WebSocket-Protocol: sample\r\n"
	    "Upgrade: WebSocket\r\n"
	    "Sec-WebSocket-Key1: " H76_KEY1 "\r\n"
	    "Origin: http://example.com\r\n"
	    "\r\n" H76_KEY3;
	struct ws_request rq;
	struct ws_respopts so = { 0, "sample", NULL };
	char resp[512];
	uint8_t ans[WS_ANSWER_LEN];
	ssize_t n;

	n = ws_server_request(h76, sizeof(h76) - 1, WS_HEAD_MAX, &rq);
	is_int(n, sizeof(h76) - 1 - 8, "hixie-76 example: head parsed, key3 after it");
	is_int(rq.version, 76, "hixie-76 example: version 76");
	ok(ws_h76_answer(rq.key1->value, rq.key1->valuelen, rq.key2->value,
	    rq.key2->valuelen, (const uint8_t *)h76 + n, ans) == 0 &&
	    memcmp(ans, H76_ANSWER, 16) == 0, "hixie-76 example: the answer, from the parsed head");
	n = ws_server_response(&rq, &so, resp, sizeof(resp));
	resp[n > 0 ? n : 0] = '\0';
	is_str(resp,
	    "HTTP/1.1 101 WebSocket Protocol Handshake\r\n"
	    "Upgrade: WebSocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Origin: http://example.com\r\n"
	    "Sec-WebSocket-Location: ws://example.com/demo\r\n"
	    "Sec-WebSocket-Protocol: sample\r\n"
	    "\r\n", "hixie-76 example: the response head of section 1.3");

#define REQ(s)	ws_server_request(s, sizeof(s) - 1, WS_HEAD_MAX, &rq)
#define V13	"Upgrade: websocket\r\nConnection: Upgrade\r\n"
	is_int(REQ("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), -WS_E_NOT_UPGRADE,
	    "a plain GET is not-upgrade");
	ok(rq.head.len > 0 && rq.targetlen == 1, "a plain GET's head is still there");
	is_int(REQ("POST / HTTP/1.1\r\nHost: h\r\n" V13 "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n\r\n"), -WS_E_METHOD, "POST is refused");
	is_int(REQ("GET / HTTP/1.0\r\nHost: h\r\n" V13 "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n\r\n"), -WS_E_HTTP_VERSION,
	    "HTTP/1.0 is refused");
	is_int(REQ("GET / HTTP/1.1\r\n" V13 "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n\r\n"), -WS_E_NO_HOST, "no Host is refused");
	is_int(REQ("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
	    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " RFC_KEY "\r\n\r\n"),
	    -WS_E_NO_CONNECTION, "no Connection: upgrade is refused");
	is_int(REQ("GET / HTTP/1.1\r\nHost: h\r\n" V13 "Sec-WebSocket-Version: 14\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\n\r\n"), -WS_E_VERSION,
	    "version 14 is version-unsupported");
	is_int(REQ("GET / HTTP/1.1\r\nHost: h\r\n" V13 "Sec-WebSocket-Version: 13\r\n\r\n"),
	    -WS_E_NO_KEY, "no key is key-missing");
	is_int(REQ("GET / HTTP/1.1\r\nHost: h\r\n" V13 "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n\r\n"), -WS_E_BAD_KEY,
	    "a key of the wrong length is key-invalid");
	is_int(REQ("GET / HTTP/1.1\r\nHost: h\r\n" V13 "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZ*Bub25jZQ==\r\n\r\n"), -WS_E_BAD_KEY,
	    "a key outside base64 is key-invalid");
	is_int(REQ("GET / HTTP/1.1\r\nHost: h\r\n" V13 "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Key: " RFC_KEY "\r\n\r\n"),
	    -WS_E_DUP_HEADER, "a doubled key is refused");
	is_int(REQ("GET / HTTP/1.1\r\nHost: h\r\n" V13 "Sec-WebSocket-Key1: 1 1\r\n\r\n"),
	    -WS_E_H76_KEY, "hixie-76 with Key1 alone is refused");
	is_int(REQ("GET / HTTP/1.1\r\nHost: h\r\n" V13 "Sec-WebSocket-Key1: 11\r\n"
	    "Sec-WebSocket-Key2: 1 1\r\n\r\n"), -WS_E_H76_KEY,
	    "hixie-76 with a key without spaces is refused");
	is_int(REQ("GET / HTTP/1.1\r\nHost: h\r\n" V13 "\r\n"),
	    sizeof("GET / HTTP/1.1\r\nHost: h\r\n" V13 "\r\n") - 1, "hixie-75 recognised");
	is_int(rq.version, 75, "version 75");
	is_int(REQ("GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n"), -WS_E_HEAD_SYNTAX,
	    "a control byte in the target is refused");
	is_int(REQ("GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n"), -WS_E_HEAD_SYNTAX,
	    "a space in a header name is refused");
	is_int(REQ("GET / HTTP/1.1\r\nHost: h\0x\r\n\r\n"), -WS_E_HEAD_SYNTAX,
	    "a NUL in a head is refused");
	is_int(REQ("GET / HTTP/1.1\r\nHost: h\r\n"), 0, "a head without its blank line asks for more");
	{
		char many[4096];
		size_t n2 = 0;
		int i;

		n2 += (size_t)snprintf(many, sizeof(many), "GET / HTTP/1.1\r\n");
		for (i = 0; i < WS_MAX_HEADERS + 1; i++)
			n2 += (size_t)snprintf(many + n2, sizeof(many) - n2, "X%d: y\r\n", i);
		n2 += (size_t)snprintf(many + n2, sizeof(many) - n2, "\r\n");
		is_int(ws_server_request(many, n2, WS_HEAD_MAX, &rq), -WS_E_TOO_MANY_HEADERS,
		    "too many headers are refused");
		is_int(ws_server_request(many, n2, 64, &rq), -WS_E_HEAD_TOO_BIG,
		    "the caller's head bound holds");
	}
}

static void
test_frames(void)
{
	static const size_t lens[] = { 0, 1, 125, 126, 65535, 65536, 70000 };
	static const size_t hdrs[] = { 2, 2, 2, 4, 4, 10, 10 };
	static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t cap = 70000 + WS_HDR_MAX, i, k;
	uint8_t *payload = malloc(cap), *buf = malloc(cap);
	struct ws_frame f;

	if (payload == NULL || buf == NULL)
		abort();
	for (i = 0; i < cap; i++)
		payload[i] = (uint8_t)(i * 7 + (i >> 8));
	for (i = 0; i < nitems(lens); i++) {
		for (k = 0; k < 2; k++) {
			const uint8_t *m = k ? mask : NULL;
			ssize_t n = ws_frame_encode(buf, cap, 1, WS_OP_BINARY, payload,
			    lens[i], m);
			size_t want = hdrs[i] + (k ? 4 : 0), j;
			int partial = 1, r;

			is_int(n, (long long)(want + lens[i]), "encode: header and payload length");
			for (j = 0; j < want; j++)
				if (ws_frame_parse(buf, j, 0, UINT64_MAX, &f) != 0)
					partial = 0;
			ok(partial, "len %zu%s: every header prefix asks for more",
			    lens[i], k ? " masked" : "");
			r = ws_frame_parse(buf, (size_t)n, k ? WS_F_MASKED : WS_F_UNMASKED,
			    UINT64_MAX, &f);
			ok(r == (int)want && f.len == lens[i] && f.fin && f.opcode == WS_OP_BINARY &&
			    f.masked == k, "len %zu%s: decodes to the same header", lens[i],
			    k ? " masked" : "");
			if (k) {
				ok(memcmp(f.mask, mask, 4) == 0, "len %zu: mask key kept", lens[i]);
				ws_mask(buf + want, lens[i], f.mask, 0);
			}
			is_mem(buf + want, lens[i], payload, lens[i],
			    k ? "masked payload round trip" : "payload round trip");
		}
	}

	/* Unmasking in pieces, as a relay sees the payload. */
	{
		uint8_t a[10], b[10];

		memcpy(a, payload, 10);
		memcpy(b, payload, 10);
		ws_mask(a, 10, mask, 0);
		ws_mask(b, 3, mask, 0);
		ws_mask(b + 3, 7, mask, 3);
		is_mem(a, 10, b, 10, "masking in pieces with offsets");
	}

	/* Control frames and malformed headers. */
	ok(ws_frame_header(buf, 1, WS_OP_PING, 126, NULL) == 0,
	    "a 126-byte ping cannot be encoded");
	ok(ws_frame_header(buf, 0, WS_OP_CLOSE, 2, NULL) == 0,
	    "a fragmented close cannot be encoded");
	ok(ws_frame_header(buf, 1, 3, 0, NULL) == 0, "opcode 3 cannot be encoded");
	ok(ws_frame_header(buf, 1, WS_OP_PING, 125, NULL) == 2, "a 125-byte ping can");
#define PARSE(s, fl)	ws_frame_parse(s, sizeof(s) - 1, fl, UINT64_MAX, &f)
	is_int(PARSE("\x09\x00", 0), -WS_E_CTRL_FRAG, "a ping without FIN: control-fragmented");
	is_int(PARSE("\x89\x7e\x00\x7e", 0), -WS_E_CTRL_LEN, "a 126-byte ping: control-too-long");
	is_int(PARSE("\x88\x7f", 0), -WS_E_CTRL_LEN, "a 64-bit close length: control-too-long");
	is_int(PARSE("\x83\x00", 0), -WS_E_OPCODE, "opcode 3: bad-opcode");
	is_int(PARSE("\x8b\x00", 0), -WS_E_OPCODE, "opcode 0xb: bad-opcode");
	is_int(PARSE("\xc1\x00", 0), -WS_E_RSV, "RSV1 without an extension: reserved-bits");
	is_int(PARSE("\xa1\x00", 0), -WS_E_RSV, "RSV2: reserved-bits");
	is_int(PARSE("\x91\x00", 0), -WS_E_RSV, "RSV3: reserved-bits");
	is_int(PARSE("\xc1\x00", WS_F_RSV1), 2, "RSV1 allowed by the caller");
	is_int(PARSE("\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 0), -WS_E_LEN_MSB,
	    "a 64-bit length with its MSB set: length-msb");
	is_int(PARSE("\x82\x7f\x7f", 0), 0, "a partial 64-bit length asks for more");
	is_int(PARSE("\x82\x05", WS_F_MASKED), -WS_E_UNMASKED,
	    "a server refuses unmasked frames");
	is_int(PARSE("\x82\x85", WS_F_UNMASKED), -WS_E_MASKED,
	    "a client refuses masked frames");
	is_int(ws_frame_parse("\x82\x7e\x01\x00", 4, 0, 255, &f), -WS_E_TOO_BIG,
	    "a payload past the caller's bound: frame-too-big");
	ok(ws_frame_parse(NULL, 0, 0, 0, &f) == 0, "no bytes: need more");
	for (i = 0; i < 4; i++)
		ok(strcmp(ws_strerror(-(WS_E_RSV + (int)i)), "unknown") != 0,
		    "error %s has a name", ws_strerror(-(WS_E_RSV + (int)i)));
	free(payload);
	free(buf);
}

static void
test_seq(void)
{
	struct ws_seq s;
	struct ws_frame f;

	ws_seq_init(&s);
	memset(&f, 0, sizeof(f));
	f.opcode = WS_OP_CONT;
	f.fin = 1;
	is_int(ws_seq_frame(&s, &f, 100), -WS_E_CONTINUATION,
	    "a continuation with no message: unexpected-continuation");
	f.opcode = WS_OP_TEXT;
	f.fin = 0;
	f.len = 40;
	is_int(ws_seq_frame(&s, &f, 100), WS_OP_TEXT, "a first fragment starts a text message");
	f.opcode = WS_OP_PING;
	f.fin = 1;
	f.len = 3;
	is_int(ws_seq_frame(&s, &f, 100), WS_OP_PING, "a ping between fragments is fine");
	f.opcode = WS_OP_BINARY;
	f.fin = 1;
	is_int(ws_seq_frame(&s, &f, 100), -WS_E_INTERLEAVED,
	    "a new message amid another: expected-continuation");
	f.opcode = WS_OP_CONT;
	f.fin = 0;
	f.len = 40;
	is_int(ws_seq_frame(&s, &f, 100), WS_OP_TEXT, "a continuation belongs to the text");
	f.fin = 1;
	f.len = 21;
	is_int(ws_seq_frame(&s, &f, 100), -WS_E_MSG_TOO_BIG,
	    "fragments adding past the bound: message-too-big");
	ws_seq_init(&s);
	f.opcode = WS_OP_BINARY;
	f.len = 100;
	is_int(ws_seq_frame(&s, &f, 100), WS_OP_BINARY, "a message at the bound is fine");
	ok(!s.in_msg, "FIN ends the message");
}

static void
test_close(void)
{
	static const unsigned good[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009,
	    1010, 1011, 3000, 4999 };
	static const unsigned bad[] = { 0, 999, 1004, 1005, 1006, 1015, 1016, 2999,
	    5000, 65535 };
	uint8_t p[WS_CTRL_MAX];
	unsigned code;
	size_t i, n;
	char longr[200];

	for (i = 0; i < nitems(good); i++)
		ok(ws_close_code_valid(good[i]), "close code %u is valid", good[i]);
	for (i = 0; i < nitems(bad); i++)
		ok(!ws_close_code_valid(bad[i]), "close code %u is invalid", bad[i]);
	is_int(ws_close_parse("", 0, &code), 0, "an empty close payload is fine");
	is_int(code, 1005, "... and stands for 1005");
	is_int(ws_close_parse("\x03", 1, &code), -WS_E_CLOSE_PAYLOAD,
	    "a 1-byte close payload: close-payload-invalid");
	is_int(ws_close_parse("\x03\xed", 2, &code), -WS_E_CLOSE_CODE,
	    "close code 1005 on the wire: close-code-invalid");
	is_int(ws_close_parse("\x03\xe8\xc0\x80", 4, &code), -WS_E_UTF8,
	    "a close reason that is not UTF-8: invalid-utf8");
	n = ws_close_payload(p, 1001, "bye", 3);
	ok(n == 5 && ws_close_parse(p, n, &code) == 0 && code == 1001 &&
	    memcmp(p + 2, "bye", 3) == 0, "close payload round trip");
	memset(longr, 'x', sizeof(longr));
	memcpy(longr + 122, "\xc3\xa9", 2);	/* a 2-byte character across the cut */
	n = ws_close_payload(p, 1000, longr, sizeof(longr));
	ok(n == 124 && ws_close_parse(p, n, &code) == 0,
	    "a long reason is cut to fit, between characters");
}

static void
test_utf8(void)
{
	struct ws_utf8 u;

	ok(ws_utf8_valid("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11), "Greek is valid");
	ok(ws_utf8_valid("\xf0\x9f\x98\x80", 4), "an emoji is valid");
	ok(!ws_utf8_valid("\xc0\x80", 2), "an overlong NUL is invalid");
	ok(!ws_utf8_valid("\xe0\x80\xaf", 3), "an overlong 3-byte form is invalid");
	ok(!ws_utf8_valid("\xed\xa0\x80", 3), "a surrogate is invalid");
	ok(!ws_utf8_valid("\xf4\x90\x80\x80", 4), "past U+10FFFF is invalid");
	ok(!ws_utf8_valid("\xce", 1), "a cut sequence is invalid");
	ok(!ws_utf8_valid("\xff", 1), "0xFF is invalid");
	ws_utf8_init(&u);
	ok(ws_utf8_feed(&u, "a\xf0\x9f", 3) == 0 && ws_utf8_done(&u) != 0,
	    "incremental: a sequence open at a fragment's end");
	ok(ws_utf8_feed(&u, "\x98\x80", 2) == 0 && ws_utf8_done(&u) == 0,
	    "incremental: closed by the next fragment");
	ws_utf8_init(&u);
	ok(ws_utf8_feed(&u, "\xed\xa0", 2) != 0, "incremental: a surrogate fails at once");
}

static void
test_hixie(void)
{
	struct ws_hixie_frame h;
	uint8_t buf[64];
	ssize_t n;

	n = ws_hixie_encode(buf, sizeof(buf), "hello", 5);
	is_mem(buf, (size_t)(n > 0 ? n : 0), "\x00hello\xff", 7, "text frame encoded");
	is_int(ws_hixie_parse(buf, 7, 100, &h), 7, "text frame parsed");
	ok(h.type == 0 && h.off == 1 && h.len == 5 && !h.close, "text frame fields");
	is_int(ws_hixie_parse(buf, 6, 100, &h), 0, "an open text frame asks for more");
	is_int(ws_hixie_parse(buf, 7, 4, &h), -WS_E_TOO_BIG, "a long text frame: frame-too-big");
	is_int(ws_hixie_parse(buf, 6, 4, &h), -WS_E_TOO_BIG,
	    "a long open text frame is refused before it ends");
	is_int(ws_hixie_parse(WS_HIXIE_CLOSE, 2, 100, &h), 2, "close frame parsed");
	ok(h.close, "0xFF 0x00 is the close");
	is_int(ws_hixie_parse("\x80\x02" "ab", 4, 100, &h), 4, "a length-prefixed frame");
	ok(!h.close && h.len == 2 && h.off == 2, "its payload is found");
	is_int(ws_hixie_parse("\x80\x81\x00", 3, 1000, &h), 0,
	    "a 2-byte length (128) asks for its payload");
	is_int(ws_hixie_parse("\x80\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11,
	    UINT64_MAX, &h), -WS_E_HIXIE_LEN, "an endless length: hixie-length-invalid");
	is_int(ws_hixie_encode(buf, sizeof(buf), "a\xff", 2), -WS_E_ARG,
	    "a payload holding 0xFF cannot be sent");
	is_int(ws_hixie_encode(buf, 3, "ab", 2), -WS_E_NOSPACE, "a small buffer is reported");
}

static void
test_url(void)
{
	struct ws_url u;

	is_int(ws_url_parse("ws://example.com", &u), 0, "plain ws URL");
	ok(!u.tls && u.port == 80 && strcmp(u.host, "example.com") == 0 &&
	    strcmp(u.resource, "/") == 0 && strcmp(u.hostport, "example.com") == 0,
	    "defaults: port 80, resource /");
	is_int(ws_url_parse("WSS://[::1]:8443/a/b?c=d", &u), 0, "wss with IPv6 and port");
	ok(u.tls && u.v6 && u.port == 8443 && strcmp(u.host, "::1") == 0 &&
	    strcmp(u.hostport, "[::1]:8443") == 0 && strcmp(u.resource, "/a/b?c=d") == 0,
	    "IPv6 literal, bracketed in Host");
	is_int(ws_url_parse("wss://h:443?q", &u), 0, "query without path");
	ok(strcmp(u.resource, "/?q") == 0 && strcmp(u.hostport, "h") == 0,
	    "the default port stays out of Host; the query gets a /");
	is_int(ws_url_parse("http://proxy:3128", &u), 0, "http for proxies");
	ok(u.port == 3128 && !u.tls, "proxy port");
	is_int(ws_url_parse("ws://h/#frag", &u), -WS_E_URL_FRAGMENT, "a fragment is refused");
	is_int(ws_url_parse("ftp://h/", &u), -WS_E_URL_SCHEME, "ftp is refused");
	is_int(ws_url_parse("h/", &u), -WS_E_URL_SCHEME, "no scheme is refused");
	is_int(ws_url_parse("ws:///x", &u), -WS_E_URL, "an empty host is refused");
	is_int(ws_url_parse("ws://h:0/", &u), -WS_E_URL, "port 0 is refused");
	is_int(ws_url_parse("ws://h:65536/", &u), -WS_E_URL, "port 65536 is refused");
	is_int(ws_url_parse("ws://u@h/", &u), -WS_E_URL, "userinfo is refused");
	is_int(ws_url_parse("ws://h/a b", &u), -WS_E_URL, "a space in the path is refused");
	is_int(ws_url_parse("ws://[::1/", &u), -WS_E_URL, "an open bracket is refused");
}

static void
test_names(void)
{
	int e, distinct = 1, named = 1, k;

	for (e = 1; e < WS_E_MAX; e++) {
		if (strcmp(ws_strerror(e), "unknown") == 0)
			named = 0;
		for (k = 1; k < e; k++)
			if (strcmp(ws_strerror(e), ws_strerror(k)) == 0)
				distinct = 0;
	}
	ok(named, "every error has a name");
	ok(distinct, "error names are distinct");
	is_str(ws_strerror(WS_E_MAX + 5), "unknown", "out of range is unknown");
}

int
main(void)
{
	int v[] = { 13, 8, 7, 76, 75 };
	size_t i;

	test_vectors();
	test_client_request();
	for (i = 0; i < nitems(v); i++)
		roundtrip(v[i]);
	test_client_response_errors();
	test_server_request();
	test_frames();
	test_seq();
	test_close();
	test_utf8();
	test_hixie();
	test_url();
	test_names();
	return tap_done();
}
