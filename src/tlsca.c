/* The lab CA, its leaves and the interception contexts; see tlsca.h. */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tlsca.h"

#define TLSCA_SUBJECT	"proxysim lab CA"
#define TLSCA_CA_DAYS	3650

struct tlsca_leaf {
	char		 name[256];
	X509		*x;
	uint64_t	 used;
};

static X509 *ca_cert;
static EVP_PKEY *ca_key;
static EVP_PKEY *leaf_key;	/* one key for every leaf, as mitmproxy */
static SSL_CTX *ctx_client;	/* we are the server toward the client */
static SSL_CTX *ctx_server;	/* we are the client toward the server */
static FILE *keylog;
static struct tlsca_leaf cache[TLSCA_CACHE];
static uint64_t clock_uses;

static const char *
tlsca_ossl_err(void)
{
	unsigned long e = ERR_get_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : "OpenSSL error";
}

static int
tlsca_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static int
tlsca_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int ok = bn != NULL && BN_rand(bn, 64, BN_RAND_TOP_ANY,
	    BN_RAND_BOTTOM_ANY) &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;

	BN_free(bn);
	return ok ? 0 : -1;
}

int
tlsca_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '.' || s[i] == '_'))
			return 0;
	return 1;
}

static int
tlsca_write_pem(const char *path, int mode, X509 *x, EVP_PKEY *k)
{
	FILE *f;
	int fd, ok;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) == -1)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	ok = x != NULL ? PEM_write_X509(f, x) :
	    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0 || !ok)
		return -1;
	return 0;
}

int
tlsca_make(const char *dir, char *err, size_t errlen)
{
	char pem[4096], key[4096];
	struct stat st;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	X509_NAME *n;
	int rc = -1;

	/* A missing directory is made (0700: it holds a key); its parent
	 * must exist, so a typo does not grow a tree. */
	if (stat(dir, &st) != 0 && errno == ENOENT && mkdir(dir, 0700) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	if ((size_t)snprintf(pem, sizeof(pem), "%s/ca.pem", dir) >= sizeof(pem) ||
	    (size_t)snprintf(key, sizeof(key), "%s/ca.key", dir) >= sizeof(key)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	if (access(pem, F_OK) == 0 || access(key, F_OK) == 0) {
		/* A CA someone may already trust is never replaced. */
		snprintf(err, errlen, "%s: ca.pem or ca.key exists; remove both "
		    "to make a new CA", dir);
		return -1;
	}
	if ((k = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL ||
	    !X509_set_version(x, 2) || tlsca_serial(x) != 0 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x),
	    (long)TLSCA_CA_DAYS * 86400) == NULL || !X509_set_pubkey(x, k)) {
		snprintf(err, errlen, "making the CA: %s", tlsca_ossl_err());
		goto out;
	}
	n = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	    (const unsigned char *)"proxysim", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)TLSCA_SUBJECT, -1, -1, 0) ||
	    !X509_set_issuer_name(x, n) ||
	    tlsca_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") != 0 ||
	    tlsca_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") != 0 ||
	    tlsca_ext(x, x, NID_subject_key_identifier, "hash") != 0 ||
	    !X509_sign(x, k, EVP_sha256())) {
		snprintf(err, errlen, "making the CA: %s", tlsca_ossl_err());
		goto out;
	}
	if (tlsca_write_pem(key, 0600, NULL, k) != 0) {
		snprintf(err, errlen, "%s: %s", key, strerror(errno));
		goto out;
	}
	if (tlsca_write_pem(pem, 0644, x, NULL) != 0) {
		snprintf(err, errlen, "%s: %s", pem, strerror(errno));
		unlink(key);
		goto out;
	}
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

static void
tlsca_keylog_cb(const SSL *ssl, const char *line)
{
	if (keylog != NULL) {
		fprintf(keylog, "%s\n", line);
		fflush(keylog);
	}
}

