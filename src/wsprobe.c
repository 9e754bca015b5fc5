/*
 * wsprobe: what did the WebSocket client experience? A client that ends
 * in one classified result (its exit status), and with --serve an echo
 * server that logs each handshake as it arrived. This file holds the
 * command line; see wsprobe(1).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsprobe.h"

static const char *const wsprobe_classes[] = {
	[WSPROBE_OK] = "ok",
	[WSPROBE_INTERNAL] = "internal",
	[WSPROBE_USAGE] = "usage",
	[WSPROBE_CONNECT] = "connect",
	[WSPROBE_PROXY] = "proxy",
	[WSPROBE_HTTP] = "http-status",
	[WSPROBE_HANDSHAKE] = "handshake",
	[WSPROBE_TIMEOUT] = "timeout",
	[WSPROBE_CLOSED] = "closed",
	[WSPROBE_ECHO] = "echo",
	[WSPROBE_TLS] = "tls",
};

const char *
wsprobe_class(int status)
{
	if (status < 0 || (size_t)status >= nitems(wsprobe_classes) ||
	    wsprobe_classes[status] == NULL)
		return "unknown";
	return wsprobe_classes[status];
}

unsigned
wsprobe_version_bit(int v)
{
	switch (v) {
	case 13: return WSPROBE_V_13;
	case 8: return WSPROBE_V_8;
	case 7: return WSPROBE_V_7;
	case 76: return WSPROBE_V_76;
	case 75: return WSPROBE_V_75;
	default: return 0;
	}
}

static void
wsprobe_usage(FILE *f)
{
	fprintf(f,
"Usage: wsprobe [OPTIONS] ws[s]://HOST[:PORT][/PATH]\n"
"       wsprobe --serve --listen [ADDR:]PORT [OPTIONS]\n"
"A WebSocket client that reports, as one classified result, what it\n"
"experienced; and an echo server that logs each handshake as it arrived.\n"
"\n"
"Client:\n"
"      --version V           WebSocket version: 13 (default), 8, 7, 76, 75\n"
"  -x, --proxy http://H:P    through an HTTP proxy (CONNECT tunnel)\n"
"      --proxy-mode MODE     connect (default) or absolute (GET http://...)\n"
"  -o, --origin ORIGIN       send this Origin\n"
"  -H, --header NAME:VALUE   an extra request header (repeatable)\n"
"      --protocol LIST       offer these subprotocols\n"
"  -n, --count N             messages to echo (default 1)\n"
"  -s, --size BYTES          bytes per message (default 32; K and M suffixes)\n"
"      --fragment BYTES      send messages in frames of this size\n"
"      --idle SECONDS        hold the connection idle, then echo once more\n"
"  -t, --timeout SECONDS     bound on opening and on each echo (default 10)\n"
"      --cafile FILE         trust these CA certificates for wss\n"
"  -k, --insecure            do not check the server certificate\n"
"  -j, --json                one JSON result object on stdout\n"
"  -v, --verbose             print the handshake bytes both ways, escaped\n"
"      --max-head BYTES      bound on the answer head (default 16384)\n"
"\n"
"Server (--serve, or the word serve first):\n"
"  -l, --listen [ADDR:]PORT  listen here (repeatable; IPv6 in brackets)\n"
"      --tls CERT KEY        serve wss with this certificate and key (PEM)\n"
"      --version LIST        versions accepted, e.g. 13,76 (default all)\n"
"      --key3 wait|defer     hixie-76: answer after key3 (wait, default) or\n"
"                            send the 101 head first (defer)\n"
"      --plain-get 426|400   status for a GET without Upgrade (default 426)\n"
"  -L, --log FILE            JSON lines log (default stdout)\n"
"  -t, --timeout SECONDS     bound on a handshake (default 10)\n"
"      --idle-timeout SECONDS  close an idle connection (default 600)\n"
"      --max-message BYTES   largest message echoed (default 16M)\n"
"      --max-head BYTES      largest request head (default 16384)\n"
"      --max-conns N         connections at once (default 256)\n"
"  -v, --verbose             also log the response heads\n"
"\n"
"  -h, --help                this text\n"
"  -V                        wsprobe's own version\n"
"\n"
"Exit status: 0 ok, 1 internal, 2 usage, 3 connect, 4 proxy, 5 http-status,\n"
"6 handshake, 7 timeout, 8 closed, 9 echo, 10 tls (see wsprobe(1)).\n");
}

static int PRINTF(1, 2)
wsprobe_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wsprobe: 2 usage: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'wsprobe --help'.\n");
	return WSPROBE_USAGE;
}

/* "1000", "64K", "1M": binary multiples. */
static int
wsprobe_parse_size(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		mul = 1024;
	else if (*end == 'm' || *end == 'M')
		mul = 1024 * 1024;
	else if (*end == 'g' || *end == 'G')
		mul = 1024 * 1024 * 1024;
	if (mul != 1)
		end++;
	if (*end != '\0' || v > max / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static int
wsprobe_parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < min ||
	    v > max)
		return -1;
	*out = v;
	return 0;
}

