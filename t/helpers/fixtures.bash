# fixtures.bash - small sealed fixtures for the corruption sweeps
# (t/5002-wal-corrupt.bats, t/7003-durable-corrupt-index.bats,
# t/stress/7101-durable-sweep.bats). Load with `load helpers/fixtures`.

fill() { # fill N prefix
	seq "$1" | awk -v p="$2" '{ printf "%s%04d\tvalue-%d-%s\n", p, $1, $1, p }' | sochdb-kv load
}

# A database in $SOCHDB_DIR with tables (lz4 and zstd), a manifest, sealed
# WAL segments and a live one (needs SOCHDB_WAL_SEGMENT_BYTES=4096).
db_fixture() {
	fill 100 a; sochdb-wal checkpoint
	fill 100 b; sochdb-wal compact
	fill 50 c; sochdb-wal checkpoint
	fill 60 d; fill 60 e; fill 60 f
	sochdb-kv put last txn
	[ "$(ls "$SOCHDB_DIR"/wal-*.log | wc -l)" -ge 2 ]
	[ "$(ls "$SOCHDB_DIR"/*.sst | wc -l)" -eq 2 ]
}

# A small HNSW index ($1, ~10 KiB: 40 vectors of 4 floats, external ids).
index_fixture() {
	/usr/bin/python3 -c "
import numpy as np, sys
x = np.random.default_rng(3).normal(size=(40, 4)).astype(np.float32)
np.save(sys.argv[1] + '.npy', x)
np.arange(1000, 1040, dtype=np.uint64).tofile(sys.argv[1] + '.u64')
" "$1"
	sochdb-bulk build-index -i "$1.npy" -o "$1" --ids "$1.u64" -t 1 -q
}
