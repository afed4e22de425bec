#!/usr/bin/env bash
# demo-kv.sh - the sochdb-kv part of the demo: path keys, a listing as a
# TOON table for a prompt, an atomic compare-and-set, and a namespace that
# travels through dump | load. Called by scripts/demo.sh; runs alone too:
#   SOCHDB_BUILD=build scripts/demo-kv.sh
set -eu
cd "$(dirname "$0")/.."
B=${SOCHDB_BUILD:-build}
case $B in /*) PATH=$B/bin:$PATH ;; *) PATH=$PWD/$B/bin:$PATH ;; esac
W=$(mktemp -d "${TMPDIR:-/tmp}/sochdb-demo-kv.XXXXXX")
trap 'rm -rf "$W"' EXIT
export SOCHDB_DIR=$W/db

if [ -t 1 ]; then
	say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
	say() { printf '\n$ %s\n' "$*"; }
fi

echo "== sochdb-kv: keys, paths and transactions from the shell"
say "sochdb-kv put users/alice/email alice@example.com   (and three more)"
sochdb-kv put users/alice/email alice@example.com
sochdb-kv put users/alice/role lead
sochdb-kv put users/bob/email bob@example.com
sochdb-kv put config/theme dark
say "sochdb-kv get users/alice/email"
sochdb-kv get users/alice/email
echo
say "sochdb-kv ls users/"
sochdb-kv ls users/
say "sochdb-kv scan --prefix users/ --format toon"
sochdb-kv scan --prefix users/ --format toon
say "printf 'cas\\tconfig/theme\\tdark\\tlight\\nget\\tconfig/theme\\n' | sochdb-kv txn"
printf 'cas\tconfig/theme\tdark\tlight\nget\tconfig/theme\n' | sochdb-kv txn
say "printf 'cas\\tconfig/theme\\tdark\\tblue\\n' | sochdb-kv txn   (a conflict: nothing applied, exit 3)"
printf 'cas\tconfig/theme\tdark\tblue\n' | sochdb-kv txn || echo "exit $?"
say "sochdb-kv put -n app --ttl 3600 session/42 token; sochdb-kv dump -n app | sochdb-kv load -d copy"
sochdb-kv put -n app --ttl 3600 session/42 token
sochdb-kv dump -n app | sochdb-kv load -d "$W/copy"
sochdb-kv get -d "$W/copy" -n app session/42
echo
say "sochdb-kv stats"
sochdb-kv stats
