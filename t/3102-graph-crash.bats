#!/usr/bin/env bats
# 3102-graph-crash: kill -9 during `del-node` of a node with 10,000 edges
# and during `load` (after reopen: all of it or none, both adjacency
# directions agreeing), and writers adding and ending edges while readers
# traverse (every read is one snapshot; nothing acknowledged is lost).
# Seeds are printed (CRASH_SEED=S replays the kill delays); STRESS_SCALE
# scales cycles and duration (DESIGN.md test budgets).

load test_helper

setup() {
	setup_db
	[ -x "$BUILD/bin/sochdb-graph" ] || skip "sochdb-graph is not built yet"
}

H=$BATS_TEST_DIRNAME/helpers/graph_crash.py
cnt() { /usr/bin/python3 "$H" count "$@"; }
ms() { date +%s%3N; }

@test "kill -9 during del-node of a node with 10,000 edges: all of it or none" {
	cycles=$(scaled 10)
	seed=${CRASH_SEED:-$RANDOM}
	RANDOM=$seed
	echo "# del-node kill loop: $cycles cycles, seed $seed" >&3
	d=$BATS_TEST_TMPDIR
	/usr/bin/python3 "$H" star "$d/star.jsonl" hub 10000
	sochdb-graph load g "$d/star.jsonl"
	t0=$(ms)
	sochdb-graph del-node g hub
	dur=$(( $(ms) - t0 ))
	echo "# one del-node of 10,000 edges: $dur ms" >&3
	run cnt g hub out; [ "$output" = "-1 -1" ] || fail "after del-node: $output"
	# each cycle starts from a copy of a database holding the hub (a
	# closed database directory copied with cp -a is a working database)
	tpl=$d/tpl
	SOCHDB_DIR=$tpl sochdb-graph load g "$d/star.jsonl"
	all=0 none=0
	h=hub
	for c in $(seq "$cycles"); do
		rm -rf "$SOCHDB_DIR"
		cp -a "$tpl" "$SOCHDB_DIR"
		run cnt g "$h" out; [ "$output" = "10000 10000" ] || fail "cycle $c: copied hub: $output"
		before=$(ms)
		sleep 0.002
		setsid sochdb-graph del-node g "$h" &
		p=$!
		sleep "$(awk -v r=$RANDOM -v d="$dur" 'BEGIN { printf "%.3f", (0.2 + r / 32767 * 1.8) * d / 1000 }')"
		kill -9 -- -"$p" "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		out=$(cnt g "$h" out) in=$(cnt g "$h-s17" in) back=$(cnt g "$h-s9999" in)
		case "$out/$in/$back" in
		"10000 10000/1 1/1 1") all=$((all + 1)) ;;
		"-1 -1/"*) none=$((none + 1))
			# the spokes' in-edges went with it, in the same transaction
			[ "$in" = "0 0" ] || [ "$in" = "-1 -1" ] || fail "cycle $c: hub gone, s17 in: $in"
			[ "$back" = "0 0" ] || [ "$back" = "-1 -1" ] || fail "cycle $c: hub gone, s9999 in: $back"
			# known before the deletion, all of it is still there
			run cnt g "$h" out --known-at "$before"
			[ "$output" = "10000 10000" ] || fail "cycle $c: --known-at before the deletion: $output" ;;
		*) fail "cycle $c (seed $seed): torn del-node: out $out, s17 in $in, s9999 in $back" ;;
		esac
	done
	echo "# $all cycles kept the node, $none deleted it" >&3
	run -0 sochdb-wal verify
}

