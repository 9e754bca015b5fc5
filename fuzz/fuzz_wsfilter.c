/* libFuzzer target: the frame filter (wsfilter.c). The first bytes pick
 * what it does and how the stream is cut into reads. It never writes
 * more than its input and a held header; with nothing to do it copies
 * the stream byte for byte (all but a header it still holds). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wsfilter.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_MAX	65536

static uint8_t out[FUZZ_MAX + WSFILTER_SLACK];
static uint8_t idout[FUZZ_MAX + WSFILTER_SLACK];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wsfilter f, id;
	struct wsfilter_report rep;
	size_t i, k, o, step, total = 0, idtotal = 0;

	if (size < 4 || size > FUZZ_MAX)
		return 0;
	wsfilter_init(&f);
	wsfilter_init(&id);
	f.drop_ops = (unsigned)data[0] << 8;
	f.nth = data[1] & 7;
	f.nth_act = (data[1] & 8) ? WSFILTER_TRUNCATE : WSFILTER_DROP;
	f.keep = data[2];
	step = (size_t)data[3] % 64 + 1;
	data += 4;
	size -= 4;
	for (i = 0; i < size; i += k) {
		k = size - i < step ? size - i : step;
		o = wsfilter_feed(&f, data + i, k, out, &rep);
		if (o > k + WSFILTER_SLACK || rep.n > WSFILTER_EVENTS)
			__builtin_trap();
		total += o;
		idtotal += wsfilter_feed(&id, data + i, k, idout + idtotal, NULL);
	}
	if (total > size || idtotal + id.hlen != size ||
	    memcmp(idout, data, idtotal) != 0)
		__builtin_trap();
	return 0;
}
