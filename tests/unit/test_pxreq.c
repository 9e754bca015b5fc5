/* Unit tests for pxreq.c: request targets, Basic credentials, origin-form. */
#include "config.h"

#include <string.h>

#include "h1.h"
#include "pxreq.h"
#include "tap.h"

static struct h1_head hd;

static enum pxreq_err
parse(const char *req, struct pxreq *r)
{
	if (h1_parse_head(req, strlen(req), H1_REQUEST, &hd) <= 0) {
		tap_diag("head did not parse: %s", req);
		return PXREQ_E_MAX;
	}
	return pxreq_parse(req, &hd, r);
}

static void
target(const char *req, enum pxreq_err want, const char *host, int port,
    const char *name)
{
	struct pxreq r;
	enum pxreq_err e = parse(req, &r);

	is_str(pxreq_strerror(e), pxreq_strerror(want), name);
	if (want == PXREQ_E_NONE && e == PXREQ_E_NONE) {
		is_str(r.host, host, "... host");
		is_int(r.port, port, "... port");
	}
}

static void
rewrite(const char *req, int drop, const char *want, const char *name)
{
	struct pxreq r;
	char out[1024];
	ssize_t n;

	if (parse(req, &r) != PXREQ_E_NONE) {
		ok(0, "%s: parse", name);
		return;
	}
	n = pxreq_origin_form(out, sizeof(out), req, &hd, &r, drop);
	is_mem(out, n < 0 ? 0 : (size_t)n, want, strlen(want), name);
}