@test "kill -9 during load: after reopen all of it or none" {
	cycles=$(scaled 10)
	seed=${CRASH_SEED:-$RANDOM}
	RANDOM=$seed
	echo "# load kill loop: $cycles cycles, seed $seed" >&3
	d=$BATS_TEST_TMPDIR
	/usr/bin/python3 "$H" star "$d/first.jsonl" L0 10000
	t0=$(ms)
	sochdb-graph load g "$d/first.jsonl"
	dur=$(( $(ms) - t0 ))
	echo "# one load of 10,000 edges: $dur ms" >&3
	all=0 none=0
	for c in $(seq "$cycles"); do
		/usr/bin/python3 "$H" star "$d/c.jsonl" "L$c" 10000
		setsid sochdb-graph load g "$d/c.jsonl" &
		p=$!
		sleep "$(awk -v r=$RANDOM -v d="$dur" 'BEGIN { printf "%.3f", (0.2 + r / 32767 * 1.8) * d / 1000 }')"
		kill -9 -- -"$p" "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		out=$(cnt g "L$c" out) in=$(cnt g "L$c-s9999" in) first=$(cnt g "L$c-s0" in)
		case "$out/$in/$first" in
		"10000 10000/1 1/1 1") all=$((all + 1)) ;;
		"-1 -1/-1 -1/-1 -1") none=$((none + 1)) ;;
		*) fail "cycle $c (seed $seed): torn load: out $out, last spoke in $in, first spoke in $first" ;;
		esac
		run cnt g L0 out; [ "$output" = "10000 10000" ] || fail "cycle $c: the first load: $output"
	done
	echo "# $all loads complete, $none absent" >&3
	run -0 sochdb-wal verify
}

@test "writers add and end edges while readers traverse: one snapshot per read" {
	secs=$(scaled 15)
	k=25
	d=$BATS_TEST_TMPDIR
	printf '{"id":"root","type":"root","props":{}}\n' >"$d/root.jsonl"
	for i in $(seq 0 49); do printf '{"id":"z%d","type":"z","props":{}}\n' "$i"; done >>"$d/root.jsonl"
	sochdb-graph load g "$d/root.jsonl"
	: >"$d/groups" : >"$d/deleted" : >"$d/ended" : >"$d/added"
	end=$(( $(date +%s) + secs ))
	# writer 1: a group (xJ and its K leaves) per load; every third load
	# deletes the group two before it (del-node: its edges in one txn)
	(
		j=0
		# at least 6 groups however slow the build (ASan, a loaded machine)
		while [ "$(date +%s)" -lt "$end" ] || [ "$j" -lt 6 ]; do
			j=$((j + 1))
			/usr/bin/python3 "$H" group "$d/g$j.jsonl" "$j" "$k"
			sochdb-graph load g "$d/g$j.jsonl" && echo "$j" >>"$d/groups"
			if [ $((j % 3)) -eq 0 ] && [ "$j" -gt 2 ]; then
				sochdb-graph del-node g "x$((j - 2))" && echo "$((j - 2))" >>"$d/deleted"
			fi
		done
	) &
	w1=$!
	# writer 2: add-edge root -links-> zI, then end it
	(
		i=0
		while [ "$(date +%s)" -lt "$end" ]; do
			i=$((i + 1)); z=z$((i % 50))
			sochdb-graph add-edge g root links "$z" --prop "i=$i" && echo "$z" >>"$d/added"
			sochdb-graph end-edge g root links "$z" && echo "$z" >>"$d/ended"
		done
	) &
	w2=$!
	/usr/bin/python3 "$H" reader g "$k" "$secs" >"$d/r1" 2>&1 &
	r1=$!
	/usr/bin/python3 "$H" reader g "$k" "$secs" >"$d/r2" 2>&1 &
	r2=$!
	wait "$w1" "$w2"
	wait "$r1" || fail "reader 1: $(cat "$d/r1")"
	wait "$r2" || fail "reader 2: $(cat "$d/r2")"
	echo "# $(wc -l <"$d/groups") groups loaded, $(wc -l <"$d/deleted") deleted, $(wc -l <"$d/ended") edges added and ended; reads $(cat "$d/r1") + $(cat "$d/r2")" >&3
	[ "$(wc -l <"$d/groups")" -gt 3 ]
	# every acknowledged write is there
	while read -r j; do
		if grep -qx "$j" "$d/deleted"; then want="-1 -1"; else want="$k $k"; fi
		run cnt g "x$j" out; [ "$output" = "$want" ] || fail "group $j: $output, want $want"
	done <"$d/groups"
	run cnt g root out --edge-types links
	[ "$output" = "0 0" ] || fail "ended edges still valid now: $output"
	run -0 sochdb-wal verify
}
