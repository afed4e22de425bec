#!/usr/bin/env bash
# demo-sql.sh - the sochdb-sql part of the demo: a table from a CSV file,
# a query as a table, an aggregate, and the result as TOON for an LLM
# prompt. Called by scripts/demo.sh; runs alone too:
#   SOCHDB_BUILD=build scripts/demo-sql.sh
set -eu
cd "$(dirname "$0")/.."
B=${SOCHDB_BUILD:-build}
case $B in /*) PATH=$B/bin:$PATH ;; *) PATH=$PWD/$B/bin:$PATH ;; esac
command -v sochdb-sql >/dev/null || { echo "== sochdb-sql: not built (the SQL engine is not there yet)"; exit 0; }
W=$(mktemp -d "${TMPDIR:-/tmp}/sochdb-demo-sql.XXXXXX")
trap 'rm -rf "$W"' EXIT
export SOCHDB_DIR=$W/db

if [ -t 1 ]; then
	say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
	say() { printf '\n$ %s\n' "$*"; }
fi

cat >"$W/orders.csv" <<'CSV'
id,customer,city,amount
1,Alice,Berlin,120.5
2,Bob,Paris,80
3,Alice,Berlin,42.25
4,Chen,Shanghai,310
5,Bob,Paris,15.75
CSV

echo "== sochdb-sql: SQL on the same store, results as TOON for a prompt"
if [ "$(sochdb-sql -d "$W/probe" --no-header -c 'CREATE TABLE p(a)' -c 'INSERT INTO p VALUES (1)' \
	-c 'SELECT a FROM p' 2>/dev/null)" != 1 ]; then
	echo "(this build's SQL engine does not store tables yet: the scene stops here)"
	exit 0
fi
say "sochdb-sql -c 'CREATE TABLE orders(id INTEGER PRIMARY KEY, customer TEXT, city TEXT, amount REAL)'"
sochdb-sql -c 'CREATE TABLE orders(id INTEGER PRIMARY KEY, customer TEXT, city TEXT, amount REAL)'
say "sochdb-sql -c '.import --csv --skip 1 orders.csv orders'"
sochdb-sql -c ".import --csv --skip 1 $W/orders.csv orders"
say "sochdb-sql --format table -c 'SELECT * FROM orders WHERE amount > 50 ORDER BY amount DESC'"
sochdb-sql --format table -c 'SELECT * FROM orders WHERE amount > 50 ORDER BY amount DESC'
say "sochdb-sql --format toon -c 'SELECT customer, count(*) AS orders, sum(amount) AS total FROM orders GROUP BY customer ORDER BY total DESC'"
sochdb-sql --format toon -c 'SELECT customer, count(*) AS orders, sum(amount) AS total FROM orders GROUP BY customer ORDER BY total DESC'
