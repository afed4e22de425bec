#!/usr/bin/env bats
# 6004-bulk-demo: the demo piece runs end to end (build, info, query,
# recall, convert) and prints what the README shows.

load test_helper

@test "scripts/demo-bulk.sh builds, describes and queries an index" {
	run -0 --separate-stderr env SOCHDB_BUILD="$BUILD" "$TOP/scripts/demo-bulk.sh"
	[[ "$stderr" == *"built '"*"emb.hnsw': 20000 vectors, dimension 64, "*" vectors/s, "*" bytes"* ]] || fail "$stderr"
	[[ "$stderr" =~ recall@10\ (0\.9[5-9]|1\.0)[0-9]*\ \ qps ]] || fail "$stderr"
	assert_output --partial "vectors: 20000"
	assert_output --partial "[300]{query,rank,id,distance}:"
	assert_output --partial "query,rank,id,distance
0,1,123,0"
}
