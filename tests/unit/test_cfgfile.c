/* Unit tests for cfgfile.c: INI settings, precedence and file:line errors. */
#include "config.h"

#include <string.h>

#include "cfgfile.h"
#include "tap.h"

static int
parse(const char *text, struct settings *s, char *err, size_t errlen)
{
	return cfgfile_parse_string(text, "lab.conf", s, NULL, err, errlen);
}

int
main(void)
{
	struct settings s;
	char err[256];

	settings_defaults(&s);
	ok(parse("[proxysimd]\nlisten = 198.18.0.1:3129\nports = 80,8080\n"
	    "redirect = veth0\nredirect = veth1\nmax-flows = 10\n"
	    "connect-timeout = 3\nbuffer-size = 65536\nmark = 0x10\n"
	    "tproxy = yes\nlog = /tmp/x.jsonl\nprofile = passthrough\n",
	    &s, err, sizeof(err)) == 0, "full file parses");
	is_int(addr_port((struct sockaddr *)&s.listen), 3129, "listen port");
	ok(!s.listen_any, "specific address");
	is_int((long long)s.nifaces, 2, "two interfaces");
	is_str(s.ifaces[1], "veth1", "second interface");
	ok(addr_port_in(&s.ports, 8080) && !addr_port_in(&s.ports, 443), "ports");
	is_int(s.max_flows, 10, "max-flows");
	is_int(s.connect_timeout_ms, 3000, "connect-timeout in ms");
	is_int((long long)s.buffer_size, 65536, "buffer-size");
	is_int(s.mark, 0x10, "mark in hex");
	is_int(s.tproxy, 1, "tproxy");
	is_str(s.log, "/tmp/x.jsonl", "log");
	ok(settings_transparent(&s), "-r: a transparent listener");

	{
		struct settings x;
		char a[ADDR_STRLEN];

		settings_defaults(&x);
		ok(parse("explicit = 3128\n", &x, err, sizeof(err)) == 0 &&
		    x.explicit_on, "explicit = PORT");
		is_str(addr_format((struct sockaddr *)&x.explicit_addr, a,
		    sizeof(a)), "127.0.0.1:3128", "... on 127.0.0.1 only");
		ok(!settings_transparent(&x), "... alone: no transparent listener");
		ok(parse("explicit = [::1]:3129\nlisten = 15080\n", &x, err,
		    sizeof(err)) == 0, "explicit = [v6]:PORT");
		is_str(addr_format((struct sockaddr *)&x.explicit_addr, a,
		    sizeof(a)), "[::1]:3129", "... the address given");
		ok(settings_transparent(&x), "... with listen: both listeners");
		ok(parse("explicit = 0\n", &x, err, sizeof(err)) == -1,
		    "explicit = 0 refused");
		x.set |= SET_EXPLICIT;
		ok(parse("explicit = 9999\n", &x, err, sizeof(err)) == 0 &&
		    addr_port((struct sockaddr *)&x.explicit_addr) == 3129,
		    "the command line's -x wins");
	}

	settings_defaults(&s);
	s.set = SET_MAX_FLOWS;
	s.max_flows = 7;
	ok(parse("max-flows = 99\n", &s, err, sizeof(err)) == 0 &&
	    s.max_flows == 7, "the command line wins over the file");

	settings_defaults(&s);
	ok(parse("[proxysimd]\nlisten = 80\n\nbogus = 1\n", &s, err,
	    sizeof(err)) == -1, "unknown key refused");
	is_str(err, "lab.conf:4: unknown key", "error names file:line");

	settings_defaults(&s);
	ok(parse("profile = no such\n", &s, err, sizeof(err)) == -1,
	    "bad profile name refused");
	ok(strncmp(err, "lab.conf:1: profile names are", 29) == 0,
	    "profile error names file:line");
	settings_defaults(&s);
	ok(parse("[profile x]\nbehaviour = blackhole\n", &s, err,
	    sizeof(err)) == -1, "profiles refused where no set is given");

	settings_defaults(&s);
	ok(parse("[other]\nx = 1\n", &s, err, sizeof(err)) == -1,
	    "unknown section refused");
	is_str(err, "lab.conf:2: unknown section [other]", "section error");

	settings_defaults(&s);
	ok(parse("max-flows = 0\n", &s, err, sizeof(err)) == -1,
	    "max-flows 0 refused");
	settings_defaults(&s);
	ok(parse("tproxy = maybe\n", &s, err, sizeof(err)) == -1,
	    "bad boolean refused");
	settings_defaults(&s);
	ok(parse("redirect = eth0;rm\n", &s, err, sizeof(err)) == -1,
	    "interface with shell characters refused");
	settings_defaults(&s);
	ok(parse("listen 80\n", &s, err, sizeof(err)) == -1 &&
	    strncmp(err, "lab.conf:1:", 11) == 0, "syntax error has a line");

	settings_defaults(&s);
	ok(parse("ports = 80\n  443\n", &s, err, sizeof(err)) == -1,
	    "continuation line refused");
	is_str(err, "lab.conf:2: indented line (continuation lines are not "
	    "supported)", "continuation error names the line");
	settings_defaults(&s);
	ok(parse("ports = 80\nbroken line\nbogus = 1\n", &s, err,
	    sizeof(err)) == -1, "syntax error before an unknown key");
	is_str(err, "lab.conf:2: syntax error: expected key = value",
	    "the first error's line gets its own message");
	settings_defaults(&s);
	ok(cfgfile_load("/", &s, NULL, err, sizeof(err)) == -1 &&
	    strstr(err, "not a regular file") != NULL, "a directory is refused");

	settings_defaults(&s);
	ok(cfgfile_load("/nonexistent/proxysim.conf", &s, NULL, err, sizeof(err)) == -1
	    && strstr(err, "No such file") != NULL, "missing file reported");
	return tap_done();
}
