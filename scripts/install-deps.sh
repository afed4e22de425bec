#!/bin/sh
# install-deps.sh - install the Debian packages this project needs, only
# those missing (idempotent; a no-op when everything is there).
#
#   scripts/install-deps.sh [test|bench|stress|fuzz]...    (default: test)
#
# test:  compiler, lz4/zstd headers, OpenMP (gcc), bats + helpers, node/npm
#        (TOON oracle and fixtures), strace, numpy and networkx
#        (/usr/bin/python3; the graph is compared with networkx), sqlite3,
#        libsqlite3-dev (the SQL engine is compared with SQLite),
#        libutf8proc-dev and libstemmer-dev (FTS5 tokenizers: Unicode
#        classes and folding, the Porter stemmer)
#        libssl-dev (libcrypto's MD5 for the sqllogictest runner),
#        libedit-dev (sochdb-sql's prompt), tmux (the prompt's test),
#        python3-yaml (the Kubernetes manifests of scripts/cluster/)
# bench: the peers: hnswlib/faiss (python + headers), networkx, jq, sqlite3,
#        rocksdb-tools, lmdb-utils, g++
# stress: slurm-wlm and munge (a real single-node Slurm runs the
#        scripts/cluster/ array job; t/stress/6012-bulk-slurm.bats)
# fuzz:  clang with libFuzzer and the sanitizer runtimes
set -eu

groups=${*:-test}
pkgs=
for g in $groups; do
	case $g in
	test) pkgs="$pkgs gcc make pkg-config liblz4-dev libzstd-dev bats bats-assert bats-support strace python3-numpy python3-networkx jq sqlite3 libsqlite3-dev libssl-dev libedit-dev tmux libutf8proc-dev libstemmer-dev python3-yaml" ;;
	bench) pkgs="$pkgs time g++ python3-numpy python3-hnswlib python3-faiss libhnswlib-dev python3-networkx jq sqlite3 rocksdb-tools lmdb-utils" ;;
	stress) pkgs="$pkgs slurm-wlm munge" ;;
	fuzz) pkgs="$pkgs clang libclang-rt-14-dev" ;;
	*) echo "install-deps.sh: unknown group '$g' (test, bench, stress, fuzz)" >&2; exit 2 ;;
	esac
done
# node and npm fetch the TOON fixtures and oracle; any node >= 18 will do,
# so only ask Debian for it when there is none at all.
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"

missing=
for p in $pkgs; do
	case " $missing " in *" $p "*) continue ;; esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "install-deps.sh: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	echo "install-deps.sh: need root to install:$missing" >&2
	exit 3
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
	$SUDO apt-get update -qq >&2
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