/* Toward the client: http/1.1 if it offers it, else no ALPN at all. */
static int
tlsca_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char h11[] = "\x08http/1.1";
	unsigned char *sel;

	if (SSL_select_next_proto(&sel, outlen, h11, sizeof(h11) - 1, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static int
tlsca_load(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s (make one with --make-ca DIR)",
		    path, strerror(errno));
		return -1;
	}
	ca_cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (ca_cert == NULL) {
		snprintf(err, errlen, "%s: not a PEM certificate", path);
		return -1;
	}
	if (X509_check_ca(ca_cert) == 0) {
		snprintf(err, errlen, "%s: not a CA certificate", path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ca_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (ca_key == NULL || !X509_check_private_key(ca_cert, ca_key)) {
		snprintf(err, errlen, "%s: not the key of ca.pem", path);
		return -1;
	}
	return 0;
}

int
tlsca_init(const struct tlsca_opts *o, char *err, size_t errlen)
{
	static const unsigned char h11[] = "\x08http/1.1";
	int fd;

	if (o->ca_dir == NULL) {
		snprintf(err, errlen, "no CA");
		return -1;
	}
	if (tlsca_load(o->ca_dir, err, errlen) != 0)
		return -1;
	if ((leaf_key = EVP_EC_gen("P-256")) == NULL ||
	    (ctx_client = SSL_CTX_new(TLS_server_method())) == NULL ||
	    (ctx_server = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "TLS contexts: %s", tlsca_ossl_err());
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx_client, TLS1_2_VERSION);
	SSL_CTX_set_min_proto_version(ctx_server, TLS1_2_VERSION);
	SSL_CTX_set_alpn_select_cb(ctx_client, tlsca_alpn_cb, NULL);
	/* The HTTP personas apply inside: HTTP/1.1 is all we speak. */
	SSL_CTX_set_alpn_protos(ctx_server, h11, sizeof(h11) - 1);
	if (o->upstream_insecure)
		SSL_CTX_set_verify(ctx_server, SSL_VERIFY_NONE, NULL);
	else {
		SSL_CTX_set_verify(ctx_server, SSL_VERIFY_PEER, NULL);
		if (o->upstream_cafile != NULL ?
		    !SSL_CTX_load_verify_locations(ctx_server,
		    o->upstream_cafile, NULL) :
		    !SSL_CTX_set_default_verify_paths(ctx_server)) {
			snprintf(err, errlen, "%s: %s", o->upstream_cafile != NULL ?
			    o->upstream_cafile : "the system trust store",
			    tlsca_ossl_err());
			return -1;
		}
	}
	if (o->keylog != NULL) {
		fd = open(o->keylog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600);
		if (fd == -1 || (keylog = fdopen(fd, "a")) == NULL) {
			snprintf(err, errlen, "%s: %s", o->keylog, strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		SSL_CTX_set_keylog_callback(ctx_client, tlsca_keylog_cb);
		SSL_CTX_set_keylog_callback(ctx_server, tlsca_keylog_cb);
	}
	return 0;
}

int
tlsca_ready(void)
{
	return ctx_client != NULL;
}

void
tlsca_free(void)
{
	size_t i;

	for (i = 0; i < TLSCA_CACHE; i++) {
		X509_free(cache[i].x);
		cache[i].x = NULL;
	}
	SSL_CTX_free(ctx_client);
	SSL_CTX_free(ctx_server);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(ca_key);
	X509_free(ca_cert);
	ctx_client = ctx_server = NULL;
	leaf_key = ca_key = NULL;
	ca_cert = NULL;
	if (keylog != NULL)
		fclose(keylog);
	keylog = NULL;
}

/* A leaf for a DNS name or an IP address, signed by the CA. */
static X509 *
tlsca_mint(const char *name, int is_ip)
{
	char san[300], cn[65];
	X509 *x;

	if ((x = X509_new()) == NULL)
		return NULL;
	snprintf(san, sizeof(san), "%s:%s", is_ip ? "IP" : "DNS", name);
	/* CN is at most 64 characters; the SAN is what clients check. */
	snprintf(cn, sizeof(cn), "%s", name);
	if (!X509_set_version(x, 2) || tlsca_serial(x) != 0 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x),
	    (long)TLSCA_LEAF_DAYS * 86400) == NULL ||
	    !X509_set_pubkey(x, leaf_key) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca_cert)) ||
	    tlsca_ext(x, ca_cert, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
	    tlsca_ext(x, ca_cert, NID_key_usage,
	    "critical,digitalSignature") != 0 ||
	    tlsca_ext(x, ca_cert, NID_ext_key_usage, "serverAuth") != 0 ||
	    tlsca_ext(x, ca_cert, NID_authority_key_identifier, "keyid") != 0 ||
	    tlsca_ext(x, ca_cert, NID_subject_alt_name, san) != 0 ||
	    !X509_sign(x, ca_key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* The cached leaf for name, minting it (and evicting the least recently
 * used) on a miss. */
static X509 *
tlsca_leaf(const char *name, int is_ip)
{
	size_t i, victim = 0;

	for (i = 0; i < TLSCA_CACHE; i++) {
		if (cache[i].x != NULL && strcmp(cache[i].name, name) == 0) {
			cache[i].used = ++clock_uses;
			return cache[i].x;
		}
		if (cache[i].used < cache[victim].used)
			victim = i;
	}
	X509_free(cache[victim].x);
	memset(&cache[victim], 0, sizeof(cache[victim]));
	if ((cache[victim].x = tlsca_mint(name, is_ip)) == NULL)
		return NULL;
	snprintf(cache[victim].name, sizeof(cache[victim].name), "%s", name);
	cache[victim].used = ++clock_uses;
	return cache[victim].x;
}

SSL *
tlsca_client_ssl(const char *name, const char *ip, const char **err)
{
	X509 *leaf;
	SSL *ssl;

	if (ctx_client == NULL) {
		*err = "no lab CA (--ca DIR)";
		return NULL;
	}
	if ((leaf = tlsca_leaf(name != NULL ? name : ip, name == NULL)) == NULL) {
		*err = "minting a leaf certificate failed";
		ERR_clear_error();
		return NULL;
	}
	if ((ssl = SSL_new(ctx_client)) == NULL ||
	    !SSL_use_certificate(ssl, leaf) ||
	    !SSL_use_PrivateKey(ssl, leaf_key)) {
		*err = tlsca_ossl_err();
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

SSL *
tlsca_server_ssl(const char *name, const char *ip, const char **err)
{
	SSL *ssl;
	int ok;

	if ((ssl = SSL_new(ctx_server)) == NULL) {
		*err = tlsca_ossl_err();
		return NULL;
	}
	if (name != NULL)
		ok = SSL_set_tlsext_host_name(ssl, name) &&
		    SSL_set1_host(ssl, name);
	else
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip);
	if (!ok) {
		*err = tlsca_ossl_err();
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}
