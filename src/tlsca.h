/*
 * The lab CA and TLS interception's OpenSSL side: making the CA
 * (--make-ca), loading it (--ca), minting leaf certificates for a name or
 * an address (cached, bounded), the two SSL_CTXs (toward the client with
 * the leaves, toward the server verifying it), and the key log.
 */
#ifndef PROXYSIM_TLSCA_H
#define PROXYSIM_TLSCA_H

#include <stddef.h>

#include "attrib.h"

#define TLSCA_CACHE	64	/* leaves kept, least recently used out */
#define TLSCA_LEAF_DAYS	7

struct ssl_st;

struct tlsca_opts {
	const char	*ca_dir;		/* --ca */
	const char	*upstream_cafile;	/* --upstream-cafile */
	int		 upstream_insecure;	/* --upstream-insecure */
	const char	*keylog;		/* --keylog */
};

/* Writes DIR/ca.pem and DIR/ca.key (0600); never overwrites either.
 * 0, or -1 with a message. */
int	tlsca_make(const char *dir, char *err, size_t errlen) NONNULL(1, 2);
/* Loads the CA and makes the contexts. 0, or -1 with a message. */
int	tlsca_init(const struct tlsca_opts *, char *err, size_t errlen)
	    NONNULL(1, 2);
int	tlsca_ready(void);
void	tlsca_free(void);
/* A new SSL toward the client, with a leaf for name (an SNI) or, when
 * name is NULL, for the address ip. NULL with *err on failure. */
struct ssl_st *tlsca_client_ssl(const char *name, const char *ip,
	    const char **err);
/* A new SSL toward the server, offering ALPN http/1.1 only, verifying
 * name (or ip) unless --upstream-insecure. */
struct ssl_st *tlsca_server_ssl(const char *name, const char *ip,
	    const char **err);
/* Is name usable as a dNSName (letters, digits, '-', '.', '_')? */
int	tlsca_name_ok(const char *, size_t);

#endif
