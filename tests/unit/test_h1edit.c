/* Unit tests for h1edit.c and h1pages.c: head rewrites, own replies. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h1.h"
#include "h1edit.h"
#include "h1pages.h"
#include "h1_vectors.h"
#include "tap.h"

/* What the server got through Squid 5.7 (real-products.md). */
static const char squid_fwd[] =
    "GET /chat HTTP/1.1\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://198.18.2.2\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "User-Agent: rawws/1\r\n"
    "Host: 198.18.2.2\r\n"
    "Via: 1.1 mb.lab (squid/5.7)\r\n"
    "X-Forwarded-For: 198.18.1.2\r\n"
    "Cache-Control: max-age=259200\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

/* What the server got through a default nginx 1.22.1 (real-products.md). */
static const char nginx_fwd[] =
    "GET /chat HTTP/1.0\r\n"
    "Host: 198.18.2.2\r\n"
    "Connection: close\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://198.18.2.2\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "User-Agent: rawws/1\r\n"
    "\r\n";

static char out[8192];

#define IS_BYTES(b, n, lit, name) \
	is_mem((b), (n) > 0 ? (size_t)(n) : 0, (lit), sizeof(lit) - 1, (name))

/* Applies e to in and compares with want; returns the report. */
static struct h1edit_report
edit(const char *in, enum h1_kind kind, const struct h1edit *e,
    const char *want, const char *name)
{
	struct h1_head h;
	struct h1edit_report rep;
	ssize_t n;
	int r;

	memset(&rep, 0, sizeof(rep));
	r = h1_parse_head(in, strlen(in), kind, &h);
	if (r <= 0) {
		ok(0, "%s: parse %s", name, h1_strerror(r));
		return rep;
	}
	n = h1edit_apply(out, sizeof(out), in, &h, e, &rep);
	if (n < 0) {
		ok(0, "%s: does not fit", name);
		return rep;
	}
	is_mem(out, (size_t)n, want, strlen(want), name);
	return rep;
}

/* The report as "removed:Upgrade removed:Connection ...". */
static const char *
report(const struct h1edit_report *rep)
{
	static char s[512];
	size_t i, o = 0;

	s[0] = '\0';
	for (i = 0; i < rep->nact && o < sizeof(s); i++)
		o += (size_t)snprintf(s + o, sizeof(s) - o, "%s%s:%.*s",
		    i ? " " : "", h1edit_act_name(rep->act[i].kind),
		    (int)rep->act[i].namelen, rep->act[i].name);
	return s;
}

