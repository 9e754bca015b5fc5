/* Socket address helpers; see addr.h. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static int
addr_parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int
addr_parse_ip(const char *ip, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*sslen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*sslen = sizeof(*sin6);
		return 0;
	}
	return -1;
}

int
addr_parse_listen(const char *spec, uint16_t defport,
    struct sockaddr_storage *ss, socklen_t *sslen, const char **err)
{
	char host[128];
	const char *portstr, *colon;
	uint16_t port = defport;
	size_t hlen;

	*err = NULL;
	if (spec[0] == '\0') {
		*err = "empty address";
		return -1;
	}
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || close[1] != ':') {
			*err = "expected [ADDRESS]:PORT";
			return -1;
		}
		hlen = (size_t)(close - spec - 1);
		portstr = close + 2;
		if (hlen >= sizeof(host)) {
			*err = "address too long";
			return -1;
		}
		memcpy(host, spec + 1, hlen);
		host[hlen] = '\0';
	} else if ((colon = strrchr(spec, ':')) != NULL) {
		if (strchr(spec, ':') != colon) {
			*err = "IPv6 addresses go in brackets: [ADDRESS]:PORT";
			return -1;
		}
		hlen = (size_t)(colon - spec);
		portstr = colon + 1;
		if (hlen >= sizeof(host)) {
			*err = "address too long";
			return -1;
		}
		memcpy(host, spec, hlen);
		host[hlen] = '\0';
	} else {
		host[0] = '\0';
		portstr = spec;
	}
	if (*portstr != '\0' && addr_parse_port(portstr, &port) != 0) {
		*err = "port must be a number from 1 to 65535";
		return -1;
	}
	if (port == 0) {
		*err = "missing port";
		return -1;
	}
	if (host[0] == '\0')
		return addr_parse_ip("::", port, ss, sslen);
	if (addr_parse_ip(host, port, ss, sslen) != 0) {
		*err = "not a numeric IPv4 or IPv6 address";
		return -1;
	}
	return 0;
}

int
addr_parse_ports(const char *list, struct portlist *pl, const char **err)
{
	char buf[512], *tok, *save = NULL;

	pl->n = 0;
	if (strlen(list) >= sizeof(buf)) {
		*err = "port list too long";
		return -1;
	}
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		uint16_t lo, hi;

		if (dash != NULL)
			*dash = '\0';
		if (addr_parse_port(tok, &lo) != 0 ||
		    (dash != NULL && addr_parse_port(dash + 1, &hi) != 0)) {
			*err = "ports are numbers from 1 to 65535, or ranges LO-HI";
			return -1;
		}
		if (dash == NULL)
			hi = lo;
		if (hi < lo) {
			*err = "port range goes backwards";
			return -1;
		}
		if (pl->n == ADDR_MAXPORTS) {
			*err = "too many ports";
			return -1;
		}
		pl->range[pl->n].lo = lo;
		pl->range[pl->n].hi = hi;
		pl->n++;
	}
	if (pl->n == 0) {
		*err = "empty port list";
		return -1;
	}
	return 0;
}

int
addr_port_in(const struct portlist *pl, uint16_t port)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		if (port >= pl->range[i].lo && port <= pl->range[i].hi)
			return 1;
	return 0;
}

uint16_t
addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

socklen_t
addr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

void
addr_unmap(struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in sin;

	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = sin6->sin6_port;
	memcpy(&sin.sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
}

char *
addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	char ip[INET6_ADDRSTRLEN];

	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, addr_len(sa));
	addr_unmap(&ss);
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip,
		    sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, addr_port((struct sockaddr *)&ss));
	} else if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip,
		    sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, addr_port((struct sockaddr *)&ss));
	} else
		snprintf(buf, len, "?");
	return buf;
}