static int
wsprobe_parse_versions(const char *s, unsigned *bits, int single)
{
	char buf[64], *tok, *save = NULL;
	unsigned b;
	int n = 0;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if (!single && strcmp(buf, "all") == 0) {
		*bits |= WSPROBE_V_ALL;
		return 0;
	}
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long v = strtol(tok, &end, 10);

		if (*end != '\0' || end == tok || (b = wsprobe_version_bit((int)v)) == 0)
			return -1;
		*bits |= b;
		n++;
	}
	return n == 0 || (single && n != 1) ? -1 : 0;
}

enum {
	OPT_PROXY_MODE = 256,
	OPT_PROTOCOL,
	OPT_FRAGMENT,
	OPT_IDLE,
	OPT_CAFILE,
	OPT_MAX_HEAD,
	OPT_TLS,
	OPT_KEY3,
	OPT_PLAIN_GET,
	OPT_IDLE_TIMEOUT,
	OPT_MAX_MESSAGE,
	OPT_MAX_CONNS,
	OPT_VERSION,
	OPT_SERVE
};

static const struct option wsprobe_longopts[] = {
	{ "serve", no_argument, NULL, OPT_SERVE },
	{ "version", required_argument, NULL, OPT_VERSION },
	{ "proxy", required_argument, NULL, 'x' },
	{ "proxy-mode", required_argument, NULL, OPT_PROXY_MODE },
	{ "origin", required_argument, NULL, 'o' },
	{ "header", required_argument, NULL, 'H' },
	{ "protocol", required_argument, NULL, OPT_PROTOCOL },
	{ "count", required_argument, NULL, 'n' },
	{ "size", required_argument, NULL, 's' },
	{ "fragment", required_argument, NULL, OPT_FRAGMENT },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "timeout", required_argument, NULL, 't' },
	{ "cafile", required_argument, NULL, OPT_CAFILE },
	{ "insecure", no_argument, NULL, 'k' },
	{ "json", no_argument, NULL, 'j' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "max-head", required_argument, NULL, OPT_MAX_HEAD },
	{ "listen", required_argument, NULL, 'l' },
	{ "tls", required_argument, NULL, OPT_TLS },
	{ "key3", required_argument, NULL, OPT_KEY3 },
	{ "plain-get", required_argument, NULL, OPT_PLAIN_GET },
	{ "log", required_argument, NULL, 'L' },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "max-message", required_argument, NULL, OPT_MAX_MESSAGE },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Options that belong to one mode only. */
#define WSPROBE_ONLY_CLIENT	1
#define WSPROBE_ONLY_SERVER	2