int
main(void)
{
	struct pxreq r;
	char small[8];
	const char *q;

	target("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n",
	    PXREQ_E_NONE, "example.org", 443, "CONNECT name:port");
	target("CONNECT 198.18.2.2:80 HTTP/1.1\r\n\r\n", PXREQ_E_NONE,
	    "198.18.2.2", 80, "CONNECT v4:port, no Host is fine");
	target("CONNECT [fd00:18:2::2]:443 HTTP/1.1\r\n\r\n", PXREQ_E_NONE,
	    "fd00:18:2::2", 443, "CONNECT [v6]:port");
	target("CONNECT example.org HTTP/1.1\r\n\r\n", PXREQ_E_CONNECT_PORT,
	    NULL, 0, "CONNECT without a port");
	target("CONNECT example.org:0 HTTP/1.1\r\n\r\n", PXREQ_E_CONNECT_PORT,
	    NULL, 0, "CONNECT port 0");
	target("CONNECT example.org:65536 HTTP/1.1\r\n\r\n", PXREQ_E_CONNECT_PORT,
	    NULL, 0, "CONNECT port 65536");
	target("CONNECT example.org:+80 HTTP/1.1\r\n\r\n", PXREQ_E_CONNECT_PORT,
	    NULL, 0, "CONNECT port with a sign");
	target("CONNECT :::: HTTP/1.1\r\n\r\n", PXREQ_E_CONNECT_TARGET,
	    NULL, 0, "CONNECT :::: (Squid's 400 case)");
	target("CONNECT /x HTTP/1.1\r\n\r\n", PXREQ_E_CONNECT_TARGET,
	    NULL, 0, "CONNECT with a path");
	target("CONNECT [fd00::1 HTTP/1.1\r\n\r\n", PXREQ_E_CONNECT_TARGET,
	    NULL, 0, "CONNECT unclosed bracket");
	target("CONNECT [zz::1]:443 HTTP/1.1\r\n\r\n", PXREQ_E_CONNECT_TARGET,
	    NULL, 0, "CONNECT bad v6");
	target("CONNECT a@b:443 HTTP/1.1\r\n\r\n", PXREQ_E_CONNECT_TARGET,
	    NULL, 0, "CONNECT with userinfo");
	target("GET http://198.18.2.2/chat HTTP/1.1\r\nHost: 198.18.2.2\r\n\r\n",
	    PXREQ_E_NONE, "198.18.2.2", 80, "absolute http, default port 80");
	target("GET ws://server1.lab:8080/c?x=1 HTTP/1.1\r\nHost: a\r\n\r\n",
	    PXREQ_E_NONE, "server1.lab", 8080, "absolute ws with a port");
	target("GET HTTP://[fd00:18:2::2]:81 HTTP/1.1\r\nHost: a\r\n\r\n",
	    PXREQ_E_NONE, "fd00:18:2::2", 81, "scheme without case, v6, no path");
	target("GET https://a/ HTTP/1.1\r\nHost: a\r\n\r\n", PXREQ_E_SCHEME,
	    NULL, 0, "https in absolute-form is refused");
	target("GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", PXREQ_E_SCHEME,
	    NULL, 0, "ftp");
	target("GET http://u:p@a/ HTTP/1.1\r\nHost: a\r\n\r\n", PXREQ_E_URL,
	    NULL, 0, "userinfo in the URL");
	target("GET http:/a/ HTTP/1.1\r\nHost: a\r\n\r\n", PXREQ_E_URL,
	    NULL, 0, "one slash");
	target("GET http:// HTTP/1.1\r\nHost: a\r\n\r\n", PXREQ_E_URL,
	    NULL, 0, "no host");
	target("GET http://a:99999/ HTTP/1.1\r\nHost: a\r\n\r\n", PXREQ_E_URL,
	    NULL, 0, "port out of range");
	target("GET http://a/ HTTP/1.1\r\n\r\n", PXREQ_E_NO_HOST,
	    NULL, 0, "absolute-form HTTP/1.1 without Host");
	target("GET http://a/ HTTP/1.0\r\n\r\n", PXREQ_E_NONE,
	    "a", 80, "absolute-form HTTP/1.0 without Host is fine");
	target("GET / HTTP/1.1\r\n\r\n", PXREQ_E_NO_HOST,
	    NULL, 0, "origin-form without Host");
	target("GET / HTTP/1.1\r\nHost: a\r\n\r\n", PXREQ_E_ORIGIN_FORM,
	    NULL, 0, "origin-form with Host: a forward proxy wants a URL");
	is_str(pxreq_form_name(r.form), "connect", "form name (unset)");
	(void)parse("GET ws://a/ HTTP/1.1\r\nHost: a\r\n\r\n", &r);
	is_str(r.scheme, "ws", "scheme kept");
	is_str(pxreq_form_name(r.form), "absolute", "form");

	/* Basic: "user:secret" is dXNlcjpzZWNyZXQ=. */
	q = "CONNECT a:443 HTTP/1.1\r\nProxy-Authorization: Basic dXNlcjpzZWNyZXQ=\r\n\r\n";
	(void)parse(q, &r);
	is_int(pxreq_basic_check(q, &hd, "user:secret"), 1, "Basic: right");
	is_int(pxreq_basic_check(q, &hd, "user:secreT"), -1, "Basic: wrong password");
	is_int(pxreq_basic_check(q, &hd, "user:secre"), -1, "Basic: prefix is not enough");
	q = "CONNECT a:443 HTTP/1.1\r\nproxy-authorization: basic   dXNlcjpzZWNyZXQ=\r\n\r\n";
	(void)parse(q, &r);
	is_int(pxreq_basic_check(q, &hd, "user:secret"), 1, "Basic: no case, extra spaces");
	q = "CONNECT a:443 HTTP/1.1\r\nProxy-Authorization: NTLM TlRMTVNTUAABAAAA\r\n\r\n";
	(void)parse(q, &r);
	is_int(pxreq_basic_check(q, &hd, "user:secret"), -1, "another scheme is wrong");
	q = "CONNECT a:443 HTTP/1.1\r\nProxy-Authorization: Basic dXNlcjpzZWNyZXQ\r\n\r\n";
	(void)parse(q, &r);
	is_int(pxreq_basic_check(q, &hd, "user:secret"), -1, "bad base64 length");
	q = "CONNECT a:443 HTTP/1.1\r\nProxy-Authorization: Basic dX=lcjpzZWNyZXQ=\r\n\r\n";
	(void)parse(q, &r);
	is_int(pxreq_basic_check(q, &hd, "user:secret"), -1, "padding inside");
	q = "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n";
	(void)parse(q, &r);
	is_int(pxreq_basic_check(q, &hd, "user:secret"), 0, "no credentials");

	rewrite("GET http://198.18.2.2/chat HTTP/1.1\r\nHost: 198.18.2.2\r\n"
	    "Upgrade: websocket\r\n\r\n", 0,
	    "GET /chat HTTP/1.1\r\nHost: 198.18.2.2\r\nUpgrade: websocket\r\n\r\n",
	    "origin-form: only the target changes");
	rewrite("GET ws://a:81?x HTTP/1.1\nHost: a\nX:  y \n\n", 0,
	    "GET /?x HTTP/1.1\nHost: a\nX:  y \n\n",
	    "no path becomes /, bare LF and spacing kept");
	rewrite("GET http://a HTTP/1.0\r\nProxy-Authorization: Basic eDp5\r\n"
	    "Accept: */*\r\n\r\n", 1,
	    "GET / HTTP/1.0\r\nAccept: */*\r\n\r\n",
	    "the consumed credentials are dropped");
	q = "GET http://a/long HTTP/1.1\r\nHost: a\r\n\r\n";
	(void)parse(q, &r);
	is_int(pxreq_origin_form(small, sizeof(small), q, &hd, &r, 0), -1,
	    "a small buffer is refused, not overrun");
	return tap_done();
}