static void
test_strip(void)
{
	struct h1edit e;
	struct h1edit_report rep;
	static const char *const squid_add[] = { "X-Forwarded-For: 198.18.1.2",
	    "Cache-Control: max-age=259200", NULL };
	const char *multi = "GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n"
	    "Upgrade: websocket\r\nKeep-Alive: 300\r\nX-Hop: 1\r\n"
	    "Connection: X-Hop\r\nTE: trailers\r\nTrailer: X\r\n"
	    "Proxy-Connection: keep-alive\r\nX-End: 1\r\n\r\n";

	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_STRIP_HOP;
	rep = edit(req13, H1_REQUEST, &e,
	    "GET /chat HTTP/1.1\r\nHost: 198.18.2.2\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Origin: http://198.18.2.2\r\nSec-WebSocket-Version: 13\r\n"
	    "User-Agent: rawws/1\r\n\r\n", "strip hop-by-hop");
	is_str(report(&rep), "removed:Upgrade removed:Connection",
	    "report: headers removed");
	rep = edit(multi, H1_REQUEST, &e, "GET / HTTP/1.1\r\nX-End: 1\r\n\r\n",
	    "strip every hop-by-hop name and those Connection names");

	/* Squid 5.7 intercepting: exactly what real-products.md recorded. */
	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_STRIP_HOP | H1EDIT_HOST_LAST;
	e.via = "1.1 mb.lab (squid/5.7)";
	e.add = squid_add;
	e.connection = "keep-alive";
	rep = edit(req13, H1_REQUEST, &e, squid_fwd,
	    "Squid 5.7 persona forwards what Squid 5.7 forwards");
	is_str(report(&rep), "moved:Host removed:Upgrade removed:Connection "
	    "added:Via added:X-Forwarded-For added:Cache-Control "
	    "added:Connection", "report of the Squid rewrite");

	/* nginx 1.22.1 default proxy_pass. */
	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_HTTP10;
	rep = edit(req13, H1_REQUEST, &e, nginx_fwd,
	    "HTTP/1.0 persona forwards what nginx 1.22.1 forwards");
	is_str(report(&rep), "version:HTTP/1.1 added:Connection "
	    "removed:Upgrade removed:Connection", "report of the downgrade");

	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_STRIP_UPGRADE;
	edit(req13, H1_REQUEST, &e,
	    "GET /chat HTTP/1.1\r\nHost: 198.18.2.2\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Origin: http://198.18.2.2\r\nSec-WebSocket-Version: 13\r\n"
	    "User-Agent: rawws/1\r\n\r\n", "strip Upgrade alone");

	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_STRIP_UPGRADE_TOKEN;
	edit(req13, H1_REQUEST, &e,
	    "GET /chat HTTP/1.1\r\nHost: 198.18.2.2\r\nUpgrade: websocket\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Origin: http://198.18.2.2\r\nSec-WebSocket-Version: 13\r\n"
	    "User-Agent: rawws/1\r\n\r\n",
	    "upgrade token alone: Connection left empty goes");
	rep = edit("GET / HTTP/1.1\r\nConnection:  keep-alive,Upgrade \r\n\r\n",
	    H1_REQUEST, &e, "GET / HTTP/1.1\r\nConnection:  keep-alive \r\n\r\n",
	    "upgrade token alone: other tokens stay, OWS stays");
	is_str(report(&rep), "value:Connection", "report of a value change");

	memset(&e, 0, sizeof(e));
	e.via = "1.1 squid (squid/5.7)";
	edit(resp13, H1_RESPONSE, &e,
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "Via: 1.1 squid (squid/5.7)\r\n\r\n", "Via appended last");
}

static void
test_case(void)
{
	struct h1edit e;
	struct h1edit_report rep;
	static const char *const lv[] = { "Connection", "Upgrade", NULL };
	static const struct h1edit_rename rn[] = {
	    { "Sec-WebSocket-Accept", "Sec-Websocket-Accept" } };
	static const struct h1edit_revalue rv[] = {
	    { "upgrade", "websocket", "WebSocket" } };

	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_LOWER_NAMES;
	rep = edit(resp13, H1_RESPONSE, &e,
	    "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n"
	    "connection: Upgrade\r\n"
	    "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
	    "lowercase names");
	is_str(report(&rep), "renamed:Upgrade renamed:Connection "
	    "renamed:Sec-WebSocket-Accept", "report of lowercased names");

	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_LOWER_VALUES;
	e.lower_values = lv;
	edit(resp13, H1_RESPONSE, &e,
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
	    "lowercase the values of a list");
	e.lower_values = NULL;
	edit(resp13, H1_RESPONSE, &e,
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n\r\n",
	    "lowercase every value (the accept breaks)");

	/* The proxy's own lines: first (nginx's Server and Date, the
	 * server's gone), and before Via (Squid's X-Cache). */
	{
		static const char *const first[] = { "Server: nginx/1.22.1",
		    "Date: Thu, 01 Jan 2026 00:00:00 GMT", NULL };
		static const char *const drops[] = { "Server", "Date", NULL };
		static const char *const xc[] = { "X-Cache: MISS from mb.lab",
		    NULL };

		memset(&e, 0, sizeof(e));
		e.first = first;
		e.drop_names = drops;
		rep = edit("HTTP/1.1 426 Upgrade Required\r\nServer: Python\r\n"
		    "Date: x\r\nContent-Length: 0\r\n\r\n", H1_RESPONSE, &e,
		    "HTTP/1.1 426 Upgrade Required\r\nServer: nginx/1.22.1\r\n"
		    "Date: Thu, 01 Jan 2026 00:00:00 GMT\r\nContent-Length: 0\r\n\r\n",
		    "first lines after the status line, the server's own dropped");
		is_str(report(&rep), "added:Server added:Date removed:Server "
		    "removed:Date", "... reported");
		memset(&e, 0, sizeof(e));
		e.before_via = xc;
		e.via = "1.1 mb.lab (squid/5.7)";
		edit("HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n",
		    H1_RESPONSE, &e,
		    "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n"
		    "X-Cache: MISS from mb.lab\r\nVia: 1.1 mb.lab (squid/5.7)\r\n\r\n",
		    "lines before Via");
	}

	/* Go's textproto: word by word, as a Go proxy writes names. */
	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_CANON_WORDS;
	rep = edit(resp13, H1_RESPONSE, &e,
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-Websocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
	    "canonical words: Sec-Websocket-Accept");
	is_str(report(&rep), "renamed:Sec-WebSocket-Accept",
	    "... only the name that changed is reported");
	edit("GET / HTTP/1.1\r\nsec-websocket-KEY: x\r\nx_odd.name: y\r\n\r\n",
	    H1_REQUEST, &e,
	    "GET / HTTP/1.1\r\nSec-Websocket-Key: x\r\nx_odd.name: y\r\n\r\n",
	    "canonical words: any case in, a name with '_' or '.' kept as is");

	memset(&e, 0, sizeof(e));
	e.renames = rn;
	e.nrenames = nitems(rn);
	e.revalues = rv;
	e.nrevalues = nitems(rv);
	rep = edit(resp13, H1_RESPONSE, &e,
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-Websocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
	    "canonical-case rewrites");
	is_str(report(&rep), "value:Upgrade renamed:Sec-WebSocket-Accept",
	    "report of the case rewrites");

	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_MERGE_DUPS;
	edit(resp13, H1_RESPONSE, &e,
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket, websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
	    "merged duplicate Upgrade");

	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_CONN_MULTI;
	edit(resp13, H1_RESPONSE, &e,
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: keep-alive, Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
	    "multi-value Connection");
	edit("HTTP/1.1 101 X\r\nConnection: Keep-Alive, Upgrade\r\n\r\n",
	    H1_RESPONSE, &e,
	    "HTTP/1.1 101 X\r\nConnection: Keep-Alive, Upgrade\r\n\r\n",
	    "multi-value Connection: a token already there is not added");
}

