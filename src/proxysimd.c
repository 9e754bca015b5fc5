/*
 * proxysimd: a transparent middlebox that misbehaves on purpose. This
 * file is the shell around the modules: options, configuration, the
 * capture rules' lifetime, signals and the event loop.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <time.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "capture.h"
#include "cfgfile.h"
#include "evlog.h"
#include "fwrules.h"
#include "log.h"
#include "nfq.h"
#include "pktbhv.h"
#include "profile.h"
#include "proxy.h"
#include "tlsca.h"

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

static struct settings cli;	/* the command line alone */
static struct proxy px;
static int rules_installed;
static char rules_tag[256];

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: proxysimd [OPTIONS]\n"
"A transparent middlebox that relays (and, with a profile, misbehaves on)\n"
"TCP flows redirected to it by iptables, and optionally an explicit HTTP\n"
"proxy (CONNECT, absolute-form GET). Events go to the JSON log.\n"
"\n"
"  -l, --listen [ADDR:]PORT  listen here (default %u on IPv4 and IPv6)\n"
"  -x, --explicit [ADDR:]PORT  also an explicit proxy here (default address\n"
"                            127.0.0.1); with -x and neither -l nor -r,\n"
"                            only the explicit proxy listens\n"
"  -r, --redirect IFACE      install capture rules for TCP arriving on IFACE\n"
"                            (repeatable); removed again on exit\n"
"      --ports LIST          ports to capture, e.g. 80,443,8000-8010\n"
"                            (default " DEFAULT_PORTS ")\n"
"      --tproxy              TPROXY mode: the server sees the client's address\n"
"  -P, --profile NAME        misbehaviour profile (default " DEFAULT_PROFILE ");\n"
"                            with -q, a packet persona\n"
"  -q, --nfqueue NUM         packet mode: read netfilter queue NUM instead of\n"
"                            relaying; -r installs NFQUEUE rules for flows\n"
"                            forwarded from IFACE to the ports\n"
"      --pkt-param KEY=VALUE a packet persona's parameter (repeatable): sni,\n"
"                            pattern, mtu, drop, dup, delay, delay-ms\n"
"      --list-profiles       list the profiles and exit (built in, the\n"
"                            personas in $PROXYSIM_PROFILES or " PROFILEDIR ",\n"
"                            and those of -c FILE)\n"
"  -c, --config FILE         read settings from FILE (INI; see proxysimd(8))\n"
"  -L, --log FILE            JSON event log ('-' is stdout, the default)\n"
"  -w, --pcap FILE           capture file of every flow, both legs (pcap)\n"
"      --pcap-dir DIR        one capture file per flow: DIR/flow-ID.pcap\n"
"      --max-flows N         concurrent flows before accept pauses (%u)\n"
"      --connect-timeout S   upstream connect timeout in seconds (%u)\n"
"      --buffer-size BYTES   bound on buffered bytes per direction (%u)\n"
"      --mark N              firewall mark of upstream packets (0x%x)\n"
"      --seed N              seed for behaviours with a probability, so a\n"
"                            run is repeatable (default: from the clock)\n"
"      --make-ca DIR         make a lab CA (DIR/ca.pem, DIR/ca.key; DIR is\n"
"                            made if missing) and exit; an existing CA is\n"
"                            never overwritten\n"
"      --ca DIR              the lab CA for tls-intercept profiles\n"
"      --upstream-cafile FILE  intercepting, trust FILE for servers instead\n"
"                            of the system store\n"
"      --upstream-insecure   intercepting, do not verify servers\n"
"      --keylog FILE         intercepting, append TLS secrets to FILE\n"
"                            (SSLKEYLOGFILE format)\n"
"      --cleanup             remove capture rules a crashed run left (those\n"
"                            of -l/-r if given, else every proxysim rule)\n"
"  -d, --detach              run in the background (needs --log FILE)\n"
"  -v, --verbose             more on stderr (repeatable)\n"
"      --quiet               less on stderr\n"
"  -h, --help                this text\n"
"  -V, --version             version\n"
"\n"
"Exit status: 0 success, 1 runtime failure, 2 bad usage or configuration.\n",
	    DEFAULT_LISTEN_PORT, DEFAULT_MAX_FLOWS,
	    DEFAULT_CONNECT_TIMEOUT_MS / 1000, DEFAULT_BUFFER_SIZE,
	    DEFAULT_MARK);
}

