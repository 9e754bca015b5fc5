/* Unit tests for sniff.c: first-bytes classification. */
#include "config.h"

#include <string.h>

#include "sniff.h"
#include "tap.h"

static void
check(const void *p, size_t n, enum sniff_proto want, const char *name)
{
	is_str(sniff_name(sniff_classify(p, n)), sniff_name(want), name);
}

int
main(void)
{
	/* A real TLS 1.2 record header and ClientHello type. */
	static const unsigned char ch[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01,
	    0x00, 0x01, 0xfc, 0x03, 0x03 };
	static const unsigned char sh[] = { 0x16, 0x03, 0x03, 0x00, 0x5a, 0x02 };
	static const unsigned char v9[] = { 0x16, 0x03, 0x09, 0x00, 0x5a, 0x01 };
	static const unsigned char ssh[] = "SSH-2.0-OpenSSH_9.2\r\n";
	size_t i;

	check(ch, sizeof(ch), SNIFF_TLS, "TLS ClientHello");
	for (i = 1; i < 6; i++)
		check(ch, i, SNIFF_NEED_MORE, "TLS prefix needs more");
	check(sh, sizeof(sh), SNIFF_OTHER, "TLS ServerHello is not a client hello");
	check(v9, sizeof(v9), SNIFF_OTHER, "record version 3.9 is not TLS");
	check("GET / HTTP/1.1\r\n", 16, SNIFF_HTTP, "GET request line");
	check("GET /chat HTTP/1.1\r\nHost: x\r\n\r\n", 31, SNIFF_HTTP, "GET head");
	check("CONNECT example:443 HTTP/1.1\r\n", 30, SNIFF_HTTP, "CONNECT");
	check("OPTIONS * HTTP/1.1\r\n", 20, SNIFF_HTTP, "OPTIONS *");
	check("PRI * HTTP/2.0\r\n", 16, SNIFF_HTTP, "h2 preface looks like HTTP");
	check("GE", 2, SNIFF_NEED_MORE, "partial method");
	check("GET", 3, SNIFF_NEED_MORE, "method without space");
	check("GET ", 4, SNIFF_NEED_MORE, "method and space");
	check(" GET /", 6, SNIFF_OTHER, "leading space");
	check("GET  /", 6, SNIFF_OTHER, "two spaces");
	check(ssh, sizeof(ssh) - 1, SNIFF_OTHER, "SSH banner");
	check("\x00\x01\x02\x03", 4, SNIFF_OTHER, "binary");
	check("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 38, SNIFF_OTHER,
	    "overlong token");
	check("", 0, SNIFF_NEED_MORE, "nothing yet");
	is_str(sniff_name(SNIFF_HTTP), "http", "name http");
	is_str(sniff_name(SNIFF_TLS), "tls", "name tls");
	is_str(sniff_name(SNIFF_OTHER), "other", "name other");
	return tap_done();
}