static void
test_exact(void)
{
	/* Odd spacing, bare LF and case survive an edit elsewhere. */
	const char *odd = "GET /x?a=b HTTP/1.1\nhOsT:a.b  \nX-Odd:\t  a  b \t\n"
	    "UPGRADE:websocket\r\nX-Empty:\r\nx-last: Z\n\n";
	struct h1edit e;
	struct h1_head h;
	char small[512];
	ssize_t full, n;
	size_t cap, bad = 0;
	int r;

	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_STRIP_UPGRADE;
	edit(odd, H1_REQUEST, &e, "GET /x?a=b HTTP/1.1\nhOsT:a.b  \n"
	    "X-Odd:\t  a  b \t\nX-Empty:\r\nx-last: Z\n\n",
	    "untouched lines stay byte for byte");
	e.flags = 0;
	e.via = "1.1 v";
	edit(odd, H1_REQUEST, &e, "GET /x?a=b HTTP/1.1\nhOsT:a.b  \n"
	    "X-Odd:\t  a  b \t\nUPGRADE:websocket\r\nX-Empty:\r\nx-last: Z\n"
	    "Via: 1.1 v\n\n", "added lines follow a bare-LF head's line ends");
	memset(&e, 0, sizeof(e));
	edit(req13, H1_REQUEST, &e, req13, "no edit: identical");

	/* Bounded: every capacity short of the length fails cleanly. */
	r = h1_parse_head(req13, strlen(req13), H1_REQUEST, &h);
	e.flags = H1EDIT_STRIP_HOP | H1EDIT_MERGE_DUPS;
	e.via = "1.1 mb.lab (squid/5.7)";
	full = h1edit_apply(small, sizeof(small), req13, &h, &e, NULL);
	for (cap = 0; cap < (size_t)full; cap++) {
		memset(small, 'Z', sizeof(small));
		n = h1edit_apply(small, cap, req13, &h, &e, NULL);
		bad += n != -1 || small[cap] != 'Z';
	}
	ok(r > 0 && full > 0 && bad == 0,
	    "too small a buffer: -1 and no write past it (%zu bad)", bad);
	ok(h1edit_apply(small, (size_t)full, req13, &h, &e, NULL) == full,
	    "exactly enough room");
}