static void NORETURN
usage_error(const char *opt, const char *val, const char *why)
{
	if (val != NULL)
		fprintf(stderr, "proxysimd: %s '%s': %s\n", opt, val, why);
	else if (opt != NULL)
		fprintf(stderr, "proxysimd: %s: %s\n", opt, why);
	else
		fprintf(stderr, "proxysimd: %s\n", why);
	fprintf(stderr, "Try 'proxysimd --help'.\n");
	exit(EXIT_USAGE);
}

enum {
	OPT_PORTS = 256,
	OPT_TPROXY,
	OPT_QUIET,
	OPT_CLEANUP,
	OPT_LIST_PROFILES,
	OPT_MAX_FLOWS,
	OPT_CONNECT_TIMEOUT,
	OPT_BUFFER_SIZE,
	OPT_MARK,
	OPT_SEED,
	OPT_MAKE_CA,
	OPT_CA,
	OPT_UPSTREAM_CAFILE,
	OPT_UPSTREAM_INSECURE,
	OPT_KEYLOG,
	OPT_PCAP_DIR,
	OPT_PKT_PARAM,
};

static int list_profiles;
static int seed_given;
static uint64_t seed;
static const char *make_ca;
static struct tlsca_opts tls_opts;
static const char *pcap_file, *pcap_dir;
static int nfq_mode;
static unsigned nfq_num;
static const char *pkt_params[32];
static size_t npkt_params;
static struct pktbhv_conf pkt_conf;

