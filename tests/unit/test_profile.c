/* Unit tests for profile.c: behaviour lines and profile sets. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgfile.h"
#include "profile.h"
#include "tap.h"

static int
add(struct profile *p, const char *line)
{
	const char *err = NULL;
	int rc = profile_add_behaviour(p, line, &err);

	if (rc != 0)
		tap_diag("%s: %s", line, err);
	return rc;
}

static void
bad(struct profile *p, const char *line, const char *want)
{
	const char *err = "";
	size_t n = p->nbhv;

	ok(profile_add_behaviour(p, line, &err) == -1 && p->nbhv == n &&
	    strstr(err, want) != NULL, "refused: '%s' (%s)", line, err);
}

int
main(void)
{
	struct profile_set *ps = profile_set_new();
	struct profile *p;
	struct settings s;
	const char *err;
	char e[256];

	ok(ps != NULL && profile_find(ps, "passthrough") != NULL,
	    "passthrough is built in");
	p = profile_add(ps, "t1", "test", &err);
	ok(p != NULL, "add a profile");
	ok(profile_add(ps, "t1", "test", &err) == NULL, "names are unique");
	ok(profile_add(ps, "bad name", "test", &err) == NULL, "names are checked");

	ok(add(p, "idle-timeout 60s") == 0, "idle-timeout 60s");
	is_int(p->bhv[0].kind, BHV_IDLE_TIMEOUT, "kind");
	is_int(p->bhv[0].ms, 60000, "60 s in ms");
	is_int(p->bhv[0].action, BHV_ACT_FIN, "default action fin");
	is_int(p->bhv[0].dir, BHV_DIR_BOTH, "default dir both");
	is_int(p->bhv[0].p_ppm, 1000000, "default probability 1");
	ok(add(p, "idle-timeout 500ms action=close1001 jitter=250ms dir=up p=0.25") == 0,
	    "every parameter");
	is_int(p->bhv[1].ms, 500, "500ms");
	is_int(p->bhv[1].action, BHV_ACT_WSCLOSE, "close1001");
	is_int(p->bhv[1].jitter_ms, 250, "jitter");
	is_int(p->bhv[1].dir, BHV_DIR_UP, "dir up");
	is_int(p->bhv[1].p_ppm, 250000, "p 0.25");
	ok(add(p, "max-lifetime 2m action=rst") == 0, "max-lifetime 2m");
	is_int(p->bhv[2].ms, 120000, "2 minutes");
	ok(add(p, "reset-after 64k dir=down") == 0, "reset-after 64k");
	is_int((long long)p->bhv[3].bytes, 65536, "64k is 65536");
	ok(add(p, "limit-data 1M") == 0, "limit-data 1M");
	is_int((long long)p->bhv[4].bytes, 1048576, "1M");
	ok(add(p, "blackhole dir=down") == 0, "blackhole");
	ok(add(p, "idle-timeout 1.5") == 0 && p->bhv[6].ms == 1500,
	    "a bare number is seconds");

	bad(p, "teleport 5s", "unknown behaviour");
	bad(p, "idle-timeout", "needs a value");
	bad(p, "idle-timeout 0s", "duration");
	bad(p, "idle-timeout 5 parsecs", "one value");
	bad(p, "idle-timeout 5x", "duration");
	bad(p, "idle-timeout 5s action=explode", "action is");
	bad(p, "reset-after 10 action=fin", "unknown parameter");
	bad(p, "reset-after ten", "byte count");
	bad(p, "blackhole 5", "no value");
	bad(p, "limit-data 5 p=2", "probability");
	bad(p, "limit-data 5 dir=sideways", "dir is");
	bad(p, "", "empty");

	/* The explicit proxy's policies. */
	p = profile_add(ps, "ex", "test", &err);
	ok(add(p, "connect-ports 443,8000-8010 page=squid") == 0, "connect-ports");
	ok(strcmp(p->bhv[0].ports, "443,8000-8010") == 0 &&
	    p->bhv[0].page == BHV_PAGE_SQUID && p->bhv[0].dir == BHV_DIR_UP,
	    "... the list kept, Squid's page");
	ok(!p->needs_sniff && bhv_is_explicit(p->bhv[0].kind) &&
	    !bhv_is_http(p->bhv[0].kind), "policies hold no bytes back");
	ok(add(p, "proxy-auth basic realm=\"lab proxy\" user=alice password=s3:cret") == 0,
	    "proxy-auth basic");
	ok(strcmp(p->bhv[1].realm, "lab proxy") == 0 &&
	    strcmp(p->bhv[1].user, "alice") == 0 &&
	    strcmp(p->bhv[1].pass, "s3:cret") == 0, "... realm, user, password");
	ok(add(p, "proxy-auth ntlm") == 0 && (p->bhv[2].flags & BHV_F_NTLM),
	    "proxy-auth ntlm");
	ok(add(p, "proxy-auth negotiate") == 0 &&
	    (p->bhv[3].flags & BHV_F_NEGOTIATE), "proxy-auth negotiate");
	ok(add(p, "connect-reply http10 agent=\"Mini/1.0\" tunnel=opaque") == 0 &&
	    (p->bhv[4].flags & BHV_F_HTTP10) && (p->bhv[4].flags & BHV_F_OPAQUE) &&
	    strcmp(p->bhv[4].agent, "Mini/1.0") == 0, "connect-reply http10");
	ok(add(p, "connect-reply reset") == 0 && (p->bhv[5].flags & BHV_F_RESET),
	    "connect-reply reset");
	bad(p, "connect-ports", "needs a value");
	bad(p, "connect-ports 0", "port");
	bad(p, "connect-ports 443 page=haproxy", "page is squid or plain");
	bad(p, "proxy-auth basic", "needs user=");
	bad(p, "proxy-auth digest", "basic, ntlm or negotiate");
	bad(p, "proxy-auth basic user=a:b password=c", "':'");
	bad(p, "proxy-auth basic user=a realm=x\\y", "realm");
	bad(p, "connect-reply http2", "http11, http10 or reset");
	bad(p, "connect-reply http11 tunnel=maybe", "inspect or opaque");
	/* The TLS behaviours. */
	p = profile_add(ps, "tls1", "test", &err);
	ok(p != NULL && add(p, "sni-deny blocked.lab,*.blocked.lab") == 0 &&
	    strcmp(p->bhv[0].names, "blocked.lab,*.blocked.lab") == 0 &&
	    p->bhv[0].kind == BHV_SNI_DENY, "sni-deny with a name list");
	ok(p != NULL && p->needs_sniff && p->needs_hello,
	    "... it holds TLS bytes for the ClientHello");
	ok(p != NULL && add(p, "tls-stall-after-server-hello") == 0 &&
	    p->bhv[1].dir == BHV_DIR_DOWN, "tls-stall-after-server-hello acts down");
	ok(p != NULL && add(p, "tls-reset-after-hello") == 0 &&
	    bhv_is_tls(p->bhv[2].kind) && !bhv_is_http(p->bhv[2].kind),
	    "tls-reset-after-hello is TLS, not HTTP");
	if (p != NULL) {
		bad(p, "sni-deny", "needs a value");
		bad(p, "sni-allow a.lab,,b.lab", "empty name");
		bad(p, "sni-allow a*.lab", "leading");
		bad(p, "sni-allow *", "leading");
		bad(p, "sni-deny a.lab/x", "names are");
		bad(p, "tls-reset-after-hello 5", "no value");
	}
	p = profile_add(ps, "tls2", "test", &err);
	ok(p != NULL && add(p, "tls-intercept") == 0 &&
	    add(p, "ws-drop-control dir=up") == 0 &&
	    p->bhv[0].kind == BHV_TLS_INTERCEPT && p->needs_hello &&
	    p->bhv[1].kind == BHV_WS_DROP_CONTROL &&
	    p->bhv[1].dir == BHV_DIR_UP, "tls-intercept and ws-drop-control");
	/* The fidelity parameters of the HTTP personas. */
	p = profile_add(ps, "http", "test", &err);
	ok(p != NULL && add(p, "strip-hop-by-hop dir=both names=squid "
	    "normalize=yes refresh=squid") == 0 &&
	    p->bhv[0].dir == BHV_DIR_BOTH && (p->bhv[0].flags &
	    (BHV_F_SQUID_NAMES | BHV_F_NORMALIZE | BHV_F_SQUID_REFRESH)) ==
	    (BHV_F_SQUID_NAMES | BHV_F_NORMALIZE | BHV_F_SQUID_REFRESH),
	    "strip: names=squid normalize=yes refresh=squid");
	ok(p != NULL && add(p, "http10 style=nginx normalize=yes") == 0 &&
	    p->bhv[1].dir == BHV_DIR_UP &&
	    (p->bhv[1].flags & (BHV_F_NGINX | BHV_F_NORMALIZE)) ==
	    (BHV_F_NGINX | BHV_F_NORMALIZE), "http10: style=nginx, up by default");
	ok(p != NULL && add(p, "http10 style=nginx style=rfc") == 0 &&
	    !(p->bhv[2].flags & BHV_F_NGINX), "http10: style=rfc undoes it");
	if (p != NULL) {
		bad(p, "http10 style=apache", "style is");
		bad(p, "strip-hop-by-hop names=upper", "names is");
		bad(p, "strip-hop-by-hop refresh=always", "refresh is");
		bad(p, "http10 normalize=maybe", "yes or no");
		bad(p, "http10 via=x", "unknown parameter");
	}

	/* Profiles from INI sections, as the personas ship. */
	settings_defaults(&s);
	ok(cfgfile_parse_string("[profile short]\nsummary = a test\n"
	    "source = nobody\nbehaviour = idle-timeout 2s\n"
	    "behaviour = blackhole dir=up\n[proxysimd]\nprofile = short\n",
	    "p.conf", &s, ps, e, sizeof(e)) == 0, "profiles from a file");
	p = (struct profile *)profile_find(ps, "short");
	ok(p != NULL && p->nbhv == 2 && strcmp(p->summary, "a test") == 0,
	    "two behaviours and a summary");
	ok(p != NULL && strcmp(p->origin, "p.conf [profile short]") == 0,
	    "the origin names the file");
	is_str(s.profile, "short", "and [proxysimd] picks it");
	ok(cfgfile_parse_string("[profile z]\nbehaviour = idle-timeout\n",
	    "q.conf", &s, ps, e, sizeof(e)) == -1, "a bad behaviour fails");
	is_str(e, "q.conf:2: this behaviour needs a value", "with file:line");
	ok(cfgfile_parse_string("[proxysimd]\nmax-flows = 3\n", "r.conf", NULL,
	    ps, e, sizeof(e)) == -1, "a file of personas has no settings");
	/* Timing behaviours. */
	p = profile_add(ps, "timing", "test", &err);
	ok(p != NULL && add(p, "latency 150ms jitter=50ms dir=down") == 0,
	    "latency with jitter");
	ok(p != NULL && p->bhv[0].kind == BHV_LATENCY && p->bhv[0].ms == 150 &&
	    p->bhv[0].jitter_ms == 50 && p->bhv[0].dir == BHV_DIR_DOWN,
	    "latency 150 ms, jitter 50 ms, down");
	ok(p != NULL && add(p, "bandwidth 64k") == 0 &&
	    p->bhv[1].bytes == 65536 && p->bhv[1].dir == BHV_DIR_BOTH,
	    "bandwidth 64k: 65536 bytes a second, both ways");
	ok(p != NULL && add(p, "slicer 100 variation=20 delay=5ms dir=up") == 0 &&
	    p->bhv[2].bytes == 100 && p->bhv[2].variation == 20 &&
	    p->bhv[2].ms == 5, "slicer 100 +-20, 5 ms apart");
	ok(p != NULL && add(p, "slow-close 2s") == 0 && p->bhv[3].ms == 2000,
	    "slow-close 2s");
	ok(p != NULL && !p->needs_sniff, "timing needs no classification");
	if (p != NULL) {
		bad(p, "latency", "needs a value");
		bad(p, "bandwidth 0", "bytes per second");
		bad(p, "slicer 10 variation=10", "smaller than the size");
		bad(p, "slicer 0", "slice size");
		bad(p, "latency 1s variation=2", "unknown parameter");
		bad(p, "slow-close 1s jitter=1s", "unknown parameter");
	}
	/* The proxy's own header lines. */
	p = profile_add(ps, "hadd", "test", &err);
	ok(p != NULL && add(p, "header-add \"Server: nginx/1.22.1\" where=first replace=yes dir=down") == 0 &&
	    strcmp(p->bhv[0].add, "Server: nginx/1.22.1") == 0 &&
	    (p->bhv[0].flags & BHV_F_FIRST) && (p->bhv[0].flags & BHV_F_REPLACE) &&
	    p->bhv[0].dir == BHV_DIR_DOWN && p->needs_sniff,
	    "header-add with every parameter");
	if (p != NULL) {
		bad(p, "header-add", "needs a value");
		bad(p, "header-add NoColon", "\"Name: value\"");
		bad(p, "header-add \"Bad Name: x\"", "\"Name: value\"");
		bad(p, "header-add \"X: y\" where=middle", "first or end");
	}

	/* Frame-aware behaviours. */
	p = profile_add(ps, "frames", "test", &err);
	ok(p != NULL && add(p, "ws-drop-control") == 0 &&
	    p->bhv[0].ops == (1u << 9 | 1u << 10) && p->needs_sniff,
	    "ws-drop-control: pings and pongs by default, after the 101");
	ok(p != NULL && add(p, "ws-drop-control what=close dir=down") == 0 &&
	    p->bhv[1].ops == 1u << 8 && p->bhv[1].dir == BHV_DIR_DOWN,
	    "what=close dir=down");
	ok(p != NULL && add(p, "ws-frame truncate nth=3 keep=10") == 0 &&
	    (p->bhv[2].flags & BHV_F_TRUNCATE) && p->bhv[2].nth == 3 &&
	    p->bhv[2].keep == 10, "ws-frame truncate nth=3 keep=10");
	ok(p != NULL && add(p, "ws-frame drop") == 0 && p->bhv[3].nth == 1 &&
	    !(p->bhv[3].flags & BHV_F_TRUNCATE), "ws-frame drop: the first");
	if (p != NULL) {
		bad(p, "ws-drop-control what=text", "ping, pong, close");
		bad(p, "ws-frame cut", "drop or truncate");
		bad(p, "ws-frame drop nth=0", "from 1");
		bad(p, "ws-frame", "needs a value");
	}
	/* The shipped idle-timeout personas carry their products' numbers
	 * (the lab tests use the same behaviour with a short one). */
	{
		struct profile_set *sp = profile_set_new();
		const char *top = getenv("top_srcdir");
		char path[4096];
		const struct profile *q;

		snprintf(path, sizeof(path), "%s/rules/profiles/idle-timeouts.conf",
		    top != NULL ? top : "..");
		ok(sp != NULL && cfgfile_load(path, NULL, sp, e, sizeof(e)) == 0,
		    "the idle-timeout personas load (%s)", path);
		q = sp != NULL ? profile_find(sp, "idle-timeout-60") : NULL;
		ok(q != NULL && q->nbhv >= 1 && q->bhv[0].kind == BHV_IDLE_TIMEOUT &&
		    q->bhv[0].ms == 60000 && q->bhv[0].action == BHV_ACT_FIN,
		    "idle-timeout-60: FIN after 60 s (nginx, AWS)");
		q = sp != NULL ? profile_find(sp, "idle-timeout-55") : NULL;
		ok(q != NULL && q->bhv[0].kind == BHV_IDLE_TIMEOUT &&
		    q->bhv[0].ms == 55000, "idle-timeout-55: 55 s (Heroku)");
		q = sp != NULL ? profile_find(sp, "idle-timeout-100") : NULL;
		ok(q != NULL && q->bhv[0].kind == BHV_IDLE_TIMEOUT &&
		    q->bhv[0].ms == 100000 && q->bhv[0].action == BHV_ACT_RST,
		    "idle-timeout-100: RST after 100 s (Cloudflare, as reported)");
		profile_set_unref(sp);
	}
	profile_set_ref(ps);
	profile_set_unref(ps);
	ok(profile_find(ps, "short") != NULL, "a reference keeps the set");
	profile_set_unref(ps);
	return tap_done();
}