static unsigned long
bytesum(const char *p, size_t n)
{
	unsigned long s = 0;

	while (n-- > 0)
		s += (unsigned char)*p++;
	return s;
}

static void
test_inplace(void)
{
	char buf[sizeof(req13)], rbuf[sizeof(resp13)];
	struct h1_head h;
	size_t diff = 0, i;
	int r;

	/* docs: misbehaviours.md #11, the sum is 1040 for all three. */
	is_int((long long)bytesum("Connection", 10), 1040, "Connection sums to 1040");
	is_int((long long)bytesum("Cneonction", 10), 1040, "Cneonction too");
	is_int((long long)bytesum("nnCoection", 10), 1040, "nnCoection too");
	memcpy(buf, req13, sizeof(buf));
	r = h1_parse_head(buf, sizeof(buf) - 1, H1_REQUEST, &h);
	ok(r > 0, "parse for in-place");
	is_int(h1edit_rename_inplace(buf, &h, "Connection", "Cneonction"), 1,
	    "one Connection renamed in place");
	for (i = 0; i < sizeof(buf); i++)
		diff += buf[i] != req13[i];
	ok(strstr(buf, "\r\nCneonction: Upgrade\r\n") != NULL && diff == 4,
	    "only the name bytes changed (%zu bytes)", diff);
	is_int((long long)bytesum(buf, sizeof(buf) - 1),
	    (long long)bytesum(req13, sizeof(req13) - 1), "same byte sum");
	is_int((long long)strlen(buf), (long long)strlen(req13), "same length");
	memcpy(rbuf, resp13, sizeof(rbuf));
	r = h1_parse_head(rbuf, sizeof(rbuf) - 1, H1_RESPONSE, &h);
	is_int(h1edit_rename_inplace(rbuf, &h, "connection", "nnCoection"), 1,
	    "the 101 too, nnCoection");
	ok(memcmp(rbuf, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket"
	    "\r\nnnCoection: Upgrade\r\n", 75) == 0, "nnCoection bytes");
	is_int(h1edit_rename_inplace(rbuf, &h, "Connection", "Cnx"), -1,
	    "different lengths refused");
}

