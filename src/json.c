/* JSON object writer; see json.h. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

static void
jsonw_putc(struct jsonw *j, char c)
{
	if (j->len + 1 >= j->cap) {
		j->overflow = 1;
		return;
	}
	j->buf[j->len++] = c;
	j->buf[j->len] = '\0';
}

static void
jsonw_puts(struct jsonw *j, const char *s)
{
	while (*s != '\0')
		jsonw_putc(j, *s++);
}

static void
jsonw_escaped(struct jsonw *j, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	jsonw_putc(j, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		switch (c) {
		case '"':  jsonw_puts(j, "\\\""); break;
		case '\\': jsonw_puts(j, "\\\\"); break;
		case '\n': jsonw_puts(j, "\\n"); break;
		case '\r': jsonw_puts(j, "\\r"); break;
		case '\t': jsonw_puts(j, "\\t"); break;
		default:
			if (c < 0x20 || c >= 0x7f) {
				jsonw_puts(j, "\\u00");
				jsonw_putc(j, hex[c >> 4]);
				jsonw_putc(j, hex[c & 15]);
			} else
				jsonw_putc(j, (char)c);
		}
	}
	jsonw_putc(j, '"');
}

static void
jsonw_key(struct jsonw *j, const char *key)
{
	if (j->need_comma)
		jsonw_putc(j, ',');
	jsonw_escaped(j, (const unsigned char *)key, strlen(key));
	jsonw_putc(j, ':');
	j->need_comma = 1;
}

void
jsonw_init(struct jsonw *j, char *buf, size_t cap)
{
	j->buf = buf;
	j->cap = cap;
	j->len = 0;
	j->need_comma = 0;
	j->overflow = cap == 0;
	if (cap > 0)
		buf[0] = '\0';
}

void
jsonw_begin(struct jsonw *j)
{
	jsonw_putc(j, '{');
	j->need_comma = 0;
}

void
jsonw_end(struct jsonw *j)
{
	jsonw_putc(j, '}');
	j->need_comma = 1;
}

void
jsonw_str(struct jsonw *j, const char *key, const char *val)
{
	jsonw_key(j, key);
	if (val == NULL)
		jsonw_puts(j, "null");
	else
		jsonw_escaped(j, (const unsigned char *)val, strlen(val));
}

void
jsonw_bytes(struct jsonw *j, const char *key, const void *p, size_t n)
{
	jsonw_key(j, key);
	jsonw_escaped(j, p, n);
}

void
jsonw_u64(struct jsonw *j, const char *key, uint64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	jsonw_key(j, key);
	jsonw_puts(j, tmp);
}

void
jsonw_i64(struct jsonw *j, const char *key, int64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	jsonw_key(j, key);
	jsonw_puts(j, tmp);
}

void
jsonw_bool(struct jsonw *j, const char *key, int v)
{
	jsonw_key(j, key);
	jsonw_puts(j, v ? "true" : "false");
}

void
jsonw_double(struct jsonw *j, const char *key, double v, int decimals)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
	jsonw_key(j, key);
	jsonw_puts(j, tmp);
}

void
jsonw_raw(struct jsonw *j, const char *key, const char *text)
{
	jsonw_key(j, key);
	jsonw_puts(j, text);
}

const char *
jsonw_text(const struct jsonw *j)
{
	return j->overflow ? NULL : j->buf;
}
