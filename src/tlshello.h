/*
 * The TLS ClientHello parser (RFC 8446 4.1.2, RFC 5246 7.4.1.2): from a
 * client's first bytes, possibly several records, possibly incomplete,
 * the versions, the SNI host name, the ALPN list and the offered
 * versions. Pure code: no allocation, no I/O; everything it reports is
 * copied into the caller's struct, raw (escape it before logging).
 */
#ifndef PROXYSIM_TLSHELLO_H
#define PROXYSIM_TLSHELLO_H

#include <stddef.h>
#include <stdint.h>

#include "attrib.h"

/* A ClientHello longer than this is refused (real ones are < 2 KiB, with
 * post-quantum key shares < 4 KiB). */
#define TLSHELLO_MAX_MSG	16384
/* TLSPlaintext.length (RFC 8446 5.1). */
#define TLSHELLO_MAX_RECORD	16384
#define TLSHELLO_MAX_SNI	255	/* a DNS name, RFC 6066 3 */
#define TLSHELLO_MAX_ALPN	8	/* protocols kept; more are counted */
#define TLSHELLO_ALPN_BUF	256	/* their names, packed */
#define TLSHELLO_MAX_VERS	8

enum tlshello_rc {
	TLSHELLO_NEED_MORE = 0,	/* a prefix of a ClientHello */
	TLSHELLO_OK,
	TLSHELLO_NOT_TLS,	/* not a handshake record with a ClientHello */
	TLSHELLO_MALFORMED	/* a ClientHello with inconsistent lengths */
};

struct tlshello {
	uint16_t	 record_version;	/* of the first record */
	uint16_t	 legacy_version;	/* ClientHello.legacy_version */
	size_t		 hello_len;	/* the handshake message, header included */
	size_t		 wire_len;	/* input bytes of the records carrying it */
	size_t		 nrecords;
	size_t		 ciphers;	/* cipher suites offered */
	size_t		 nexts;		/* extensions */
	/* server_name: the first host_name; nsni counts them all. */
	size_t		 nsni;
	size_t		 sni_len;
	char		 sni[TLSHELLO_MAX_SNI + 1];	/* NUL-terminated copy */
	/* application_layer_protocol_negotiation, in the client's order. */
	int		 has_alpn;
	size_t		 nalpn;		/* offered */
	size_t		 alpn_kept;	/* copied into alpn_buf */
	uint8_t		 alpn_len[TLSHELLO_MAX_ALPN];
	uint16_t	 alpn_off[TLSHELLO_MAX_ALPN];
	unsigned char	 alpn_buf[TLSHELLO_ALPN_BUF];
	/* supported_versions, in the client's order (GREASE included). */
	size_t		 nversions;
	uint16_t	 versions[TLSHELLO_MAX_VERS];
	const char	*err;		/* why MALFORMED or NOT_TLS */
};

enum tlshello_rc tlshello_parse(const void *, size_t, struct tlshello *)
	    NONNULL(3);
const char	*tlshello_rc_name(enum tlshello_rc);
/* "TLSv1.3", "0x7a7a" (GREASE, unknown) into a caller's buffer of >= 8. */
const char	*tlshello_version_name(uint16_t, char *, size_t) NONNULL(2);
/* Protocol i of the ALPN list (i < alpn_kept) and its length. */
const unsigned char *tlshello_alpn(const struct tlshello *, size_t i,
	    size_t *len) NONNULL(1, 3);
/* Does host (len bytes) match pattern: exact, or "*.suffix" for any name
 * ending in ".suffix" (not the suffix itself)? Case-insensitive; a
 * trailing dot on the host is ignored. */
int		 tlshello_name_match(const char *pattern, const char *host,
	    size_t len) NONNULL(1);

#endif
