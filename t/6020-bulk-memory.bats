#!/usr/bin/env bats
# 6020-bulk-memory: build-index --memory-budget picks the precision that
# fits (float32, bf16, sq8 from the documented memory model), the
# compressed builds keep recall within 0.01 of the unbudgeted build
# against brute-force truth, a budget too small for the graph is an
# error, and --telemetry / --json report peak RSS, the anonymous peak and
# the precision chosen.

load test_helper

PY=/usr/bin/python3

setup_file() {
	D=$BATS_FILE_TMPDIR
	# 8,000 x 64 clustered, l2 (f32 vectors 2.0 MB; graph model at 2
	# threads 3.4 MB): f32 needs 5.4 MB, bf16 4.4 MB, sq8 3.9 MB
	$PY "$BATS_TEST_DIRNAME/../scripts/vecgen.py" "$D/l2" --n 8000 --dim 64 --queries 200 --k 10 --seed 21
	$PY "$BATS_TEST_DIRNAME/../scripts/vecgen.py" "$D/ip" --n 8000 --dim 64 --queries 200 --k 10 --seed 22 --metric ip --normalize
}

recall_of() {
	awk '/^recall@/ { print $2 }' <<<"$1"
}

# json_field NAME JSON -> value
json_field() {
	$PY -c "import json,sys; v=json.loads(sys.argv[2])[sys.argv[1]]; print(v)" "$1" "$2"
}

# build SET BUDGET -> $D/SET-BUDGET.idx, the --json summary in $json
build() {
	local b=()
	[ "$2" = none ] || b=(--memory-budget "$2")
	run -0 --separate-stderr sochdb-bulk build-index -i "$D/$1.base.npy" -o "$D/$1-$2.idx" \
		-t 2 "${b[@]}" --metric "$3" --json -q
	json=$output
}

recall() {
	run -0 --separate-stderr sochdb-bulk query --index "$D/$1.idx" -q "$D/$2.query.npy" \
		--truth "$D/$2.truth.npy" --ef "$3" -t 1 --no-output
	recall_of "$stderr"
}

@test "budgets choose f32, bf16, sq8 and keep recall within 0.01 of the unbudgeted build" {
	D=$BATS_FILE_TMPDIR
	for set in l2 ip; do
		build $set none $set
		[ "$(json_field build_precision "$json")" = f32 ]
		[ "$(json_field copy_bytes "$json")" = 0 ]
		r16=$(recall $set-none $set 16)
		r64=$(recall $set-none $set 64)
		for pair in 1G:f32 5000K:bf16 4200K:sq8; do
			budget=${pair%%:*} want=${pair#*:}
			build $set "$budget" $set
			[ "$(json_field build_precision "$json")" = "$want" ] || fail "$set budget $budget: $(json_field build_precision "$json"), want $want"
			[ "$(json_field memory_budget_bytes "$json")" -gt 0 ]
			case $want in
			bf16) [ "$(json_field copy_bytes "$json")" = $((8000 * 64 * 2)) ] ;;
			sq8) [ "$(json_field copy_bytes "$json")" = $((8000 * 64)) ] ;;
			esac
			run -0 sochdb-bulk info --index "$D/$set-$budget.idx"
			assert_line "build_precision: $want"
			for ef in 16 64; do
				ref=$r16; [ $ef = 64 ] && ref=$r64
				r=$(recall $set-$budget $set $ef)
				awk -v r="$r" -v ref="$ref" 'BEGIN { exit !(r >= ref - 0.01) }' ||
					fail "$set $want ef $ef: recall $r vs unbudgeted $ref"
			done
		done
	done
}

@test "an explicit --build-precision sq8 builds from codes and re-ranks (recall >= 0.95 at ef 64)" {
	D=$BATS_FILE_TMPDIR
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/sq.idx" --build-precision sq8 -q
	r=$(recall sq l2 64)
	awk -v r="$r" 'BEGIN { exit !(r >= 0.95) }' || fail "recall $r"
	# an explicit precision that does not fit the budget is refused
	run -3 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/x.idx" -t 2 --build-precision f32 --memory-budget 4200K
	assert_output --partial "memory budget 4.1 MiB is too small for a f32 build of 8000 vectors"
	[ ! -e "$D/x.idx" ]
}

@test "an sq8 build (float32 queries against the codes, float32 selection) keeps recall within 0.005 of f32 at every ef" {
	D=$BATS_FILE_TMPDIR
	for set in l2 ip; do
		for p in f32 sq8; do
			run -0 sochdb-bulk build-index -i "$D/$set.base.npy" -o "$D/$set-p$p.idx" \
				--metric $set --build-precision $p -t 1 -q
		done
		for ef in 16 32 64; do
			ref=$(recall $set-pf32 $set $ef)
			r=$(recall $set-psq8 $set $ef)
			awk -v r="$r" -v ref="$ref" 'BEGIN { exit !(r >= ref - 0.005) }' ||
				fail "$set ef $ef: sq8 recall $r vs f32 $ref"
		done
	done
}

@test "a budget too small for the graph is a clear error and writes nothing" {
	D=$BATS_FILE_TMPDIR
	run -3 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/small.idx" -t 2 --memory-budget 3000K
	assert_output --regexp "^sochdb-bulk: memory budget 2\.9 MiB is too small for the graph of 8000 vectors \(M 16: [0-9.]+ MiB\); the smallest build \(sq8\) needs [0-9.]+ MiB$"
	[ ! -e "$D/small.idx" ]
	run -3 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/small.idx" -t 2 --memory-budget 1M
	assert_output --partial "too small for the graph"
	run -2 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/small.idx" --memory-budget 0
	assert_output --partial "invalid size '0' for --memory-budget"
	run -2 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/small.idx" --memory-budget 12X
	assert_output --partial "invalid size '12X' for --memory-budget"
	run -2 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/small.idx" --build-precision int4
	assert_output --partial "expected auto, f32, bf16 or sq8"
}

@test "telemetry reports peak RSS, the anonymous peak and the precision, and they are sane" {
	D=$BATS_FILE_TMPDIR
	run -0 --separate-stderr sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/t.idx" -t 2 \
		--memory-budget 4200K --telemetry -q
	line=$stderr
	[[ "$line" =~ peak\ RSS\ ([0-9.]+)\ MiB\;\ anonymous\ peak\ ([0-9.]+)\ MiB\;\ compressed\ copy\ ([0-9.]+)\ MiB ]] || fail "telemetry: $line"
	rss=${BASH_REMATCH[1]} anon=${BASH_REMATCH[2]} copy=${BASH_REMATCH[3]}
	[[ "$line" == *"build precision sq8;"* ]] || fail "$line"
	# the anonymous peak is above the codes and within the budget plus the
	# process's own baseline (a few MiB of libc, OpenMP and stacks); the
	# whole peak (VmHWM) counts mapped file pages too
	awk -v r="$rss" -v a="$anon" -v c="$copy" 'BEGIN { exit !(a > c && a <= 4.2 + 8 && r >= a) }' ||
		fail "rss $rss anon $anon copy $copy"
	[ "$copy" = 0.5 ]
	# the JSON summary carries the same figures in bytes
	build l2 4200K l2
	a=$(json_field anon_peak_bytes "$json")
	p=$(json_field peak_rss_bytes "$json")
	[ "$a" -gt 500000 ] && [ "$a" -le "$p" ] || fail "anon $a peak $p"
}
