#!/bin/sh
# fetch-toon.sh - fetch third-party TOON material into the gitignored cache
# (.cache/), never into the repository. Prints the directory it stands for.
#
#   fetch-toon.sh spec     fixtures of @toon-format/spec@3.3.2:
#                          $TOON_SPEC_DIR, else ../shared/toon-spec beside
#                          the clone, else npm pack into .cache/toon-spec
#   fetch-toon.sh oracle   @toon-format/toon@2.3.1 (the byte oracle)
#   fetch-toon.sh peers    @toon-format/cli, gpt-tokenizer (benchmarks)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cache=$top/.cache
what=${1:-spec}

have_fixtures() { [ -d "$1/tests/fixtures/encode" ] && [ -d "$1/tests/fixtures/decode" ]; }

case $what in
spec)
	if [ -n "${TOON_SPEC_DIR:-}" ]; then
		have_fixtures "$TOON_SPEC_DIR" || { echo "fetch-toon.sh: no fixtures in TOON_SPEC_DIR='$TOON_SPEC_DIR'" >&2; exit 3; }
		echo "$TOON_SPEC_DIR"; exit 0
	fi
	if have_fixtures "$top/../shared/toon-spec"; then
		(cd "$top/../shared/toon-spec" && pwd); exit 0
	fi
	d=$cache/toon-spec
	if ! have_fixtures "$d"; then
		mkdir -p "$cache/tmp"
		tgz=$(cd "$cache/tmp" && npm pack --silent @toon-format/spec@3.3.2 2>/dev/null | tail -n 1)
		[ -n "$tgz" ] && [ -f "$cache/tmp/$tgz" ] || { echo "fetch-toon.sh: npm pack @toon-format/spec@3.3.2 failed" >&2; exit 3; }
		rm -rf "$d" && mkdir -p "$d"
		tar -xzf "$cache/tmp/$tgz" -C "$d" --strip-components=1
		rm -f "$cache/tmp/$tgz"
		have_fixtures "$d" || { echo "fetch-toon.sh: the spec package has no fixtures" >&2; exit 3; }
	fi
	echo "$d" ;;
oracle)
	d=$cache/oracle
	if [ ! -f "$d/node_modules/@toon-format/toon/package.json" ]; then
		mkdir -p "$d"
		(cd "$d" && [ -f package.json ] || echo '{"private":true}' >package.json)
		(cd "$d" && npm install --silent --no-audit --no-fund @toon-format/toon@2.3.1 >&2) ||
			{ echo "fetch-toon.sh: npm install @toon-format/toon@2.3.1 failed" >&2; exit 3; }
	fi
	echo "$d" ;;
peers)
	d=$cache/peers
	if [ ! -x "$d/node_modules/.bin/toon" ] || [ ! -d "$d/node_modules/gpt-tokenizer" ]; then
		mkdir -p "$d"
		(cd "$d" && [ -f package.json ] || echo '{"private":true}' >package.json)
		(cd "$d" && npm install --silent --no-audit --no-fund @toon-format/cli gpt-tokenizer >&2) ||
			{ echo "fetch-toon.sh: npm install of the TOON peers failed" >&2; exit 3; }
	fi
	echo "$d" ;;
*) echo "fetch-toon.sh: unknown '$what' (spec, oracle, peers)" >&2; exit 2 ;;
esac
