#!/usr/bin/env bash
# demo-wal.sh - the sochdb-wal part of the demo: the cron jobs
# (checkpoint only when the WAL is large, skip when busy; verify; backup)
# run while a writer keeps committing. Called by scripts/demo.sh; runs
# alone too:  SOCHDB_BUILD=build scripts/demo-wal.sh
set -eu
cd "$(dirname "$0")/.."
B=${SOCHDB_BUILD:-build}
case $B in /*) PATH=$B/bin:$PATH ;; *) PATH=$PWD/$B/bin:$PATH ;; esac
W=$(mktemp -d "${TMPDIR:-/tmp}/sochdb-demo-wal.XXXXXX")
export SOCHDB_DIR=$W/db
writer=
trap '[ -z "$writer" ] || kill "$writer" 2>/dev/null; rm -rf "$W"' EXIT

if [ -t 1 ]; then
	say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
	say() { printf '\n$ %s\n' "$*"; }
fi

echo "== sochdb-wal: cron maintenance while a writer runs"
echo "crontab:  */5 * * * *  sochdb-wal checkpoint --if-larger-than 64k --skip-if-busy"
echo "          17 3 * * *   sochdb-wal verify && sochdb-wal backup /backups/\$(date +%F)"
sochdb-kv put events/00000 start
say "(a writer commits 40 batches of 25 events in the background)"
(
	for b in $(seq 1 40); do
		for i in $(seq 1 25); do
			printf 'put\tevents/%05d\t{"batch":%d,"i":%d,"msg":"something happened"}\n' \
				$((b * 100 + i)) "$b" "$i"
		done | sochdb-kv txn --sync normal
	done
) &
writer=$!
sleep 0.3
say "sochdb-wal -v checkpoint --if-larger-than 16k --skip-if-busy"
sochdb-wal -v checkpoint --if-larger-than 16k --skip-if-busy
say "sochdb-wal -v verify"
sochdb-wal -v verify
say "sochdb-wal backup backup/ && sochdb-wal -v verify -d backup/"
sochdb-wal backup "$W/backup"
sochdb-wal -v verify -d "$W/backup"
wait "$writer"
writer=
say "sochdb-wal -v checkpoint --if-larger-than 16k --skip-if-busy   (after the writer)"
sochdb-wal -v checkpoint --if-larger-than 16k --skip-if-busy
say "sochdb-wal stats"
sochdb-wal stats
n=$(sochdb-kv scan --prefix events/ --keys-only | wc -l)
nb=$(sochdb-kv scan -d "$W/backup" --prefix events/ --keys-only | wc -l)
echo "events: $n in the database, $nb in the backup taken mid-way"
