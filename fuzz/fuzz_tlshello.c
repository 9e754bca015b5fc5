/* libFuzzer target: the ClientHello parser on every prefix, as the relay
 * sees the bytes arrive, and the JSON escaping of what it reports. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "tlshello.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlshello th;
	enum tlshello_rc rc, last = TLSHELLO_NEED_MORE;
	char buf[4096];
	struct jsonw j;
	size_t i, len;

	/* A verdict other than "need more" never changes with more bytes. */
	for (i = 0; i <= size; i += 1 + i / 64) {
		rc = tlshello_parse(data, i, &th);
		if (last != TLSHELLO_NEED_MORE && rc != last)
			__builtin_trap();
		last = rc;
	}
	rc = tlshello_parse(data, size, &th);
	if (rc != TLSHELLO_OK)
		return 0;
	if (th.hello_len > TLSHELLO_MAX_MSG || th.wire_len < th.hello_len ||
	    th.sni_len > TLSHELLO_MAX_SNI || th.alpn_kept > TLSHELLO_MAX_ALPN ||
	    th.nversions > TLSHELLO_MAX_VERS || th.sni[th.sni_len] != '\0')
		__builtin_trap();
	jsonw_init(&j, buf, sizeof(buf));
	jsonw_begin(&j);
	jsonw_bytes(&j, "sni", th.sni, th.sni_len);
	for (i = 0; i < th.alpn_kept; i++) {
		const unsigned char *p = tlshello_alpn(&th, i, &len);

		if (p == NULL || p + len > th.alpn_buf + sizeof(th.alpn_buf))
			__builtin_trap();
		jsonw_bytes(&j, "alpn", p, len);
	}
	jsonw_end(&j);
	(void)tlshello_name_match("*.lab", th.sni, th.sni_len);
	return 0;
}
