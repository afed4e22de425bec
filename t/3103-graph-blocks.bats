#!/usr/bin/env bats
# 3103-graph-blocks: graph keys are written in 1 KiB data blocks
# (the "$graph:" row of SDB_NS_HINTS, lib/store/keys.h), other namespaces in 4 KiB
# ones, by every table writer (bulk load, checkpoint); a damaged small
# block is still found by its checksum, by the graph's reads and by
# sochdb-wal verify.

load test_helper

setup() {
	setup_db
	cd "$BATS_TEST_TMPDIR"
	G=sochdb-graph
}

# One line per data block of table FILE: its raw size, its last key's
# namespace, offset and stored size, and (graph edge blocks) the FROM id of
# its last key.
blocks() {
	/usr/bin/python3 - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], 'rb').read()
f = b[-64:]
ioff, isz = struct.unpack_from('<QQ', f, 0)
ver = struct.unpack_from('<I', f, 48)[0]
idx = b[ioff:ioff + isz]
end = len(idx) - 4 - (16 if ver == 2 else 0)
def varint(p):
    x = s = 0
    while True:
        c = idx[p]; p += 1
        x |= (c & 0x7f) << s; s += 7
        if not c & 0x80:
            return x, p
p = 0
while p < end:
    kl, p = varint(p)
    k = idx[p:p + kl]; p += kl
    off, p = varint(p)
    sz, p = varint(p)
    raw = struct.unpack_from('<I', b, off + sz + 1)[0]
    ns = k[1:1 + k[0]].decode()
    user = k[1 + k[0]:]
    frm = '-'
    if ns.startswith('$graph:') and user[:1] == b'O' and user[1:2] == b'\x20':
        frm = user[2:user.index(b'\x00\x00')].decode()
    print(raw, ns, off, sz, frm)
EOF
}

# add-edge --stdin <FILE, a checkpoint; t: the table it made, all.txt: its
# blocks
add_checkpointed() {
	run -0 $G add-edge kg --stdin <"$1"
	run -0 sochdb-wal checkpoint
	t=$(ls "$SOCHDB_DIR"/*.sst | tail -n 1)
	blocks "$t" >all.txt
}

@test "graph keys go in 1 KiB blocks, other namespaces' in 4 KiB ones" {
	# 3000 edges through the bulk path, 2000 kv keys beside them
	/usr/bin/python3 -c '
import random
r = random.Random(7)
for i in range(300):
    print("{\"id\":\"n%d\",\"type\":\"t\",\"props\":{\"k\":%d}}" % (i, i))
for i in range(3000):
    print("{\"from\":\"n%d\",\"type\":\"e\",\"to\":\"n%d\",\"props\":{\"w\":%d}}" % (r.randrange(300), r.randrange(300), i))
' >g.jsonl
	SOCHDB_GRAPH_BULK_MIN=100 run -0 $G load kg g.jsonl
	for i in $(seq 1 2000); do printf 'k%05d\t%s\n' "$i" "value-$i-0123456789abcdef0123456789abcdef"; done >kv.tsv
	run -0 sochdb-kv -n docs load --format tsv kv.tsv
	run -0 sochdb-wal checkpoint
	: >all.txt
	for t in "$SOCHDB_DIR"/*.sst; do blocks "$t" >>all.txt; done
	ng=$(awk '$2 ~ /^\$graph:/' all.txt | wc -l)
	nkv=$(awk '$2 == "docs"' all.txt | wc -l)
	echo "graph blocks $ng, docs blocks $nkv" >&3
	[ "$ng" -ge 100 ]
	[ "$nkv" -ge 10 ]
	# a block is finished once past its size: 1 KiB plus one entry
	run -0 awk '$2 ~ /^\$graph:/ && $1 > 1024 + 200 { print "big graph block: " $0; bad = 1 } END { exit bad }' all.txt
	# docs blocks are 4 KiB ones, but for the last of a table or run
	big=$(awk '$2 == "docs" && $1 >= 4096' all.txt | wc -l)
	[ "$big" -ge $((nkv - 2)) ]
	# answers are the same through the small blocks
	run -0 $G neighbors kg n7 --format jsonl
	run -0 sochdb-kv -n docs get k01234
	assert_output "value-1234-0123456789abcdef0123456789abcdef"
}

@test "the edges added through the WAL are checkpointed in 1 KiB blocks too" {
	for i in $(seq 0 799); do printf 'a\tlinks\tb%d\t{"i":%d}\n' "$i" "$i"; done >e.tsv
	add_checkpointed e.tsv
	[ "$(awk '$2 ~ /^\$graph:/' all.txt | wc -l)" -ge 20 ]
	run -0 awk '$2 ~ /^\$graph:/ && $1 > 1024 + 200 { bad = 1 } END { exit bad }' all.txt
	run -0 $G neighbors kg a --format json
	[ "$(grep -o '"to":"b[0-9]*"' <<<"$output" | wc -l)" -eq 800 ]
}

@test "a damaged small block: the read that meets it fails, verify names it" {
	for i in $(seq 0 1999); do printf 'n%d\tlinks\tm%d\t{}\n' "$((i % 200))" "$i"; done >e.tsv
	add_checkpointed e.tsv
	# an edge block in the middle of the table, and the node it ends with
	line=$(awk '$5 != "-"' all.txt | sed -n '10p')
	[ -n "$line" ]
	read -r raw ns off sz from <<<"$line"
	run -0 $G neighbors kg "$from" --format jsonl
	# flip one byte inside its payload
	/usr/bin/python3 -c '
import sys
p, o = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read()); b[o] ^= 0x5a; open(p, "wb").write(b)' "$t" "$((off + sz / 2))"
	run -3 $G neighbors kg "$from" --format jsonl
	[[ "$output" == *"damaged table"* ]]
	[[ "$output" == *"at offset $off"* ]]
	run -1 sochdb-wal verify
	[[ "$output" == *"$(basename "$t")"* ]]
	[[ "$output" == *"$off"* ]]
}
