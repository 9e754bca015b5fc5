/* Unit tests for addr.c: listen specs, port lists, formatting. */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

static void
listen_ok(const char *spec, const char *want)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *err;
	char buf[ADDR_STRLEN];

	if (addr_parse_listen(spec, 15080, &ss, &len, &err) != 0) {
		ok(0, "parse %s: %s", spec, err);
		return;
	}
	is_str(addr_format((struct sockaddr *)&ss, buf, sizeof(buf)), want, spec);
}

static void
listen_bad(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *err = NULL;

	ok(addr_parse_listen(spec, 15080, &ss, &len, &err) == -1 && err != NULL,
	    "refused: '%s' (%s)", spec, err ? err : "");
}

int
main(void)
{
	struct portlist pl;
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	const char *err;
	char buf[ADDR_STRLEN];

	listen_ok("8080", "[::]:8080");
	listen_ok("127.0.0.1:80", "127.0.0.1:80");
	listen_ok("[fd00::1]:443", "[fd00::1]:443");
	listen_ok("198.18.0.1:", "198.18.0.1:15080");
	listen_bad("0");
	listen_bad("65536");
	listen_bad("fd00::1:80");
	listen_bad("[fd00::1]80");
	listen_bad("example.com:80");
	listen_bad("80x");
	listen_bad("");

	ok(addr_parse_ports("80,443,8000-8010", &pl, &err) == 0, "port list");
	is_int((long long)pl.n, 3, "three ranges");
	ok(addr_port_in(&pl, 80) && addr_port_in(&pl, 443) &&
	    addr_port_in(&pl, 8005) && addr_port_in(&pl, 8010), "members");
	ok(!addr_port_in(&pl, 81) && !addr_port_in(&pl, 8011), "non-members");
	ok(addr_parse_ports("90-80", &pl, &err) == -1, "backwards range refused");
	ok(addr_parse_ports("", &pl, &err) == -1, "empty list refused");
	ok(addr_parse_ports("80,,", &pl, &err) == 0 && pl.n == 1,
	    "empty items skipped");
	ok(addr_parse_ports("http", &pl, &err) == -1, "names refused");

	/* A v4-mapped address prints, and unmaps, as plain IPv4. */
	ok(addr_parse_ip("::ffff:198.18.1.2", 5000, &ss, &len) == 0, "mapped");
	is_str(addr_format((struct sockaddr *)&ss, buf, sizeof(buf)),
	    "198.18.1.2:5000", "mapped formats as v4");
	addr_unmap(&ss);
	is_int(ss.ss_family, AF_INET, "unmapped to AF_INET");
	is_int(addr_port((struct sockaddr *)&ss), 5000, "port kept");
	(void)sin6;
	return tap_done();
}
