/* Rules that pick a flow's profile; see rules.h. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "profile.h"
#include "rules.h"

static int
rules_number(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || n == 0)
		return -1;
	*out = n;
	return 0;
}

static int
rules_ports(struct rule *r, const char *v, const char **err)
{
	char buf[96], *tok, *save = NULL;
	uint64_t n;

	if (strlen(v) >= sizeof(buf)) {
		*err = "port: too long a list";
		return -1;
	}
	strcpy(buf, v);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (rules_number(tok, &n) != 0 || n > 65535) {
			*err = "port: numbers from 1 to 65535, comma-separated";
			return -1;
		}
		if (r->nports == RULES_PORTS) {
			*err = "port: at most 8 ports";
			return -1;
		}
		r->ports[r->nports++] = (uint16_t)n;
	}
	if (r->nports == 0) {
		*err = "port: numbers from 1 to 65535, comma-separated";
		return -1;
	}
	return 0;
}

static int
rules_dst(struct rule *r, const char *v, const char **err)
{
	char buf[64], *slash;
	uint64_t plen;
	unsigned max;

	if (strlen(v) >= sizeof(buf))
		goto bad;
	strcpy(buf, v);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, r->dst) == 1) {
		r->dst_family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, r->dst) == 1) {
		r->dst_family = AF_INET6;
		max = 128;
	} else
		goto bad;
	r->dst_plen = max;
	if (slash != NULL) {
		if (strcmp(slash, "0") == 0)
			plen = 0;
		else if (rules_number(slash, &plen) != 0 || plen > max)
			goto bad;
		r->dst_plen = (unsigned)plen;
	}
	return 0;
bad:
	*err = "dst: an address or prefix (198.18.2.0/24, fd00::/8)";
	return -1;
}

static int
rules_pattern(char *dst, const char *v, int is_path, const char **err)
{
	size_t i, n = strlen(v);

	if (n == 0 || n >= RULES_PATLEN) {
		*err = is_path ? "path: 1 to 127 bytes" : "host: 1 to 127 bytes";
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch <= 0x20 || ch >= 0x7f || (ch == '*' && i != (is_path ?
		    n - 1 : 0))) {
			*err = is_path ? "path: printable, '*' only at the end" :
			    "host: printable, '*' only at the start (*.example.com)";
			return -1;
		}
	}
	if (is_path && v[0] != '/' && strcmp(v, "*") != 0) {
		*err = "path: starts with '/' (or is '*')";
		return -1;
	}
	if (!is_path && v[0] == '*' && n > 1 && v[1] != '.') {
		*err = "host: a wildcard is '*' or '*.domain'";
		return -1;
	}
	for (i = 0; i <= n; i++)
		dst[i] = is_path ? v[i] : (char)tolower((unsigned char)v[i]);
	return 0;
}

int
rules_parse(struct rule *r, const char *line, const char *origin,
    const char **err)
{
	char buf[512], *tok, *save = NULL, *eq;
	const char *perr;

	memset(r, 0, sizeof(*r));
	snprintf(r->origin, sizeof(r->origin), "%s", origin);
	if (strlen(line) >= sizeof(buf)) {
		*err = "rule too long";
		return -1;
	}
	strcpy(buf, line);
	for (tok = strtok_r(buf, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if ((eq = strchr(tok, '=')) == NULL || eq == tok) {
			*err = "a rule is key=value words (port, dst, host, "
			    "path, nth, every, profile)";
			return -1;
		}
		*eq++ = '\0';
		if (strcmp(tok, "port") == 0) {
			if (rules_ports(r, eq, err) != 0)
				return -1;
		} else if (strcmp(tok, "dst") == 0) {
			if (rules_dst(r, eq, err) != 0)
				return -1;
		} else if (strcmp(tok, "host") == 0) {
			if (rules_pattern(r->host, eq, 0, err) != 0)
				return -1;
		} else if (strcmp(tok, "path") == 0) {
			if (rules_pattern(r->path, eq, 1, err) != 0)
				return -1;
		} else if (strcmp(tok, "nth") == 0 || strcmp(tok, "every") == 0) {
			if (rules_number(eq, tok[0] == 'n' ? &r->nth :
			    &r->every) != 0) {
				*err = "nth and every take a number from 1";
				return -1;
			}
		} else if (strcmp(tok, "profile") == 0) {
			if (profile_name_ok(eq, &perr) != 0) {
				*err = perr;
				return -1;
			}
			snprintf(r->profile, sizeof(r->profile), "%s", eq);
		} else {
			*err = "unknown rule key (port, dst, host, path, nth, "
			    "every, profile)";
			return -1;
		}
	}
	if (r->profile[0] == '\0') {
		*err = "a rule needs profile=NAME";
		return -1;
	}
	return 0;
}

int
rules_needs_http(const struct rule *r)
{
	return r->host[0] != '\0' || r->path[0] != '\0';
}

static int
rules_addr_match(const struct rule *r, const struct sockaddr *sa)
{
	const unsigned char *a;
	unsigned full, rest;

	if (sa == NULL || sa->sa_family != r->dst_family)
		return 0;
	a = sa->sa_family == AF_INET ?
	    (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr :
	    (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	full = r->dst_plen / 8;
	rest = r->dst_plen % 8;
	if (memcmp(a, r->dst, full) != 0)
		return 0;
	return rest == 0 ||
	    ((a[full] ^ r->dst[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static uint16_t
rules_port_of(const struct sockaddr *sa)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

/* Host header value without its port: "[::1]:80" -> "::1". */
static void
rules_host_name(const char *h, size_t len, const char **name, size_t *nlen)
{
	size_t i;

	while (len > 0 && (h[len - 1] == ' ' || h[len - 1] == '\t'))
		len--;
	while (len > 0 && (h[0] == ' ' || h[0] == '\t'))
		h++, len--;
	if (len > 0 && h[0] == '[') {
		for (i = 1; i < len && h[i] != ']'; i++)
			;
		*name = h + 1;
		*nlen = i - 1;
		return;
	}
	for (i = 0; i < len && h[i] != ':'; i++)
		;
	*name = h;
	*nlen = i;
}

