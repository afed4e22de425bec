#!/usr/bin/python3
"""corrupt_sweep.py DBDIR SEED COUNT - flips bytes of the sealed files of a
database (tables, manifest, sealed WAL segments) one at a time, XOR 0x01
and 0xFF, at COUNT seeded random offsets, and checks after each flip:
  - `sochdb-wal verify` exits 1 naming the flipped file and an offset
  - `sochdb-kv dump` exits 0 with the original output, or exits 3
    (reads never return wrong data)
then restores the byte. Prints "flips N failures F" and each failure."""
import os, random, subprocess, sys

db, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
env = dict(os.environ, SOCHDB_DIR=db)
def run(*args):
    p = subprocess.run(args, env=env, capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode(errors='replace')

rc, orig, err = run('sochdb-kv', 'dump')
assert rc == 0, err
segs = sorted(f for f in os.listdir(db) if f.startswith('wal-'))
files = [f for f in os.listdir(db) if f.endswith('.sst') or f == 'MANIFEST'] + segs[:-1]
files.sort()
space = [(f, o) for f in files for o in range(os.path.getsize(os.path.join(db, f)))]
rnd = random.Random(seed)
picks = rnd.sample(space, min(count, len(space)))
flips = failures = 0
for f, off in picks:
    path = os.path.join(db, f)
    for mask in (0x01, 0xFF):
        with open(path, 'r+b') as fh:
            fh.seek(off); b = fh.read(1)[0]
            fh.seek(off); fh.write(bytes([b ^ mask]))
        try:
            flips += 1
            rc, _, err = run('sochdb-wal', 'verify')
            want = "sochdb-wal: %s: damage at offset " % path
            if rc != 1 or not err.startswith(want):
                failures += 1
                print("FAIL verify %s@%d^%02x: rc %d %s" % (f, off, mask, rc, err.strip()))
            rc, out, err = run('sochdb-kv', 'dump')
            if not (rc == 3 or (rc == 0 and out == orig)):
                failures += 1
                print("FAIL dump %s@%d^%02x: rc %d, %s" % (f, off, mask, rc,
                      "wrong data" if rc == 0 else err.strip()))
        finally:
            with open(path, 'r+b') as fh:
                fh.seek(off); fh.write(bytes([b]))
print("files %d bytes %d flips %d failures %d" % (len(files), len(space), flips, failures))
sys.exit(1 if failures else 0)
