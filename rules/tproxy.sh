#!/bin/bash
# TPROXY capture rules for running proxysimd --tproxy without --redirect:
# the mangle-table TPROXY rules (or an nft table) and the policy routing
# they need. One implementation serves both modes; see redirect.sh.
set -eu

self=$(readlink -f "$0")
# Installed names may carry a --program-prefix/suffix: keep it.
name=$(basename "$self")
impl=$(dirname "$self")/${name/tproxy/redirect}
[ "$impl" != "$self" ] && [ -f "$impl" ] ||
	impl=$(dirname "$self")/redirect.sh
PROXYSIM_RULES_PROG=$(basename "$0") exec bash "$impl" --tproxy "$@"
