#!/usr/bin/env bats
# 4004-toon-demo: `make demo` runs the TOON job on its built-in sample.

load test_helper

@test "the demo encodes, decodes and measures its sample" {
	run -0 env SOCHDB_BUILD="$BUILD" "$TOP/scripts/demo.sh"
	assert_line '== sochdb-toon: JSON for an LLM prompt, in fewer tokens'
	assert_line 'members[3]{id,name,role,tz}:'
	assert_line '  3,Chen Wei,engineer,UTC+8'
	assert_line --partial '{"team":"search","updated":"2026-11-21","members":[{"id":1,'
	assert_line --regexp '^  toon,197,[0-9]+,[0-9.]+$'
	assert_line $'members[3\t]{id\tname\trole\ttz}:'
	# the other tools' scenes follow (scripts/demo-*.sh), the RAG step among them
	assert_line '== sochdb-sql: a RAG retrieval step — documents with embeddings, hybrid search, context as TOON'
}
