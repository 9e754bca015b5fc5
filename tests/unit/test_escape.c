/* Unit tests for escape.c: wire bytes made safe for the human log. */
#include "config.h"

#include "escape.h"
#include "tap.h"

int
main(void)
{
	char out[64], tiny[6];
	size_t n;

	n = escape_bytes(out, sizeof(out), "GET / HTTP/1.1\r\n", 16);
	is_str(out, "GET / HTTP/1.1\\r\\n", "CRLF escaped");
	is_int((long long)n, 16, "all consumed");
	escape_bytes(out, sizeof(out), "\x1b[31m\x00\xff\\", 8);
	is_str(out, "\\x1b[31m\\x00\\xff\\\\", "terminal escape, NUL, high byte");
	n = escape_bytes(tiny, sizeof(tiny), "\x01\x02", 2);
	is_str(tiny, "\\x01", "an escape is never cut in half");
	is_int((long long)n, 1, "stops before what does not fit");
	n = escape_bytes(out, 1, "abc", 3);
	is_str(out, "", "room for the NUL only");
	return tap_done();
}
