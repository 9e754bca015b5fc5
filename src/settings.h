/*
 * Daemon settings: built from the command line (proxysimd.c) and the
 * configuration file (cfgfile.c); the command line wins.
 */
#ifndef PROXYSIM_SETTINGS_H
#define PROXYSIM_SETTINGS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"

#define SETTINGS_MAX_IFACES	16
#define SETTINGS_IFNAMSIZ	16
#define SETTINGS_NAMELEN	64

/* Defaults, documented in proxysimd(8). */
#define DEFAULT_LISTEN_PORT	15080
#define DEFAULT_PORTS		"80,443"
#define DEFAULT_PROFILE		"passthrough"
#define DEFAULT_MAX_FLOWS	4096
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_BUFFER_SIZE	(1024 * 1024)
#define DEFAULT_MARK		0x7073	/* "ps" */

/* Which fields the command line set, so the file does not override them. */
#define SET_LISTEN	0x0001
#define SET_REDIRECT	0x0002
#define SET_PORTS	0x0004
#define SET_TPROXY	0x0008
#define SET_PROFILE	0x0010
#define SET_LOG		0x0020
#define SET_MAX_FLOWS	0x0040
#define SET_CONNECT_TO	0x0080
#define SET_BUFFER	0x0100
#define SET_MARK	0x0200
#define SET_EXPLICIT	0x0400

struct settings {
	unsigned		 set;		/* SET_* given on the command line */
	struct sockaddr_storage	 listen;
	socklen_t		 listen_len;
	int			 listen_any;	/* no address: v4 and v6 wildcards */
	char			 ifaces[SETTINGS_MAX_IFACES][SETTINGS_IFNAMSIZ];
	size_t			 nifaces;
	struct portlist		 ports;
	int			 tproxy;
	char			 profile[SETTINGS_NAMELEN];
	char			 config[PATH_MAX];
	char			 log[PATH_MAX];	/* "" means stdout */
	int			 cleanup;
	int			 detach;
	int			 verbosity;
	unsigned		 max_flows;
	unsigned		 connect_timeout_ms;
	size_t			 buffer_size;
	uint32_t		 mark;
	int			 listen_given;	/* -l or listen= was given */
	int			 explicit_on;	/* an explicit proxy listener */
	struct sockaddr_storage	 explicit_addr;	/* 127.0.0.1 unless given */
	socklen_t		 explicit_len;
};

void	settings_defaults(struct settings *) NONNULL(1);

/* Setters shared by the command line and the file: 0, or -1 and *err. */
int	settings_set_listen(struct settings *, const char *, const char **)
	    NONNULL(1, 2, 3) WUNRES;
/* "[ADDR:]PORT" of the explicit proxy; no address means 127.0.0.1. */
int	settings_set_explicit(struct settings *, const char *, const char **)
	    NONNULL(1, 2, 3) WUNRES;
/* Is there a transparent listener: -l, -r, or no explicit one? */
int	settings_transparent(const struct settings *) NONNULL(1);
int	settings_add_iface(struct settings *, const char *, const char **)
	    NONNULL(1, 2, 3) WUNRES;
int	settings_set_ports(struct settings *, const char *, const char **)
	    NONNULL(1, 2, 3) WUNRES;
int	settings_set_profile(struct settings *, const char *, const char **)
	    NONNULL(1, 2, 3) WUNRES;
int	settings_set_uint(unsigned *, const char *, unsigned lo, unsigned hi,
	    const char **) NONNULL(1, 2, 5) WUNRES;
int	settings_set_bool(int *, const char *, const char **)
	    NONNULL(1, 2, 3) WUNRES;

#endif
