/*
 * libFuzzer target: the explicit proxy's reading of request heads. Every
 * head that parses is read by pxreq; a target it accepts must name a
 * host and port, and its origin-form rewrite must fit and parse again as
 * a request with a target starting with '/'. Basic credentials are
 * checked against a fixed pair.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h1.h"
#include "pxreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct h1_head h, h2;
	struct pxreq r;
	char *out;
	ssize_t n;
	int rc;

	if (size > H1_HEAD_MAX)
		return 0;
	rc = h1_parse_head((const char *)data, size, H1_REQUEST, &h);
	if (rc <= 0)
		return 0;
	(void)pxreq_basic_check((const char *)data, &h, "lab:lab");
	if (pxreq_parse((const char *)data, &h, &r) != PXREQ_E_NONE)
		return 0;
	if (r.host[0] == '\0' || r.port == 0 ||
	    strlen(r.host) >= PXREQ_HOSTLEN)
		__builtin_trap();
	if (r.form != PXREQ_ABSOLUTE)
		return 0;
	if ((out = malloc(h.len + 1)) == NULL)
		return 0;
	n = pxreq_origin_form(out, h.len + 1, (const char *)data, &h, &r,
	    data[0] & 1);
	if (n < 0 || (size_t)n > h.len + 1)
		__builtin_trap();
	if (h1_parse_head(out, (size_t)n, H1_REQUEST, &h2) != n ||
	    h2.target.len == 0 || out[h2.target.off] != '/')
		__builtin_trap();
	free(out);
	return 0;
}
