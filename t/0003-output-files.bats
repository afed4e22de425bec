#!/usr/bin/env bats
# 0003-output-files: -o FILE / --output FILE in every tool goes through
# lib/util/io.c's atomic output: a symlink is written through (the link
# stays, its target is replaced) and an existing file keeps its mode
# (issue 9, B13).

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	printf '{"a":1}\n' >in.json
}

@test "sochdb-toon -o through a symlink replaces the target and keeps the link and the mode" {
	sochdb-toon encode -o real in.json
	chmod 640 real
	ln -s real link
	mkdir sub && ln -s ../real sub/rel
	run -0 sochdb-toon encode -o link <<<'{"b":2}'
	[ -L link ] || fail "the link was replaced by a file"
	[ "$(cat real)" = 'b: 2' ]
	[ "$(stat -c %a real)" = 640 ]
	run -0 sochdb-toon encode -o sub/rel <<<'{"c":3}'
	[ -L sub/rel ]
	[ "$(cat real)" = 'c: 3' ]
	run -0 sochdb-toon decode -o link <<<'d: 4'
	[ -L link ]
	[ "$(cat real)" = '{"d":4}' ]
	[ "$(stat -c %a real)" = 640 ]
	# a dangling link: the target is created
	ln -s fresh dangling
	run -0 sochdb-toon encode -o dangling in.json
	[ -L dangling ] && [ -f fresh ]
	[ -z "$(ls | grep '\.tmp\.')" ]
}

@test "a new output file gets 0666 less the umask; an existing one keeps its mode" {
	umask 022
	sochdb-toon encode -o new in.json
	[ "$(stat -c %a new)" = 644 ]
	chmod 600 new
	sochdb-toon encode -o new in.json
	[ "$(stat -c %a new)" = 600 ]
}

@test "sochdb-bulk --output writes through a symlink and keeps the mode" {
	/usr/bin/python3 -c "import numpy" 2>/dev/null || skip "no numpy under /usr/bin/python3"
	/usr/bin/python3 -c "
import numpy as np
np.random.seed(1)
np.save('x.npy', np.random.rand(50, 4).astype('float32'))"
	sochdb-bulk build-index --input x.npy --output real.idx --quiet
	chmod 604 real.idx
	ln -s real.idx link.idx
	run -0 sochdb-bulk build-index --input x.npy --output link.idx --quiet --seed 7
	[ -L link.idx ]
	[ "$(stat -c %a real.idx)" = 604 ]
	run -0 sochdb-bulk info link.idx
	assert_line "seed: 7"
	sochdb-bulk convert --input x.npy --output real.fvecs --to-format fvecs 2>/dev/null
	chmod 640 real.fvecs
	ln -s real.fvecs link.fvecs
	run -0 sochdb-bulk convert --input x.npy --output link.fvecs --to-format fvecs
	[ -L link.fvecs ]
	[ "$(stat -c %a real.fvecs)" = 640 ]
}
