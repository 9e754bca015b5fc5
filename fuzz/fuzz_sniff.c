/* libFuzzer target: the first-bytes classifier and the JSON escaper that
 * logs its preview. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "escape.h"
#include "json.h"
#include "sniff.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[512], esc[128];
	struct jsonw j;
	size_t i;

	/* Every prefix, as the relay sees the bytes arrive. */
	for (i = 0; i <= size && i <= 80; i++)
		(void)sniff_classify(data, i);
	jsonw_init(&j, buf, sizeof(buf));
	jsonw_begin(&j);
	jsonw_bytes(&j, "preview", data, size < 64 ? size : 64);
	jsonw_end(&j);
	if (jsonw_text(&j) != NULL && strlen(buf) >= sizeof(buf))
		__builtin_trap();
	escape_bytes(esc, sizeof(esc), data, size);
	return 0;
}
