/* Escaping of wire bytes for the human log; see escape.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "escape.h"

size_t
escape_bytes(char *dst, size_t dstlen, const void *src, size_t srclen)
{
	const unsigned char *p = src;
	size_t i, o = 0;
	char tmp[5];

	if (dstlen == 0)
		return 0;
	for (i = 0; i < srclen; i++) {
		unsigned char c = p[i];
		size_t n;

		switch (c) {
		case '\r': memcpy(tmp, "\\r", 3); break;
		case '\n': memcpy(tmp, "\\n", 3); break;
		case '\t': memcpy(tmp, "\\t", 3); break;
		case '\\': memcpy(tmp, "\\\\", 3); break;
		default:
			if (c < 0x20 || c >= 0x7f)
				snprintf(tmp, sizeof(tmp), "\\x%02x", c);
			else {
				tmp[0] = (char)c;
				tmp[1] = '\0';
			}
		}
		n = strlen(tmp);
		if (o + n >= dstlen)
			break;
		memcpy(dst + o, tmp, n);
		o += n;
	}
	dst[o] = '\0';
	return i;
}
