#!/usr/bin/env bash
# fuzz.sh - build every t/fuzz/*.c target with clang's libFuzzer and
# ASan+UBSan and run each for FUZZ_SECONDS (default 60).
#
#   scripts/fuzz.sh [TARGET...]
#
# The corpus grows in build-fuzz/corpus/TARGET (seeded from
# t/fuzz/corpus/TARGET); a crasher is copied to t/fuzz/corpus/TARGET/ so
# that, once fixed, `make test` replays it forever. Prints executions per
# target and exits 1 if any target crashed.
set -u
cd "$(dirname "$0")/.." || exit 3
secs=${FUZZ_SECONDS:-60}
B=build-fuzz
CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null || { echo "fuzz.sh: $CC not found (scripts/install-deps.sh fuzz)" >&2; exit 3; }
flags="-g -O1 -std=gnu11 -Ilib -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
	-Wno-unknown-pragmas -Wno-source-uses-openmp $(pkg-config --cflags liblz4 libzstd 2>/dev/null)"
libs="$(pkg-config --libs liblz4 libzstd 2>/dev/null || echo -llz4 -lzstd) -lutf8proc -lstemmer -lm -lpthread"
mkdir -p "$B/obj" "$B/corpus" "$B/crash"
objs=()
for c in lib/*.c lib/*/*.c; do
	[ -f "$c" ] || continue
	o=$B/obj/$(echo "$c" | tr / _).o
	if [ ! -f "$o" ] || [ "$c" -nt "$o" ] || [ -n "$(find lib -name '*.h' -newer "$o" | head -n 1)" ]; then
		$CC $flags -c "$c" -o "$o" || exit 3
	fi
	objs+=("$o")
done
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for t in t/fuzz/*.c; do
		n=$(basename "$t" .c)
		[ "$n" = driver ] || targets+=("$n")
	done
fi
status=0
printf '%-16s %12s %10s %8s\n' target executions exec/s crashes >"$B/summary.txt"
for n in "${targets[@]}"; do
	$CC $flags -fsanitize=fuzzer "t/fuzz/$n.c" "${objs[@]}" $libs -o "$B/$n" || exit 3
	mkdir -p "$B/corpus/$n"
	[ -d "t/fuzz/corpus/$n" ] && cp -n t/fuzz/corpus/"$n"/* "$B/corpus/$n/" 2>/dev/null
	log=$B/$n.log
	"$B/$n" -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 \
		-artifact_prefix="$B/crash/$n-" "$B/corpus/$n" >"$log" 2>&1
	rc=$?
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
	[ -z "$execs" ] && execs=$(grep -oE '^Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -n 1)
	[ -z "$execs" ] && execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
	crashes=0
	if [ "$rc" -ne 0 ]; then
		crashes=1
		status=1
		for a in "$B"/crash/"$n"-*; do
			[ -f "$a" ] && cp "$a" "t/fuzz/corpus/$n/" && echo "fuzz.sh: $n: crasher kept as t/fuzz/corpus/$n/$(basename "$a")" >&2
		done
		tail -n 30 "$log" >&2
	fi
	printf '%-16s %12s %10s %8s\n' "$n" "${execs:-0}" "$(( ${execs:-0} / (secs > 0 ? secs : 1) ))" "$crashes" >>"$B/summary.txt"
done
cat "$B/summary.txt"
exit $status