static void
test_build(void)
{
	static const char *const hdrs[] = { "Server: x", "Content-Length",
	    "Connection: close", NULL };
	static const char *const plain[] = { "Server: x", NULL };
	char b[8192];
	struct h1_head h;
	ssize_t n;
	int r, i;
	int64_t cl;

	n = h1edit_build_response(b, sizeof(b), 404, "Not Found", hdrs,
	    "nope\n", 5);
	IS_BYTES(b, n,
	    "HTTP/1.1 404 Not Found\r\nServer: x\r\nContent-Length: 5\r\n"
	    "Connection: close\r\n\r\nnope\n", "response with placed length");
	n = h1edit_build_response(b, sizeof(b), 200, "Connection established",
	    NULL, NULL, 0);
	IS_BYTES(b, n,
	    "HTTP/1.1 200 Connection established\r\n\r\n",
	    "no body: no Content-Length");
	n = h1edit_build_response(b, sizeof(b), 200, "OK", plain, "", 0);
	IS_BYTES(b, n,
	    "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 0\r\n\r\n",
	    "empty body: Content-Length 0 appended");
	ok(h1edit_build_response(b, 10, 200, "OK", plain, "", 0) == -1,
	    "does not fit");

	/* HAProxy's 400, byte for byte (misbehaviours.md #12). */
	n = h1pages_haproxy_400(b, sizeof(b));
	IS_BYTES(b, n,
	    "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\n"
	    "Cache-Control: no-cache\r\nConnection: close\r\n"
	    "Content-Type: text/html\r\n\r\n"
	    "<html><body><h1>400 Bad request</h1>\n"
	    "Your browser sent an invalid request.\n</body></html>\n",
	    "HAProxy 400");
	r = h1_parse_head(b, (size_t)n, H1_RESPONSE, &h);
	is_int((long long)n - r, 90, "HAProxy 400: 90-byte body");

	/* Squid 5.7's 403 to CONNECT :80 (real-products.md). */
	n = h1pages_squid_403(b, sizeof(b), "mb.lab",
	    "Sat, 01 Feb 2025 10:00:00 GMT");
	r = h1_parse_head(b, n > 0 ? (size_t)n : 0, H1_RESPONSE, &h);
	ok(r > 0 && h1_content_length(&h, b, &cl) == 1 && cl == n - r,
	    "Squid 403: exact Content-Length");
	{
		static const char *const want[] = { "HTTP/1.1 403 Forbidden",
		    "Server: squid/5.7", "Mime-Version: 1.0",
		    "Date: Sat, 01 Feb 2025 10:00:00 GMT",
		    "Content-Type: text/html;charset=utf-8", NULL,
		    "X-Squid-Error: ERR_ACCESS_DENIED 0",
		    "Vary: Accept-Language", "Content-Language: en",
		    "X-Cache: MISS from mb.lab",
		    "X-Cache-Lookup: NONE from mb.lab:3128",
		    "Via: 1.1 mb.lab (squid/5.7)", "Connection: keep-alive" };
		size_t bad = 0, k;
		char *p = b, *e;

		for (k = 0; k < nitems(want) && r > 0; k++) {
			e = strstr(p, "\r\n");
			if (e == NULL) {
				bad++;
				break;
			}
			if (want[k] == NULL)
				bad += strncmp(p, "Content-Length: ", 16) != 0;
			else
				bad += (size_t)(e - p) != strlen(want[k]) ||
				    memcmp(p, want[k], strlen(want[k])) != 0;
			p = e + 2;
		}
		ok(r > 0 && bad == 0 && h.nhdr == 12,
		    "Squid 403 headers as real Squid 5.7 sends them");
	}
	n = h1pages_squid_400(b, sizeof(b), "mb.lab", NULL);
	r = h1_parse_head(b, n > 0 ? (size_t)n : 0, H1_RESPONSE, &h);
	ok(r > 0 && h.status == 400 && h1_header_find(&h, b, "Date", 0) < 0 &&
	    h1_header_has_token(&h, b, "X-Squid-Error", "ERR_INVALID_REQ 0"),
	    "Squid 400 without Date");

	for (i = 0; i < 2; i++) {
		n = h1pages_nginx(b, sizeof(b), i ? 504 : 502, NULL);
		r = h1_parse_head(b, n > 0 ? (size_t)n : 0, H1_RESPONSE, &h);
		ok(r > 0 && h1_content_length(&h, b, &cl) == 1 && cl == n - r &&
		    strncmp(b, i ? "HTTP/1.1 504 Gateway Time-out\r\n"
		    "Server: nginx/1.22.1\r\n" : "HTTP/1.1 502 Bad Gateway\r\n"
		    "Server: nginx/1.22.1\r\n", i ? 53 : 48) == 0 &&
		    strstr(b, "<hr><center>nginx/1.22.1</center>\r\n</body>\r\n"
		    "</html>\r\n") != NULL, "nginx %d", i ? 504 : 502);
	}
	ok(h1pages_nginx(b, sizeof(b), 500, NULL) == -1, "nginx: 502/504 only");
	ok(h1pages_squid_403(b, 100, "mb.lab", NULL) == -1, "pages are bounded");
}

/*
 * The "browser" and "lower" handshakes of tests/integration/fidelity.sh
 * and what real Squid 5.7 and nginx 1.22.1 forwarded, as measured there.
 */
static const char req_browser[] =
    "GET /chat HTTP/1.1\r\nUser-Agent: rawws/2\r\nAccept:*/*\r\n"
    "Host: 198.18.2.2\r\nSec-WebSocket-Version: 13\r\n"
    "Origin: http://198.18.2.2\r\nSec-WebSocket-Protocol: chat\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Connection: keep-alive, Upgrade, X-Hop\r\nX-Hop: 1\r\n"
    "Keep-Alive: 300\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n"
    "pragma:  no-cache\r\nUpgrade: websocket\r\n\r\n";
static const char req_lower[] =
    "GET /chat HTTP/1.1\r\nhost: 198.18.2.2\r\nconnection: upgrade\r\n"
    "upgrade: websocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "sec-websocket-version: 13\r\n"
    "sec-websocket-extensions: permessage-deflate\r\n"
    "origin: http://198.18.2.2\r\nuser-agent: rawws/3\r\naccept: */*\r\n"
    "accept-language: *\r\nsec-fetch-mode: websocket\r\n"
    "pragma: no-cache\r\ncache-control: no-cache\r\n"
    "accept-encoding: gzip, deflate\r\n\r\n";