int
main(int argc, char **argv)
{
	struct wsprobe_copts co;
	struct wsprobe_sopts so;
	char client_opt[64] = "", server_opt[64] = "", optname[64];
	uint64_t v;
	int serve = 0, ch, idx, vers_seen = 0;
	unsigned cbits = 0;

	memset(&co, 0, sizeof(co));
	memset(&so, 0, sizeof(so));
	co.version = 13;
	co.count = 1;
	co.size = 32;
	co.timeout = 10;
	co.maxhead = WS_HEAD_MAX;
	so.key3_defer = 0;
	so.plain_status = 426;
	so.timeout = 10;
	so.idle_timeout = 600;
	so.max_message = 16 * 1024 * 1024;
	so.maxhead = WS_HEAD_MAX;
	so.max_conns = 256;

	if (argc > 1 && strcmp(argv[1], "serve") == 0) {
		serve = 1;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	while ((ch = getopt_long(argc, argv, "x:o:H:n:s:t:kjvl:L:hV",
	    wsprobe_longopts, &idx)) != -1) {
		int only = 0;

		if (ch >= 256)
			snprintf(optname, sizeof(optname), "--%s",
			    wsprobe_longopts[idx].name);
		else
			snprintf(optname, sizeof(optname), "-%c", ch);
		switch (ch) {
		case OPT_SERVE:
			serve = 1;
			break;
		case OPT_VERSION:
			vers_seen = 1;
			cbits = 0;
			if (wsprobe_parse_versions(optarg, &cbits, 1) == 0) {
				co.version = cbits == WSPROBE_V_13 ? 13 :
				    cbits == WSPROBE_V_8 ? 8 : cbits == WSPROBE_V_7 ? 7 :
				    cbits == WSPROBE_V_76 ? 76 : 75;
			} else
				co.version = 0;
			if (wsprobe_parse_versions(optarg, &so.versions, 0) != 0)
				return wsprobe_usage_error("--version %s: versions are "
				    "13, 8, 7, 76, 75", optarg);
			break;
		case 'x':
			co.proxy = optarg;
			only = WSPROBE_ONLY_CLIENT;
			break;
		case OPT_PROXY_MODE:
			if (strcmp(optarg, "absolute") == 0)
				co.proxy_absolute = 1;
			else if (strcmp(optarg, "connect") == 0)
				co.proxy_absolute = 0;
			else
				return wsprobe_usage_error("--proxy-mode %s: connect or "
				    "absolute", optarg);
			only = WSPROBE_ONLY_CLIENT;
			break;
		case 'o':
			co.origin = optarg;
			only = WSPROBE_ONLY_CLIENT;
			break;
		case 'H': {
			char *colon = strchr(optarg, ':');
			struct ws_hdr *h;

			if (colon == NULL || colon == optarg)
				return wsprobe_usage_error("--header %s: NAME:VALUE",
				    optarg);
			if (co.nextra == WSPROBE_MAX_EXTRA)
				return wsprobe_usage_error("%s: too many --header",
				    optarg);
			h = &co.extra[co.nextra++];
			h->name = optarg;
			h->namelen = (size_t)(colon - optarg);
			h->value = colon + 1;
			while (*h->value == ' ')
				h->value++;
			h->valuelen = strlen(h->value);
			if (strpbrk(optarg, "\r\n") != NULL ||
			    strcspn(optarg, " \t") < h->namelen)
				return wsprobe_usage_error("--header %s: bad name or "
				    "value", optarg);
			only = WSPROBE_ONLY_CLIENT;
			break;
		}
		case OPT_PROTOCOL:
			if (strpbrk(optarg, "\r\n") != NULL)
				return wsprobe_usage_error("--protocol %s: bad list", optarg);
			co.protocol = optarg;
			only = WSPROBE_ONLY_CLIENT;
			break;
		case 'n':
			if (wsprobe_parse_size(optarg, 1000000000, &v) != 0)
				return wsprobe_usage_error("--count %s: a number up to "
				    "10^9", optarg);
			co.count = v;
			only = WSPROBE_ONLY_CLIENT;
			break;
		case 's':
			if (wsprobe_parse_size(optarg, 64 * 1024 * 1024, &v) != 0)
				return wsprobe_usage_error("--size %s: bytes, up to 64M",
				    optarg);
			co.size = (size_t)v;
			only = WSPROBE_ONLY_CLIENT;
			break;
		case OPT_FRAGMENT:
			if (wsprobe_parse_size(optarg, 64 * 1024 * 1024, &v) != 0 || v == 0)
				return wsprobe_usage_error("--fragment %s: bytes, 1 to 64M",
				    optarg);
			co.fragment = (size_t)v;
			only = WSPROBE_ONLY_CLIENT;
			break;
		case OPT_IDLE:
			if (wsprobe_parse_seconds(optarg, 0, 86400, &co.idle) != 0)
				return wsprobe_usage_error("--idle %s: seconds, 0 to 86400",
				    optarg);
			only = WSPROBE_ONLY_CLIENT;
			break;
		case 't':
			if (wsprobe_parse_seconds(optarg, 0.001, 86400, &co.timeout) != 0)
				return wsprobe_usage_error("--timeout %s: seconds, more "
				    "than 0, up to 86400", optarg);
			so.timeout = co.timeout;
			break;
		case OPT_CAFILE:
			co.cafile = optarg;
			only = WSPROBE_ONLY_CLIENT;
			break;
		case 'k':
			co.insecure = 1;
			only = WSPROBE_ONLY_CLIENT;
			break;
		case 'j':
			co.json = 1;
			only = WSPROBE_ONLY_CLIENT;
			break;
		case 'v':
			co.verbose = so.verbose = 1;
			break;
		case OPT_MAX_HEAD:
			if (wsprobe_parse_size(optarg, 65536, &v) != 0 || v < 256)
				return wsprobe_usage_error("--max-head %s: bytes, 256 to "
				    "65536", optarg);
			co.maxhead = so.maxhead = (size_t)v;
			break;
		case 'l':
			if (so.nlisten == WSPROBE_MAX_LISTEN)
				return wsprobe_usage_error("%s: too many --listen", optarg);
			so.listen[so.nlisten++] = optarg;
			only = WSPROBE_ONLY_SERVER;
			break;
		case OPT_TLS:
			/* Two arguments: CERT is optarg, KEY the next word. */
			if (optind >= argc || argv[optind][0] == '\0')
				return wsprobe_usage_error("--tls %s: needs CERT KEY",
				    optarg);
			so.cert = optarg;
			so.key = argv[optind++];
			only = WSPROBE_ONLY_SERVER;
			break;
		case OPT_KEY3:
			if (strcmp(optarg, "wait") == 0)
				so.key3_defer = 0;
			else if (strcmp(optarg, "defer") == 0)
				so.key3_defer = 1;
			else
				return wsprobe_usage_error("--key3 %s: wait or defer",
				    optarg);
			only = WSPROBE_ONLY_SERVER;
			break;
		case OPT_PLAIN_GET:
			if (strcmp(optarg, "426") == 0)
				so.plain_status = 426;
			else if (strcmp(optarg, "400") == 0)
				so.plain_status = 400;
			else
				return wsprobe_usage_error("--plain-get %s: 426 or 400",
				    optarg);
			only = WSPROBE_ONLY_SERVER;
			break;
		case 'L':
			so.log = optarg;
			only = WSPROBE_ONLY_SERVER;
			break;
		case OPT_IDLE_TIMEOUT:
			if (wsprobe_parse_seconds(optarg, 0.001, 86400 * 7,
			    &so.idle_timeout) != 0)
				return wsprobe_usage_error("--idle-timeout %s: seconds",
				    optarg);
			only = WSPROBE_ONLY_SERVER;
			break;
		case OPT_MAX_MESSAGE:
			if (wsprobe_parse_size(optarg, 1024 * 1024 * 1024, &v) != 0 ||
			    v == 0)
				return wsprobe_usage_error("--max-message %s: bytes, up "
				    "to 1G", optarg);
			so.max_message = (size_t)v;
			only = WSPROBE_ONLY_SERVER;
			break;
		case OPT_MAX_CONNS:
			if (wsprobe_parse_size(optarg, 4096, &v) != 0 || v == 0)
				return wsprobe_usage_error("--max-conns %s: 1 to 4096",
				    optarg);
			so.max_conns = (unsigned)v;
			only = WSPROBE_ONLY_SERVER;
			break;
		case 'h':
			wsprobe_usage(stdout);
			return WSPROBE_OK;
		case 'V':
			printf("wsprobe %s\n", PACKAGE_VERSION);
			return WSPROBE_OK;
		default:
			fprintf(stderr, "Try 'wsprobe --help'.\n");
			return WSPROBE_USAGE;
		}
		if (only == WSPROBE_ONLY_CLIENT && client_opt[0] == '\0')
			snprintf(client_opt, sizeof(client_opt), "%s", optname);
		if (only == WSPROBE_ONLY_SERVER && server_opt[0] == '\0')
			snprintf(server_opt, sizeof(server_opt), "%s", optname);
	}

	/* SSL_write may write to a peer that has gone. */
	signal(SIGPIPE, SIG_IGN);

	if (serve) {
		if (client_opt[0] != '\0')
			return wsprobe_usage_error("%s is a client option", client_opt);
		if (optind != argc)
			return wsprobe_usage_error("--serve takes no URL (got %s)",
			    argv[optind]);
		if (so.nlisten == 0)
			return wsprobe_usage_error("--serve needs --listen");
		if (!vers_seen)
			so.versions = WSPROBE_V_ALL;
		return wsprobe_serve(&so);
	}
	if (server_opt[0] != '\0')
		return wsprobe_usage_error("%s is a server option (use --serve)",
		    server_opt);
	if (optind != argc - 1)
		return wsprobe_usage_error("expected one URL");
	if (vers_seen && co.version == 0)
		return wsprobe_usage_error("--version takes one version for the "
		    "client");
	if (co.proxy_absolute && co.proxy == NULL)
		return wsprobe_usage_error("--proxy-mode absolute needs --proxy");
	if (co.fragment > 0 && !ws_version_hybi(co.version))
		return wsprobe_usage_error("--fragment needs version 13, 8 or 7");
	co.url = argv[optind];
	return wsprobe_client(&co);
}
