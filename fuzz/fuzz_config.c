/* libFuzzer target: the configuration parser (inih and our key setters)
 * and the address and port-list parsers behind them. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cfgfile.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings s;
	struct profile_set *ps;
	struct sockaddr_storage ss;
	struct portlist pl;
	socklen_t len;
	const char *why;
	char err[512], *text;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	settings_defaults(&s);
	if ((ps = profile_set_new()) != NULL) {
		(void)cfgfile_parse_string(text, "fuzz.conf", &s, ps, err,
		    sizeof(err));
		profile_set_unref(ps);
	}
	(void)addr_parse_listen(text, 15080, &ss, &len, &why);
	(void)addr_parse_ports(text, &pl, &why);
	free(text);
	return 0;
}
