#!/usr/bin/env python3
"""sql_precedence.py ORIG CANON - compares SQLite on each original
statement (one a line) with SQLite on the parser's canonical, fully
parenthesized text of it (the same line of CANON, or "error: ..." where
the parser refused it). Every statement must give the same value or the
same runtime error both ways; a statement SQLite finds a syntax error in
must be one the parser refused, and the other way round. Prints
"N statements: same values V, same runtime errors R, refused by both S"
and lists each mismatch; exits 1 on any."""
import sqlite3
import sys


def run(db, sql):
    try:
        return ("ok", db.execute(sql).fetchall())
    except sqlite3.Error as e:
        msg = str(e)
        if "syntax error" in msg or "incomplete input" in msg or "unrecognized token" in msg:
            return ("syntax", msg)
        return ("error", msg)


def main():
    orig = open(sys.argv[1], encoding="utf-8").read().splitlines()
    canon = open(sys.argv[2], encoding="utf-8").read().splitlines()
    if len(orig) != len(canon):
        print(f"line counts differ: {len(orig)} statements, {len(canon)} printed")
        return 1
    db = sqlite3.connect(":memory:")
    same = errors = refused = bad = 0
    for i, (o, c) in enumerate(zip(orig, canon), 1):
        a = run(db, o)
        if c.startswith("error: "):
            if a[0] == "syntax":
                refused += 1
                continue
            bad += 1
            print(f"line {i}: the parser refused what SQLite accepts:\n  {o}\n  {c}")
            continue
        b = run(db, c)
        if a[0] == "syntax":
            bad += 1
            print(f"line {i}: the parser accepted what SQLite refuses ({a[1]}):\n  {o}\n  {c}")
        elif a != b:
            bad += 1
            print(f"line {i}: different results {a} != {b}:\n  {o}\n  {c}")
        elif a[0] == "ok":
            same += 1
        else:
            errors += 1
    print(f"{len(orig)} statements: same values {same}, same runtime errors {errors}, "
          f"refused by both {refused}, mismatches {bad}")
    return 1 if bad else 0


sys.exit(main())