static int
rules_host_match(const char *pat, const char *h, size_t len)
{
	const char *name;
	size_t n, plen = strlen(pat);

	rules_host_name(h, len, &name, &n);
	if (n > 0 && name[n - 1] == '.')
		n--;	/* "example.com." is example.com */
	if (strcmp(pat, "*") == 0)
		return n > 0;
	if (pat[0] == '*') {
		/* "*.example.com": example.com and any name under it. */
		const char *dom = pat + 2;
		size_t dlen = plen - 2;

		if (n == dlen)
			return strncasecmp(name, dom, n) == 0;
		return n > dlen && name[n - dlen - 1] == '.' &&
		    strncasecmp(name + n - dlen, dom, dlen) == 0;
	}
	return n == plen && strncasecmp(name, pat, n) == 0;
}

static int
rules_path_match(const char *pat, const char *t, size_t len)
{
	size_t plen = strlen(pat), n;
	const char *p;

	/* absolute-form: skip "scheme://authority". */
	if ((p = memchr(t, ':', len)) != NULL && p + 2 < t + len &&
	    p[1] == '/' && p[2] == '/' && t[0] != '/') {
		const char *a = p + 3;

		while (a < t + len && *a != '/' && *a != '?')
			a++;
		len -= (size_t)(a - t);
		t = a;
		if (len == 0) {
			t = "/";
			len = 1;
		}
	}
	if (strcmp(pat, "*") == 0)
		return 1;
	if (pat[plen - 1] == '*')
		return len >= plen - 1 && memcmp(t, pat, plen - 1) == 0;
	for (n = 0; n < len && t[n] != '?'; n++)
		;
	return n == plen && memcmp(t, pat, n) == 0;
}

int
rules_match(const struct rule *r, const struct rules_flow *f)
{
	unsigned i;

	if (r->nports > 0) {
		uint16_t port = rules_port_of(f->dst);

		for (i = 0; i < r->nports && r->ports[i] != port; i++)
			;
		if (i == r->nports)
			return 0;
	}
	if (r->dst_family != 0 && !rules_addr_match(r, f->dst))
		return 0;
	if (r->nth != 0 && f->nth != r->nth)
		return 0;
	if (r->every != 0 && (f->nth == 0 || f->nth % r->every != 0))
		return 0;
	if (!rules_needs_http(r))
		return 1;
	if (f->http == 0)
		return 0;
	if (f->http < 0)
		return -1;
	if (r->host[0] != '\0' && (f->host == NULL ||
	    !rules_host_match(r->host, f->host, f->hostlen)))
		return 0;
	if (r->path[0] != '\0' && (f->target == NULL ||
	    !rules_path_match(r->path, f->target, f->targetlen)))
		return 0;
	return 1;
}

const struct rule *
rules_pick(const struct ruleset *rs, const struct rules_flow *f, int *pending)
{
	size_t i;
	int m;

	*pending = 0;
	for (i = 0; i < rs->n; i++) {
		m = rules_match(&rs->r[i], f);
		if (m < 0) {
			*pending = 1;
			return NULL;
		}
		if (m > 0)
			return &rs->r[i];
	}
	return NULL;
}
