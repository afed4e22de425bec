#!/usr/bin/env bats
# 3107-graph-stdin-stream: the --stdin batches of neighbors, traverse and
# path read their lines as they arrive: a program driving sochdb-graph
# through a pipe or FIFO gets each answer before it sends the next line
# (the output is flushed whenever no more input is at hand), a piped
# batch answers as the same batch from a file, however its lines arrive,
# a bad line stops the batch after the answers before it, and a long
# stream runs in constant memory.

load test_helper

setup() {
	setup_db
	G=sochdb-graph
	cd "$BATS_TEST_TMPDIR"
	cat >g.jsonl <<'EOF'
{"id":"a","type":"person","props":{}}
{"id":"b","type":"person","props":{}}
{"id":"c","type":"doc","props":{}}
{"id":"d","type":"doc","props":{}}
{"from":"a","type":"knows","to":"b","props":{"w":2}}
{"from":"b","type":"wrote","to":"c","props":{"w":1}}
{"from":"c","type":"cites","to":"d","props":{}}
EOF
	run -0 "$G" load g g.jsonl
}

# waits (up to 10 s) until file $1 has $2 lines
lines_ge() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}
wait_lines() {
	wait_until lines_ge "$1" "$2" || fail "not $2 lines in $1: $(cat "$1")"
}

# waits (up to 10 s) until file $1 holds the text $2
wait_text() {
	wait_until grep -qF -- "$2" "$1" || fail "no '$2' in $1: $(cat "$1")"
}

# dialogue CMD...: runs CMD with its stdin a FIFO held open and checks
# that each line written is answered before the next is written
dialogue() {
	local in=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out
	rm -f "$in" "$out"
	mkfifo "$in"
	"$@" <"$in" >"$out" 2>&1 &
	local pid=$!
	exec 7>"$in"
	local n=0
	while IFS= read -r line; do
		printf '%s\n' "$line" >&7
		n=$((n + 1))
		wait_lines "$out" "$n"
	done
	exec 7>&-
	wait "$pid" || [ "$?" -eq 1 ]
}

@test "path --stdin through a FIFO: each pair answered before the next is sent" {
	printf 'a\td\nd\ta\nb\tc\n' | dialogue "$G" path g --stdin --format jsonl
	run -0 cat out
	assert_line --index 0 --partial '"start":"a","target":"d","nodes":["a","b","c","d"]'
	assert_line --index 1 --partial '"length":null'
	assert_line --index 2 --partial '"nodes":["b","c"]'
	# --weight and --all-shortest stream too
	printf 'a\tc\nb\td\n' | dialogue "$G" path g --stdin --weight w --format jsonl
	run -0 cat out
	assert_line --index 0 --partial '"weight":3'
	printf 'a\tc\nb\td\n' | dialogue "$G" path g --stdin --all-shortest --format jsonl
	run -0 cat out
	assert_line --index 1 --partial '"paths":[{"nodes":["b","c","d"]'
}

@test "traverse and neighbors --stdin through a FIFO: each start answered before the next" {
	printf 'a\nc\nnosuch\nd\n' | dialogue "$G" traverse g --stdin --max-depth 2 --format jsonl
	run -0 cat out
	assert_line --index 0 --partial '"start":"a","nodes":[{"id":"a"'
	assert_line --index 1 --partial '"start":"c"'
	assert_line --index 2 '{"start":"nosuch","nodes":[],"edges":[]}'
	assert_line --index 3 --partial '"start":"d"'
	printf 'a\nb\n' | dialogue "$G" traverse g --stdin --ids-only --format tsv
	run -0 cat out
	# tsv: the start's first line comes before the next start is sent
	printf 'b\nc\n' | dialogue "$G" neighbors g --stdin --format jsonl
	run -0 cat out
	assert_line --index 0 --partial '"start":"b"'
	assert_line --index 1 --partial '"start":"c"'
}

@test "a json batch streams its array: each record out as its start arrives" {
	local in=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out
	mkfifo "$in"
	"$G" path g --stdin --format json <"$in" >"$out" &
	local pid=$!
	exec 7>"$in"
	printf 'a\td\n' >&7
	wait_text "$out" '"length":3}'
	printf 'b\tc\n' >&7
	wait_text "$out" '"length":1}'
	exec 7>&-
	wait "$pid"
	/usr/bin/python3 -c 'import json; r = json.load(open("out")); assert [x["length"] for x in r] == [3, 1], r'
}