static void
parse_args(int argc, char **argv, struct settings *s)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "explicit", required_argument, NULL, 'x' },
		{ "redirect", required_argument, NULL, 'r' },
		{ "ports", required_argument, NULL, OPT_PORTS },
		{ "tproxy", no_argument, NULL, OPT_TPROXY },
		{ "profile", required_argument, NULL, 'P' },
		{ "list-profiles", no_argument, NULL, OPT_LIST_PROFILES },
		{ "config", required_argument, NULL, 'c' },
		{ "log", required_argument, NULL, 'L' },
		{ "pcap", required_argument, NULL, 'w' },
		{ "pcap-dir", required_argument, NULL, OPT_PCAP_DIR },
		{ "nfqueue", required_argument, NULL, 'q' },
		{ "pkt-param", required_argument, NULL, OPT_PKT_PARAM },
		{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
		{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
		{ "buffer-size", required_argument, NULL, OPT_BUFFER_SIZE },
		{ "mark", required_argument, NULL, OPT_MARK },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "make-ca", required_argument, NULL, OPT_MAKE_CA },
		{ "ca", required_argument, NULL, OPT_CA },
		{ "upstream-cafile", required_argument, NULL, OPT_UPSTREAM_CAFILE },
		{ "upstream-insecure", no_argument, NULL, OPT_UPSTREAM_INSECURE },
		{ "keylog", required_argument, NULL, OPT_KEYLOG },
		{ "cleanup", no_argument, NULL, OPT_CLEANUP },
		{ "detach", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *why = NULL;
	unsigned u;
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":l:x:r:P:c:L:w:q:dvhV", longopts,
	    NULL)) != -1) {
		char shortopt[3] = { '-', (char)optopt, '\0' };
		const char *last = optind > 0 && optind <= argc ?
		    argv[optind - 1] : "?";
		const char *name = strncmp(last, "--", 2) == 0 ? last :
		    optopt > 0 && optopt < 256 ? shortopt : last;

		switch (ch) {
		case 'l':
			if (settings_set_listen(s, optarg, &why) != 0)
				usage_error("--listen", optarg, why);
			s->set |= SET_LISTEN;
			break;
		case 'x':
			if (settings_set_explicit(s, optarg, &why) != 0)
				usage_error("--explicit", optarg, why);
			s->set |= SET_EXPLICIT;
			break;
		case 'r':
			if (settings_add_iface(s, optarg, &why) != 0)
				usage_error("--redirect", optarg, why);
			s->set |= SET_REDIRECT;
			break;
		case OPT_PORTS:
			if (settings_set_ports(s, optarg, &why) != 0)
				usage_error("--ports", optarg, why);
			s->set |= SET_PORTS;
			break;
		case OPT_TPROXY:
			s->tproxy = 1;
			s->set |= SET_TPROXY;
			break;
		case 'P':
			if (settings_set_profile(s, optarg, &why) != 0)
				usage_error("--profile", optarg, why);
			s->set |= SET_PROFILE;
			break;
		case OPT_LIST_PROFILES:
			list_profiles = 1;
			break;
		case 'c':
			if (strlen(optarg) >= sizeof(s->config))
				usage_error("--config", optarg, "path too long");
			strcpy(s->config, optarg);
			break;
		case 'L':
			if (strlen(optarg) >= sizeof(s->log))
				usage_error("--log", optarg, "path too long");
			strcpy(s->log, strcmp(optarg, "-") == 0 ? "" : optarg);
			s->set |= SET_LOG;
			break;
		case 'w':
			pcap_file = optarg;
			break;
		case OPT_PCAP_DIR:
			pcap_dir = optarg;
			break;
		case 'q':
			if (settings_set_uint(&nfq_num, optarg, 0, 65535,
			    &why) != 0)
				usage_error("--nfqueue", optarg, why);
			nfq_mode = 1;
			break;
		case OPT_PKT_PARAM:
			if (npkt_params == nitems(pkt_params))
				usage_error("--pkt-param", optarg,
				    "too many");
			pkt_params[npkt_params++] = optarg;
			break;
		case OPT_MAX_FLOWS:
			if (settings_set_uint(&s->max_flows, optarg, 1, 1000000,
			    &why) != 0)
				usage_error("--max-flows", optarg, why);
			s->set |= SET_MAX_FLOWS;
			break;
		case OPT_CONNECT_TIMEOUT:
			if (settings_set_uint(&u, optarg, 1, 3600, &why) != 0)
				usage_error("--connect-timeout", optarg, why);
			s->connect_timeout_ms = u * 1000;
			s->set |= SET_CONNECT_TO;
			break;
		case OPT_BUFFER_SIZE:
			if (settings_set_uint(&u, optarg, 4096, 64 << 20,
			    &why) != 0)
				usage_error("--buffer-size", optarg, why);
			s->buffer_size = u;
			s->set |= SET_BUFFER;
			break;
		case OPT_MARK:
			if (settings_set_uint(&u, optarg, 1, 0xffffffffu,
			    &why) != 0)
				usage_error("--mark", optarg, why);
			s->mark = u;
			s->set |= SET_MARK;
			break;
		case OPT_SEED: {
			char *end;

			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (optarg[0] == '-' || *end != '\0' || errno != 0)
				usage_error("--seed", optarg, "not a number");
			seed_given = 1;
			break;
		}
		case OPT_MAKE_CA:
			make_ca = optarg;
			break;
		case OPT_CA:
			tls_opts.ca_dir = optarg;
			break;
		case OPT_UPSTREAM_CAFILE:
			tls_opts.upstream_cafile = optarg;
			break;
		case OPT_UPSTREAM_INSECURE:
			tls_opts.upstream_insecure = 1;
			break;
		case OPT_KEYLOG:
			tls_opts.keylog = optarg;
			break;
		case OPT_CLEANUP:
			s->cleanup = 1;
			break;
		case 'd':
			s->detach = 1;
			break;
		case 'v':
			s->verbosity++;
			break;
		case OPT_QUIET:
			s->verbosity--;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("proxysimd %s\n", PACKAGE_VERSION);
			exit(0);
		case ':':
			usage_error(name, NULL, "option needs a value");
		default:
			usage_error(name, NULL, "unknown option");
		}
	}
	if (optind < argc)
		usage_error(argv[optind], NULL, "unexpected argument");
}

/* Where the shipped personas live; PROXYSIM_PROFILES overrides it. */
static const char *
profile_dir(void)
{
	const char *d = getenv("PROXYSIM_PROFILES");

	return d != NULL && *d != '\0' ? d : PROFILEDIR;
}

static int
name_is_conf(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 &&
	    strcmp(d->d_name + n - 5, ".conf") == 0;
}

