/* Unit tests for rules.c: parsing, matching, picking. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "cfgfile.h"
#include "profile.h"
#include "rules.h"
#include "tap.h"

static struct sockaddr_storage
sa(const char *ip, int port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	return ss;
}

static int
m(const char *rule, const char *ip, int port, uint64_t nth, int http,
    const char *host, const char *target)
{
	struct rule r;
	const char *err = NULL;
	struct sockaddr_storage d = sa(ip, port);
	struct rules_flow f = { (struct sockaddr *)&d, nth, http, host,
	    host ? strlen(host) : 0, target, target ? strlen(target) : 0 };

	if (rules_parse(&r, rule, "t:1", &err) != 0) {
		tap_diag("%s: %s", rule, err);
		return -2;
	}
	return rules_match(&r, &f);
}

static void
bad(const char *rule, const char *want)
{
	struct rule r;
	const char *err = "";

	ok(rules_parse(&r, rule, "t:1", &err) == -1 && strstr(err, want) != NULL,
	    "refused: '%s' (%s)", rule, err);
}

int
main(void)
{
	struct profile_set *ps;
	const struct rule *r, *badr;
	struct rule one;
	const char *err;
	char e[256];
	int pending;

	ok(rules_parse(&one, "port=80,8080 dst=198.18.2.0/24 host=*.example.com "
	    "path=/chat* nth=3 profile=cneonction", "f.conf:7", &err) == 0,
	    "every key");
	ok(one.nports == 2 && one.ports[1] == 8080 && one.dst_plen == 24 &&
	    one.nth == 3 && strcmp(one.profile, "cneonction") == 0 &&
	    strcmp(one.origin, "f.conf:7") == 0, "... parsed");
	ok(rules_needs_http(&one), "host/path need the request head");

	bad("port=80", "profile=NAME");
	bad("port=0 profile=x", "65535");
	bad("port=80,http profile=x", "65535");
	bad("dst=198.18.2.0/33 profile=x", "address or prefix");
	bad("dst=example.com profile=x", "address or prefix");
	bad("host=a*b profile=x", "'*' only at the start");
	bad("host=*example.com profile=x", "'*.domain'");
	bad("path=chat profile=x", "starts with '/'");
	bad("path=/a*b profile=x", "'*' only at the end");
	bad("nth=0 profile=x", "from 1");
	bad("colour=red profile=x", "unknown rule key");
	bad("port 80 profile=x", "key=value");
	bad("profile=bad/name", "letters, digits");

	is_int(m("port=80 profile=x", "198.18.2.2", 80, 1, -1, NULL, NULL), 1, "port matches");
	is_int(m("port=80 profile=x", "198.18.2.2", 443, 1, -1, NULL, NULL), 0, "other port");
	is_int(m("dst=198.18.2.0/24 profile=x", "198.18.2.77", 80, 1, -1, NULL, NULL), 1, "v4 prefix");
	is_int(m("dst=198.18.2.0/23 profile=x", "198.18.3.1", 80, 1, -1, NULL, NULL), 1, "v4 /23");
	is_int(m("dst=198.18.2.0/24 profile=x", "198.18.3.1", 80, 1, -1, NULL, NULL), 0, "v4 outside");
	is_int(m("dst=198.18.2.2 profile=x", "198.18.2.2", 80, 1, -1, NULL, NULL), 1, "a bare address is /32");
	is_int(m("dst=fd00:18:2::/48 profile=x", "fd00:18:2::2", 80, 1, -1, NULL, NULL), 1, "v6 prefix");
	is_int(m("dst=fd00:18:2::/48 profile=x", "198.18.2.2", 80, 1, -1, NULL, NULL), 0, "v6 rule, v4 flow");
	is_int(m("dst=0.0.0.0/0 profile=x", "1.2.3.4", 80, 1, -1, NULL, NULL), 1, "/0 is every v4");
	is_int(m("nth=3 profile=x", "198.18.2.2", 80, 3, -1, NULL, NULL), 1, "the 3rd flow");
	is_int(m("nth=3 profile=x", "198.18.2.2", 80, 4, -1, NULL, NULL), 0, "not the 4th");
	is_int(m("every=2 profile=x", "198.18.2.2", 80, 4, -1, NULL, NULL), 1, "every 2nd: 4");
	is_int(m("every=2 profile=x", "198.18.2.2", 80, 5, -1, NULL, NULL), 0, "every 2nd: not 5");

	is_int(m("host=example.com profile=x", "198.18.2.2", 80, 1, -1, NULL, NULL), -1,
	    "Host unknown yet: cannot tell");
	is_int(m("host=example.com profile=x", "198.18.2.2", 443, 1, 0, NULL, NULL), 0,
	    "not HTTP: no Host rule matches");
	is_int(m("host=example.com profile=x", "198.18.2.2", 80, 1, 1, "Example.COM:8080", "/"), 1,
	    "Host compares without case and port");
	is_int(m("host=*.example.com profile=x", "198.18.2.2", 80, 1, 1, "ws.example.com", "/"), 1,
	    "*.example.com: a name under it");
	is_int(m("host=*.example.com profile=x", "198.18.2.2", 80, 1, 1, "example.com.", "/"), 1,
	    "... and the domain itself (trailing dot too)");
	is_int(m("host=*.example.com profile=x", "198.18.2.2", 80, 1, 1, "badexample.com", "/"), 0,
	    "... not a name that merely ends so");
	is_int(m("host=::1 profile=x", "198.18.2.2", 80, 1, 1, "[::1]:80", "/"), 1,
	    "an IPv6 literal in brackets");
	is_int(m("host=* profile=x", "198.18.2.2", 80, 1, 1, NULL, "/"), 0,
	    "host=*: no Host header, no match");
	is_int(m("path=/chat profile=x", "198.18.2.2", 80, 1, 1, "h", "/chat?room=1"), 1,
	    "a path without its query");
	is_int(m("path=/chat profile=x", "198.18.2.2", 80, 1, 1, "h", "/chatty"), 0,
	    "an exact path");
	is_int(m("path=/chat* profile=x", "198.18.2.2", 80, 1, 1, "h", "/chatty"), 1,
	    "a prefix");
	is_int(m("path=/ws profile=x", "198.18.2.2", 80, 1, 1, "h",
	    "http://example.com/ws"), 1, "absolute-form: the path part");
	is_int(m("path=/ profile=x", "198.18.2.2", 80, 1, 1, "h",
	    "http://example.com"), 1, "absolute-form without a path is /");

	/* Picking: order counts, and an undecidable rule first waits. */
	ps = profile_set_new();
	ok(cfgfile_parse_string("[profile a]\nbehaviour = blackhole\n"
	    "[rules]\n; comment\nrule = port=443 profile=passthrough\n"
	    "rule = host=*.test profile=a\n"
	    "rule = port=80 profile=a\n", "r.conf", NULL, ps, e, sizeof(e)) == 0,
	    "[rules] in a file");
	is_int((int)ps->rules.n, 3, "three rules");
	is_str(ps->rules.r[1].origin, "r.conf:6", "each knows its file:line");
	{
		struct sockaddr_storage d = sa("198.18.2.2", 443);
		struct rules_flow f = { (struct sockaddr *)&d, 1, -1, NULL, 0,
		    NULL, 0 };

		r = rules_pick(&ps->rules, &f, &pending);
		ok(r == &ps->rules.r[0] && !pending, "443: the first rule, at once");
		d = sa("198.18.2.2", 80);
		r = rules_pick(&ps->rules, &f, &pending);
		ok(r == NULL && pending, "80: the Host rule comes first: wait");
		f.http = 1;
		f.host = "x.test";
		f.hostlen = 6;
		r = rules_pick(&ps->rules, &f, &pending);
		ok(r == &ps->rules.r[1] && !pending, "... Host x.test: the second");
		f.host = "other";
		f.hostlen = 5;
		r = rules_pick(&ps->rules, &f, &pending);
		ok(r == &ps->rules.r[2], "... another Host: the third");
		d = sa("198.18.2.2", 22);
		f.http = 0;
		r = rules_pick(&ps->rules, &f, &pending);
		ok(r == NULL && !pending, "port 22, not HTTP: no rule, the default");
	}
	ok(profile_check_rules(ps, &badr) == 0, "every rule names a profile");
	ok(cfgfile_parse_string("[rules]\nrule = port=80 profile=nosuch\n",
	    "s.conf", NULL, ps, e, sizeof(e)) == 0, "a rule may name a later profile");
	ok(profile_check_rules(ps, &badr) == -1 && strcmp(badr->origin,
	    "s.conf:2") == 0, "... checked once all is read, with file:line");
	ok(cfgfile_parse_string("[rules]\nrule = port=80\n", "u.conf", NULL, ps,
	    e, sizeof(e)) == -1, "a bad rule fails");
	is_str(e, "u.conf:2: a rule needs profile=NAME", "... with file:line");
	ok(cfgfile_parse_string("[rules]\nprofile = a\n", "v.conf", NULL, ps,
	    e, sizeof(e)) == -1, "[rules] has rule lines only");
	profile_set_unref(ps);
	return tap_done();
}