@test "a piped batch answers as the same batch from a file, however its lines arrive" {
	/usr/bin/python3 - <<'EOF'
import json, random
rnd = random.Random(5)
n = 300
with open("big.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps({"id": "n%d" % i, "type": "t", "props": {"i": i}}) + "\n")
    for k in range(n * 4):
        f.write(json.dumps({"from": "n%d" % rnd.randrange(n), "type": rnd.choice("xy"),
                            "to": "n%d" % (int(rnd.paretovariate(1.2)) % n)}) + "\n")
with open("starts.txt", "w") as f:
    for _ in range(200):
        f.write("n%d\n" % rnd.randrange(n))
with open("pairs.tsv", "w") as f:
    for _ in range(200):
        f.write("n%d\tn%d\n" % (rnd.randrange(n), int(rnd.paretovariate(1.2)) % n))
EOF
	run -0 "$G" load big big.jsonl
	for fmt in json jsonl tsv toon; do
		"$G" traverse big --stdin --max-depth 3 --format $fmt <starts.txt >file.out
		# the lines in bursts: chunks of every size (a batch warms from 16 on)
		{ head -n 5 starts.txt; sleep 0.2; sed -n 6,40p starts.txt; sleep 0.2; tail -n +41 starts.txt; } |
			"$G" traverse big --stdin --max-depth 3 --format $fmt >pipe.out
		cmp file.out pipe.out || fail "traverse --format $fmt: piped output differs"
		"$G" path big --stdin --format $fmt <pairs.tsv >file.out || [ "$?" -eq 1 ]
		{ head -n 3 pairs.tsv; sleep 0.2; tail -n +4 pairs.tsv; } | "$G" path big --stdin --format $fmt >pipe.out || [ "$?" -eq 1 ]
		cmp file.out pipe.out || fail "path --format $fmt: piped output differs"
	done
}

@test "a bad line stops a streamed batch after the answers before it (exit 3, its line number)" {
	run -3 --separate-stderr bash -c 'printf "a\td\nb\n" | "$1" path g --stdin --format jsonl' _ "$G"
	assert_output --partial '"start":"a"'
	[ "$stderr" = "sochdb-graph: line 2: expected FROM<TAB>TO" ] || fail "stderr: $stderr"
	run -3 --separate-stderr bash -c 'printf "a\n\nb\\\\q\n" | "$1" neighbors g --stdin --format tsv' _ "$G"
	[ "$stderr" = "sochdb-graph: line 3: invalid escape" ] || fail "stderr: $stderr"
}

@test "a long --stdin stream runs in constant memory" {
	# AddressSanitizer's shadow and quarantine: no RSS bound to check
	[ "$(basename "$BUILD")" = build-san ] && skip "peak RSS is not measured under SANITIZE=1"
	# ids of 300 bytes: 100,000 pairs are 60 MB of input, read whole > 60 MB
	local p; p=$(printf '%0300d' 0)
	/usr/bin/python3 - "$p" <<'EOF'
import json, sys
p = sys.argv[1]
with open("long.jsonl", "w") as f:
    for i in range(8):
        f.write(json.dumps({"id": "%s%d" % (p, i), "type": "t", "props": {}}) + "\n")
    for i in range(8):
        f.write(json.dumps({"from": "%s%d" % (p, i), "type": "r", "to": "%s%d" % (p, (i + 1) % 8)}) + "\n")
EOF
	run -0 "$G" load long long.jsonl
	run -0 bash -c 'awk -v p="$2" "BEGIN { for (i = 0; i < 100000; i++) printf \"%s%d\t%s%d\n\", p, i % 8, p, (i * 3) % 8 }" |
		/usr/bin/time -f %M -o "$1" "$3" path long --stdin --format tsv | grep -c "^[^\t]*	path	"' _ "$BATS_TEST_TMPDIR/rss" "$p" "$G"
	assert_output 100000
	local kb; kb=$(tail -1 "$BATS_TEST_TMPDIR/rss")
	echo "# peak RSS ${kb} KiB" >&3
	[ "$kb" -lt 30000 ] || fail "peak RSS $kb KiB for a 60 MB piped batch"
}
