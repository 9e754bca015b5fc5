/* Canned responses of real proxies; see h1pages.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "h1edit.h"
#include "h1pages.h"

#define H1PAGES_BODY_MAX	2048

/*
 * Squid's English error template with its %-codes filled in, minus the
 * inline stylesheet (%l) that makes the real page 3048 bytes: clients
 * look at the status and the headers, and Content-Length stays exact.
 */
static int
h1pages_squid_body(char *b, size_t cap, const char *err, const char *host,
    const char *date)
{
	const char *what = strcmp(err, "ERR_ACCESS_DENIED") == 0 ?
	    "Access Denied." : strcmp(err, "ERR_CACHE_ACCESS_DENIED") == 0 ?
	    "Cache Access Denied." : "Invalid Request";

	return snprintf(b, cap,
	    "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\" "
	    "\"http://www.w3.org/TR/html4/strict.dtd\">\n"
	    "<html><head>\n"
	    "<meta type=\"copyright\" content=\"Copyright (C) 1996-2022 The "
	    "Squid Software Foundation and contributors\">\n"
	    "<meta http-equiv=\"Content-Type\" content=\"text/html; "
	    "charset=utf-8\">\n"
	    "<title>ERROR: The requested URL could not be retrieved</title>\n"
	    "</head><body id=%s>\n"
	    "<div id=\"titles\">\n<h1>ERROR</h1>\n"
	    "<h2>The requested URL could not be retrieved</h2>\n</div>\n<hr>\n\n"
	    "<div id=\"content\">\n"
	    "<blockquote id=\"error\">\n<p><b>%s</b></p>\n</blockquote>\n\n"
	    "<p>Your cache administrator is <a href=\"mailto:webmaster\">"
	    "webmaster</a>.</p>\n<br>\n</div>\n\n<hr>\n"
	    "<div id=\"footer\">\n<p>Generated %s by %s (squid/5.7)</p>\n"
	    "<!-- %s -->\n</div>\n</body></html>\n",
	    err, what, date != NULL ? date : "", host, err);
}

ssize_t
h1pages_squid(char *out, size_t cap, int status, const char *reason,
    const char *err, const char *lookup, const char *host, const char *date)
{
	return h1pages_squid_ex(out, cap, status, reason, err, lookup, host,
	    date, NULL);
}

ssize_t
h1pages_squid_ex(char *out, size_t cap, int status, const char *reason,
    const char *err, const char *lookup, const char *host, const char *date,
    const char *extra)
{
	char body[H1PAGES_BODY_MAX], d[96], xerr[96], xc[96], xcl[96], via[96];
	const char *hdrs[16];
	size_t n = 0;
	int bl;

	bl = h1pages_squid_body(body, sizeof(body), err, host, date);
	if (bl < 0 || (size_t)bl >= sizeof(body))
		return -1;
	if (date != NULL)
		snprintf(d, sizeof(d), "Date: %s", date);
	snprintf(xerr, sizeof(xerr), "X-Squid-Error: %s 0", err);
	snprintf(xc, sizeof(xc), "X-Cache: MISS from %s", host);
	snprintf(xcl, sizeof(xcl), "X-Cache-Lookup: %s from %s:3128", lookup,
	    host);
	snprintf(via, sizeof(via), "Via: 1.1 %s (squid/5.7)", host);
	/* The order real Squid 5.7 sends (docs: real-products.md). */
	hdrs[n++] = "Server: squid/5.7";
	hdrs[n++] = "Mime-Version: 1.0";
	if (date != NULL)
		hdrs[n++] = d;
	hdrs[n++] = "Content-Type: text/html;charset=utf-8";
	hdrs[n++] = "Content-Length";
	hdrs[n++] = xerr;
	hdrs[n++] = "Vary: Accept-Language";
	hdrs[n++] = "Content-Language: en";
	hdrs[n++] = xc;
	hdrs[n++] = xcl;
	hdrs[n++] = via;
	if (extra != NULL)
		hdrs[n++] = extra;	/* Proxy-Authenticate, after Via */
	hdrs[n++] = "Connection: keep-alive";
	hdrs[n] = NULL;
	return h1edit_build_response(out, cap, status, reason, hdrs, body,
	    (size_t)bl);
}

ssize_t
h1pages_squid_403(char *out, size_t cap, const char *host, const char *date)
{
	return h1pages_squid(out, cap, 403, "Forbidden", "ERR_ACCESS_DENIED",
	    "NONE", host, date);
}

ssize_t
h1pages_squid_400(char *out, size_t cap, const char *host, const char *date)
{
	return h1pages_squid(out, cap, 400, "Bad Request", "ERR_INVALID_REQ",
	    "NONE", host, date);
}

ssize_t
h1pages_haproxy_400(char *out, size_t cap)
{
	/* HAProxy 2.x http_err_msgs[HTTP_ERR_400], byte for byte. */
	static const char *const hdrs[] = { "Content-length",
	    "Cache-Control: no-cache", "Connection: close",
	    "Content-Type: text/html", NULL };
	static const char body[] = "<html><body><h1>400 Bad request</h1>\n"
	    "Your browser sent an invalid request.\n</body></html>\n";

	return h1edit_build_response(out, cap, 400, "Bad request", hdrs, body,
	    sizeof(body) - 1);
}

ssize_t
h1pages_nginx(char *out, size_t cap, int status, const char *date)
{
	char body[512], d[96];
	const char *line, *hdrs[8];
	size_t n = 0;
	int bl;

	if (status == 502)
		line = "502 Bad Gateway";
	else if (status == 504)
		line = "504 Gateway Time-out";
	else
		return -1;
	/* ngx_http_special_response.c: the page, then the full tail. */
	bl = snprintf(body, sizeof(body), "<html>\r\n"
	    "<head><title>%s</title></head>\r\n<body>\r\n"
	    "<center><h1>%s</h1></center>\r\n"
	    "<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n",
	    line, line);
	if (bl < 0 || (size_t)bl >= sizeof(body))
		return -1;
	hdrs[n++] = "Server: nginx/1.22.1";
	if (date != NULL) {
		snprintf(d, sizeof(d), "Date: %s", date);
		hdrs[n++] = d;
	}
	hdrs[n++] = "Content-Type: text/html";
	hdrs[n++] = "Content-Length";
	hdrs[n++] = "Connection: keep-alive";
	hdrs[n] = NULL;
	return h1edit_build_response(out, cap, status, line + 4, hdrs, body,
	    (size_t)bl);
}