/* Loads every DIR/x.conf in name order; a missing dir is no error. */
static int
load_personas(struct profile_set *ps, char *err, size_t errlen)
{
	struct dirent **names;
	char path[PATH_MAX];
	int i, n, rc = 0;

	n = scandir(profile_dir(), &names, name_is_conf, alphasort);
	if (n < 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (rc == 0) {
			snprintf(path, sizeof(path), "%s/%s", profile_dir(),
			    names[i]->d_name);
			rc = cfgfile_load(path, NULL, ps, err, errlen);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/*
 * The effective settings (the command line over the file over defaults)
 * and a new profile set: built in, the shipped personas, the file's own.
 */
static int
load_settings(struct settings *out, struct profile_set **psp, char *err,
    size_t errlen)
{
	struct profile_set *ps;
	const struct rule *bad;

	*psp = NULL;
	*out = cli;
	if ((ps = profile_set_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (load_personas(ps, err, errlen) != 0 ||
	    (cli.config[0] != '\0' &&
	    cfgfile_load(cli.config, out, ps, err, errlen) != 0)) {
		profile_set_unref(ps);
		return -1;
	}
	if (nfq_mode) {
		size_t i;
		const char *why;

		if (pktbhv_find(out->profile, &pkt_conf) != 0) {
			snprintf(err, errlen, "packet persona '%s' is not "
			    "defined (proxysimd --list-profiles)", out->profile);
			profile_set_unref(ps);
			return -1;
		}
		for (i = 0; i < npkt_params; i++)
			if (pktbhv_set_param(&pkt_conf, pkt_params[i],
			    &why) != 0) {
				snprintf(err, errlen, "--pkt-param '%s': %s",
				    pkt_params[i], why);
				profile_set_unref(ps);
				return -1;
			}
	} else if (profile_find(ps, out->profile) == NULL) {
		snprintf(err, errlen, "profile '%s' is not defined "
		    "(proxysimd --list-profiles)", out->profile);
		profile_set_unref(ps);
		return -1;
	}
	if (profile_check_rules(ps, &bad) != 0) {
		snprintf(err, errlen, "%s: rule: profile '%s' is not defined "
		    "(proxysimd --list-profiles)", bad->origin, bad->profile);
		profile_set_unref(ps);
		return -1;
	}
	*psp = ps;
	return 0;
}

static void
remove_rules(void)
{
	int n;

	if (!rules_installed)
		return;
	n = fwrules_remove(rules_tag, px.cfg.tproxy);
	if (n < 0) {
		log_warnx("could not list the capture rules to remove them "
		    "(proxysimd --cleanup removes them)");
		return;
	}
	rules_installed = 0;
	log_info("removed %d capture rule%s (%s)", n, n == 1 ? "" : "s",
	    rules_tag);
}

static void
on_stop(evutil_socket_t sig, short what, void *arg)
{
	log_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(px.base);
}

static void
on_reload(evutil_socket_t sig, short what, void *arg)
{
	struct settings next;
	struct profile_set *ps;
	struct evlog_rec r;
	struct jsonw *j;
	char err[512];

	if (evlog_reopen() != 0)
		log_warn("event log reopen");
	if (load_settings(&next, &ps, err, sizeof(err)) != 0) {
		log_warnx("reload failed, keeping the old configuration: %s",
		    err);
		return;
	}
	if (memcmp(&next.listen, &px.cfg.listen, sizeof(next.listen)) != 0 ||
	    next.nifaces != px.cfg.nifaces || next.tproxy != px.cfg.tproxy ||
	    memcmp(&next.ports, &px.cfg.ports, sizeof(next.ports)) != 0 ||
	    memcmp(next.ifaces, px.cfg.ifaces, sizeof(next.ifaces)) != 0 ||
	    next.mark != px.cfg.mark || next.explicit_on != px.cfg.explicit_on ||
	    memcmp(&next.explicit_addr, &px.cfg.explicit_addr,
	    sizeof(next.explicit_addr)) != 0)
		log_warnx("reload: listen, explicit, redirect, ports, tproxy "
		    "and mark take effect only on restart");
	if (nfq_mode) {
		/* The packet persona is fixed at start. */
		profile_set_unref(ps);
		log_info("configuration reloaded (packet mode: event log only)");
		return;
	}
	px.cfg.max_flows = next.max_flows;
	px.cfg.connect_timeout_ms = next.connect_timeout_ms;
	px.cfg.buffer_size = next.buffer_size;
	memcpy(px.cfg.profile, next.profile, sizeof(px.cfg.profile));
	/* Open flows hold references to the old set. */
	profile_set_unref(px.profiles);
	px.profiles = ps;
	px.profile = profile_find(ps, px.cfg.profile);
	proxy_flow_done(&px);
	j = evlog_begin(&r, "reload", 0);
	jsonw_str(j, "profile", px.profile->name);
	jsonw_u64(j, "max_flows", px.cfg.max_flows);
	evlog_commit(&r);
	log_info("configuration reloaded");
}

static void
log_daemon_event(const char *event)
{
	struct evlog_rec r;
	struct jsonw *j;

	j = evlog_begin(&r, event, 0);
	jsonw_str(j, "version", PACKAGE_VERSION);
	jsonw_str(j, "mode", nfq_mode ? "nfqueue" :
	    intercept_mode_name(px.mode));
	if (px.cfg.explicit_on) {
		char a[ADDR_STRLEN];

		jsonw_str(j, "explicit", addr_format(
		    (struct sockaddr *)&px.cfg.explicit_addr, a, sizeof(a)));
		jsonw_bool(j, "transparent", settings_transparent(&px.cfg));
	}
	jsonw_str(j, "profile", nfq_mode ? pktbhv_name(pkt_conf.kind) :
	    px.profile->name);
	if (nfq_mode)
		jsonw_u64(j, "queue", nfq_num);
	if (rules_installed)
		jsonw_str(j, "rules", rules_tag);
	if (strcmp(event, "stop") == 0)
		jsonw_u64(j, "flows", px.total_flows);
	evlog_commit(&r);
}

int
main(int argc, char **argv)
{
	struct event *sigs[4];
	char err[1024];
	size_t i;
	int n;

	log_init("proxysimd", 0);
	settings_defaults(&cli);
	parse_args(argc, argv, &cli);
	log_init("proxysimd", cli.verbosity);

	if (make_ca != NULL) {
		if (tlsca_make(make_ca, err, sizeof(err)) != 0)
			fatalx(EXIT_USAGE, "--make-ca: %s", err);
		printf("%s/ca.pem\n", make_ca);
		return 0;
	}
	if (load_settings(&px.cfg, &px.profiles, err, sizeof(err)) != 0)
		fatalx(EXIT_USAGE, "%s", err);
	if (list_profiles) {
		for (i = 0; i < px.profiles->n; i++)
			printf("%-24s %s\n", px.profiles->p[i].name,
			    px.profiles->p[i].summary);
		for (i = 0; i < PKTBHV_MAX; i++)
			printf("%-24s [-q] %s\n", pktbhv_name(i),
			    pktbhv_summary(i));
		return 0;
	}

	if (cli.cleanup) {
		/* -r: that instance's rules; -l alone: every interface's on
		 * that port; neither: every proxysim rule. */
		if (nfq_mode && px.cfg.nifaces > 0)
			fwrules_tag_nfq(&px.cfg, nfq_num, rules_tag,
			    sizeof(rules_tag));
		else if (px.cfg.nifaces > 0 || (cli.set & SET_LISTEN))
			fwrules_tag(&px.cfg, rules_tag, sizeof(rules_tag));
		n = fwrules_remove(rules_tag[0] != '\0' ? rules_tag : NULL, 1);
		if (n < 0)
			fatalx(EXIT_RUNTIME, "cannot run iptables to list rules");
		printf("removed %d rule%s\n", n, n == 1 ? "" : "s");
		return 0;
	}
	if (nfq_mode && px.cfg.tproxy)
		usage_error("--tproxy", NULL, "not with --nfqueue (no relay)");
	if (px.cfg.tproxy && px.cfg.mark == 1)
		usage_error("--mark", "1", "the TPROXY rules use mark 1");
	if (cli.detach && px.cfg.log[0] == '\0')
		usage_error(NULL, NULL, "--detach needs --log FILE");

	px.profile = profile_find(px.profiles, nfq_mode ? DEFAULT_PROFILE :
	    px.cfg.profile);
	if (tls_opts.ca_dir != NULL) {
		if (tlsca_init(&tls_opts, err, sizeof(err)) != 0)
			fatalx(EXIT_USAGE, "--ca: %s", err);
	} else if (tls_opts.upstream_cafile != NULL ||
	    tls_opts.upstream_insecure || tls_opts.keylog != NULL)
		usage_error(NULL, NULL, "--upstream-cafile, --upstream-insecure "
		    "and --keylog need --ca DIR");
	for (i = 0; i < px.profile->nbhv; i++)
		if (px.profile->bhv[i].kind == BHV_TLS_INTERCEPT &&
		    !tlsca_ready())
			fatalx(EXIT_USAGE, "profile %s intercepts TLS: it needs "
			    "--ca DIR (make one with --make-ca DIR)",
			    px.profile->name);
	px.rng = seed_given ? seed : (uint64_t)time(NULL) ^
	    ((uint64_t)getpid() << 32);
	if (px.rng == 0)
		px.rng = 0x9e3779b97f4a7c15ULL;	/* xorshift's one bad state */
	px.mode = px.cfg.tproxy ? INTERCEPT_TPROXY : INTERCEPT_REDIRECT;
	TAILQ_INIT(&px.flows);
	signal(SIGPIPE, SIG_IGN);

	if (evlog_open(px.cfg.log) != 0)
		fatal(EXIT_RUNTIME, "cannot open event log %s", px.cfg.log);
	if (capture_init(pcap_file, pcap_dir, err, sizeof(err)) != 0)
		fatalx(EXIT_RUNTIME, "capture: %s", err);
	if ((px.base = event_base_new()) == NULL)
		fatalx(EXIT_RUNTIME, "cannot create the event loop");
	if (nfq_mode) {
		px.mode = INTERCEPT_REDIRECT;
		if (nfq_start(&px, nfq_num, &pkt_conf, err, sizeof(err)) != 0)
			fatalx(EXIT_RUNTIME, "%s", err);
	} else if (proxy_listen(&px, err, sizeof(err)) != 0)
		fatalx(EXIT_RUNTIME, "%s", err);

	sigs[0] = evsignal_new(px.base, SIGINT, on_stop, NULL);
	sigs[1] = evsignal_new(px.base, SIGTERM, on_stop, NULL);
	sigs[2] = evsignal_new(px.base, SIGHUP, on_reload, NULL);
	sigs[3] = NULL;
	for (i = 0; i < 3; i++)
		if (sigs[i] == NULL || evsignal_add(sigs[i], NULL) != 0) {
			fatalx(EXIT_RUNTIME, "cannot set up signal handling");
		}

	/* Signals first: a SIGTERM during the install still removes. */
	if (px.cfg.nifaces > 0) {
		if (nfq_mode)
			fwrules_tag_nfq(&px.cfg, nfq_num, rules_tag,
			    sizeof(rules_tag));
		else
			fwrules_tag(&px.cfg, rules_tag, sizeof(rules_tag));
		rules_installed = 1;
		if ((nfq_mode ? fwrules_install_nfq(&px.cfg, nfq_num, err,
		    sizeof(err)) : fwrules_install(&px.cfg, err,
		    sizeof(err))) != 0) {
			rules_installed = 0;
			fatalx(EXIT_RUNTIME, "installing capture rules: %s", err);
		}
		log_info("capture rules installed (%s)", rules_tag);
	}

	if (cli.detach) {
		if (daemon(0, 0) != 0) {
			remove_rules();
			fatal(EXIT_RUNTIME, "daemon");
		}
		log_to_syslog();
		if (event_reinit(px.base) != 0)
			log_warnx("event_reinit failed");
	}
	log_daemon_event("start");
	if (event_base_dispatch(px.base) == -1)
		log_warnx("event loop failed");

	nfq_stop();
	proxy_shutdown(&px);
	/* The deferred frees of the flows just closed. */
	event_base_loop(px.base, EVLOOP_NONBLOCK);
	remove_rules();
	capture_shutdown();
	log_daemon_event("stop");
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	event_base_free(px.base);
	evlog_close();
	profile_set_unref(px.profiles);
	tlsca_free();
	return 0;
}
