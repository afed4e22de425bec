#!/usr/bin/env bats
# 4001-toon-spec: the official TOON v3.3 conformance fixtures
# (@toon-format/spec 3.3.2, 400 cases) and the differential test against
# the reference library of that spec version (@toon-format/toon 2.3.1).

load test_helper

@test "all 400 fixtures of the TOON v3.3 spec pass" {
	dir=$(toon_spec_dir) || fail "no TOON fixtures found (TOON_SPEC_DIR, ../shared/toon-spec or npm)"
	run -0 node "$TOP/scripts/toon-conformance.js" "$dir" "$BUILD/bin/sochdb-toon"
	assert_line "400/400 fixtures passed"
}

@test "a missing fixture set fails loudly instead of skipping" {
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	TOON_SPEC_DIR=$BATS_TEST_TMPDIR/empty run -3 "$TOP/scripts/fetch-toon.sh" spec
	assert_output --partial "no fixtures in TOON_SPEC_DIR"
}

@test "the fixtures can be fetched with npm pack when no copy is at hand" {
	# a clone without ../shared beside it: the script falls back to npm
	mkdir -p "$BATS_TEST_TMPDIR/clone/scripts"
	cp "$TOP/scripts/fetch-toon.sh" "$BATS_TEST_TMPDIR/clone/scripts/"
	run -0 "$BATS_TEST_TMPDIR/clone/scripts/fetch-toon.sh" spec
	assert_output "$BATS_TEST_TMPDIR/clone/.cache/toon-spec"
	[ "$(ls "$output"/tests/fixtures/encode/*.json | wc -l)" -ge 9 ]
	[ "$(ls "$output"/tests/fixtures/decode/*.json | wc -l)" -ge 13 ]
	run -0 node "$TOP/scripts/toon-conformance.js" "$output" "$BUILD/bin/sochdb-toon"
	assert_line "400/400 fixtures passed"
}

@test "interop with the reference library: 1,000 generated documents and two long arrays, all equal" {
	oracle=$("$TOP/scripts/fetch-toon.sh" oracle) || fail "cannot install @toon-format/toon@2.3.1"
	run -0 node "$TOP/scripts/toon-interop.js" "$oracle" "$BUILD/bin/sochdb-toon" 1000 20261121
	assert_line --partial "interop: 1000 documents and 2 long ones, 3006 checks, 0 failed"
}
