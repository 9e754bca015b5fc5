/* Unit tests for json.c: the event log's object writer. */
#include "config.h"

#include <string.h>

#include "json.h"
#include "tap.h"

int
main(void)
{
	struct jsonw j;
	char buf[256], small[16];

	jsonw_init(&j, buf, sizeof(buf));
	jsonw_begin(&j);
	jsonw_str(&j, "event", "flow_open");
	jsonw_u64(&j, "flow", 42);
	jsonw_i64(&j, "neg", -7);
	jsonw_bool(&j, "t", 1);
	jsonw_str(&j, "null", NULL);
	jsonw_end(&j);
	is_str(jsonw_text(&j),
	    "{\"event\":\"flow_open\",\"flow\":42,\"neg\":-7,\"t\":true,"
	    "\"null\":null}", "simple object");

	jsonw_init(&j, buf, sizeof(buf));
	jsonw_begin(&j);
	jsonw_bytes(&j, "b", "GET /\r\n\"q\"\\\x00\xff\x7f", 14);
	jsonw_end(&j);
	is_str(jsonw_text(&j),
	    "{\"b\":\"GET /\\r\\n\\\"q\\\"\\\\\\u0000\\u00ff\\u007f\"}",
	    "wire bytes escaped, NUL and high bytes as \\u00XX");

	jsonw_init(&j, buf, sizeof(buf));
	jsonw_begin(&j);
	jsonw_raw(&j, "a", "[1,2]");
	jsonw_double(&j, "d", 1.5, 2);
	jsonw_end(&j);
	is_str(jsonw_text(&j), "{\"a\":[1,2],\"d\":1.50}", "raw and double");

	jsonw_init(&j, small, sizeof(small));
	jsonw_begin(&j);
	jsonw_str(&j, "key", "a value that does not fit");
	jsonw_end(&j);
	ok(jsonw_text(&j) == NULL, "overflow reported, never a cut object");
	ok(strlen(small) < sizeof(small), "buffer never overrun");
	return tap_done();
}