static int
wants_close(const char *req)
{
	struct h1_head h;

	if (h1_parse_head(req, strlen(req), H1_REQUEST, &h) <= 0)
		return -1;
	return h1edit_wants_close(&h, req) != 0;
}

static int
squid_nocache(const char *req)
{
	struct h1_head h;

	if (h1_parse_head(req, strlen(req), H1_REQUEST, &h) <= 0)
		return -1;
	return h1edit_squid_nocache(&h, req) != 0;
}

static void
test_products(void)
{
	struct h1edit e;
	struct h1edit_report rep;
	struct h1_head h;
	static const char *const squid_add[] = { "X-Forwarded-For: 198.18.1.2",
	    "Cache-Control: max-age=259200", NULL };
	static const char resp426[] =
	    "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 17\r\n"
	    "Connection: close\r\n\r\n";

	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_STRIP_HOP | H1EDIT_HOST_LAST | H1EDIT_NORMALIZE;
	e.via = "1.1 mb.lab (squid/5.7)";
	e.add = squid_add;
	e.connection = "keep-alive";
	e.canon = h1edit_squid_names;
	edit(req13, H1_REQUEST, &e, squid_fwd,
	    "Squid: the RFC handshake as before, normalizing changes nothing");
	edit(req_browser, H1_REQUEST, &e,
	    "GET /chat HTTP/1.1\r\nUser-Agent: rawws/2\r\nAccept: */*\r\n"
	    "Sec-WebSocket-Version: 13\r\nOrigin: http://198.18.2.2\r\n"
	    "Sec-WebSocket-Protocol: chat\r\n"
	    "Sec-WebSocket-Extensions: permessage-deflate\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Pragma: no-cache\r\nHost: 198.18.2.2\r\n"
	    "Via: 1.1 mb.lab (squid/5.7)\r\nX-Forwarded-For: 198.18.1.2\r\n"
	    "Cache-Control: max-age=259200\r\nConnection: keep-alive\r\n\r\n",
	    "Squid: browser handshake, lines rewritten, its names' case");
	rep = edit(req_lower, H1_REQUEST, &e,
	    "GET /chat HTTP/1.1\r\n"
	    "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "sec-websocket-version: 13\r\n"
	    "sec-websocket-extensions: permessage-deflate\r\n"
	    "Origin: http://198.18.2.2\r\nUser-Agent: rawws/3\r\nAccept: */*\r\n"
	    "Accept-Language: *\r\nsec-fetch-mode: websocket\r\n"
	    "Pragma: no-cache\r\nAccept-Encoding: gzip, deflate\r\n"
	    "Host: 198.18.2.2\r\nVia: 1.1 mb.lab (squid/5.7)\r\n"
	    "X-Forwarded-For: 198.18.1.2\r\nCache-Control: no-cache\r\n"
	    "Connection: keep-alive\r\n\r\n",
	    "Squid: lowercase names; the client's Cache-Control in place of its own");
	ok(strstr(report(&rep), "moved:cache-control") != NULL &&
	    strstr(report(&rep), "added:Cache-Control") == NULL,
	    "report: Cache-Control moved, not added (%s)", report(&rep));

	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_HTTP10 | H1EDIT_HOP_NGINX | H1EDIT_HOST_FIRST |
	    H1EDIT_NORMALIZE;
	edit(req13, H1_REQUEST, &e, nginx_fwd,
	    "nginx: the RFC handshake as before");
	rep = edit(req_browser, H1_REQUEST, &e,
	    "GET /chat HTTP/1.0\r\nHost: 198.18.2.2\r\nConnection: close\r\n"
	    "User-Agent: rawws/2\r\nAccept: */*\r\n"
	    "Sec-WebSocket-Version: 13\r\nOrigin: http://198.18.2.2\r\n"
	    "Sec-WebSocket-Protocol: chat\r\n"
	    "Sec-WebSocket-Extensions: permessage-deflate\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Hop: 1\r\n"
	    "Proxy-Connection: keep-alive\r\npragma: no-cache\r\n\r\n",
	    "nginx: Host first, its own hop set (X-Hop and Proxy-Connection stay)");
	is_str(report(&rep), "version:HTTP/1.1 moved:Host added:Connection "
	    "removed:Connection removed:Keep-Alive removed:TE removed:Upgrade",
	    "report of the nginx rewrite");
	edit(req_lower, H1_REQUEST, &e,
	    "GET /chat HTTP/1.0\r\nHost: 198.18.2.2\r\nConnection: close\r\n"
	    "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "sec-websocket-version: 13\r\n"
	    "sec-websocket-extensions: permessage-deflate\r\n"
	    "origin: http://198.18.2.2\r\nuser-agent: rawws/3\r\naccept: */*\r\n"
	    "accept-language: *\r\nsec-fetch-mode: websocket\r\n"
	    "pragma: no-cache\r\ncache-control: no-cache\r\n"
	    "accept-encoding: gzip, deflate\r\n\r\n",
	    "nginx: its own \"Host\", other names as sent");
	edit("GET /x HTTP/1.1\r\nExpect: 100-continue\r\nHost: a\r\n\r\n",
	    H1_REQUEST, &e,
	    "GET /x HTTP/1.0\r\nHost: a\r\nConnection: close\r\n\r\n",
	    "nginx: Expect goes too");
	edit("\r\nGET /x HTTP/1.1\nA:b \n\n", H1_REQUEST, &e,
	    "GET /x HTTP/1.0\r\nA: b\r\nConnection: close\r\n\r\n",
	    "normalized: CRLF everywhere, \": \", no Host: none invented");

	/* The answer: the proxy's own Connection in place of the server's. */
	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_STRIP_HOP | H1EDIT_NORMALIZE;
	e.via = "1.1 mb.lab (squid/5.7)";
	e.connection = "keep-alive";
	e.canon = h1edit_squid_names;
	edit(resp426, H1_RESPONSE, &e,
	    "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 17\r\n"
	    "Via: 1.1 mb.lab (squid/5.7)\r\nConnection: keep-alive\r\n\r\n",
	    "Squid's answer: Via and Connection: keep-alive last");

	/* nginx's answer: only Connection and Keep-Alive go. */
	memset(&e, 0, sizeof(e));
	e.flags = H1EDIT_STRIP_HOP | H1EDIT_HOP_NGINX | H1EDIT_NORMALIZE;
	e.connection = "keep-alive";
	edit("HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\n"
	    "Keep-Alive: timeout=5\r\nX-Hop2: 1\r\n"
	    "Connection: close, X-Hop2\r\nContent-Length: 0\r\n\r\n",
	    H1_RESPONSE, &e,
	    "HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\n"
	    "X-Hop2: 1\r\nContent-Length: 0\r\n"
	    "Connection: keep-alive\r\n\r\n",
	    "nginx's answer: Upgrade and what Connection names stay");

	ok(squid_nocache("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1"
	    "\r\n\r\n") == 1, "Squid refresh_pattern: a query is not cached");
	ok(squid_nocache("GET /x/cgi-bin/chat HTTP/1.1\r\n\r\n") == 1,
	    "Squid refresh_pattern: nor /cgi-bin/");
	ok(squid_nocache("GET /chat HTTP/1.1\r\n\r\n") == 0 &&
	    squid_nocache("GET /cgi-bin HTTP/1.1\r\n\r\n") == 0,
	    "Squid refresh_pattern: /chat and /cgi-bin are");

	ok(h1_parse_head(req13, strlen(req13), H1_REQUEST, &h) > 0 &&
	    !h1edit_wants_close(&h, req13), "an HTTP/1.1 client keeps alive");
	ok(wants_close("GET / HTTP/1.1\r\nConnection: Upgrade, close\r\n\r\n")
	    == 1, "Connection: close closes");
	ok(wants_close("GET / HTTP/1.0\r\n\r\n") == 1, "HTTP/1.0 closes");
	ok(wants_close("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
	    == 0, "HTTP/1.0 with keep-alive stays");
}

int
main(void)
{
	test_strip();
	test_products();
	test_case();
	test_exact();
	test_inplace();
	test_build();
	return tap_done();
}
