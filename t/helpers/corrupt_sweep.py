#!/usr/bin/python3
"""corrupt_sweep.py - flips bytes of sealed files one at a time, XOR 0x01
and 0xFF, at COUNT seeded random offsets (COUNT "all": every offset, the
exhaustive sweep of `make stress`), checks the tools after each flip,
then restores the byte.

  corrupt_sweep.py DBDIR SEED COUNT
      the sealed files of a database (tables, manifest, sealed WAL
      segments); after each flip:
      - `sochdb-wal verify` exits 1 naming the flipped file and an offset
      - `sochdb-kv dump` exits 0 with the original output, or exits 3
        (reads never return wrong data)
  corrupt_sweep.py --index INDEX SEED COUNT
      a sochdb-bulk index; after each flip:
      - `sochdb-bulk info` exits 3 (damaged), or 0 with the original
        output (a byte no reader uses, e.g. alignment padding)
      - `sochdb-bulk query --verify` exits 3, or 0 with the original output
      - `sochdb-bulk query` (no checksum pass) exits 0 or 3, never crashes
Nothing may crash (signal or sanitizer report). Prints "files F bytes B
flips N failures F" and each failure; with $SDB_RESULTS set, appends a
row to that results table."""
import os, random, subprocess, sys

args = sys.argv[1:]
index = args and args[0] == '--index'
if index:
    args = args[1:]
target, seed, count = args[0], int(args[1]), args[2]
env = dict(os.environ, SOCHDB_DIR=target)

def run(*a):
    p = subprocess.run(a, env=env, capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode(errors='replace')

def crashed(rc, err):
    return rc < 0 or rc > 3 or 'Sanitizer' in err or 'runtime error' in err

if index:
    qargs = ('--vector', '0.5,-1,0.25,2', '-k', '5')
    rc, orig_info, err = run('sochdb-bulk', 'info', '--index', target)
    assert rc == 0, err
    rc, orig_q, err = run('sochdb-bulk', 'query', '--index', target, *qargs)
    assert rc == 0, err
    paths = [target]
else:
    rc, orig, err = run('sochdb-kv', 'dump')
    assert rc == 0, err
    segs = sorted(f for f in os.listdir(target) if f.startswith('wal-'))
    files = [f for f in os.listdir(target) if f.endswith('.sst') or f == 'MANIFEST'] + segs[:-1]
    paths = [os.path.join(target, f) for f in sorted(files)]
space = [(p, o) for p in paths for o in range(os.path.getsize(p))]
if count == 'all':
    picks = space
else:
    picks = random.Random(seed).sample(space, min(int(count), len(space)))
flips = failures = 0

def failed(msg):
    global failures
    failures += 1
    if failures <= 50:
        print("FAIL " + msg)

for path, off in picks:
    f = os.path.basename(path)
    for mask in (0x01, 0xFF):
        with open(path, 'r+b') as fh:
            fh.seek(off); b = fh.read(1)[0]
            fh.seek(off); fh.write(bytes([b ^ mask]))
        try:
            flips += 1
            where = "%s@%d^%02x" % (f, off, mask)
            if index:
                rc, out, err = run('sochdb-bulk', 'info', '--index', path)
                if crashed(rc, err) or not (rc == 3 or (rc == 0 and out == orig_info)):
                    failed("info %s: rc %d %s" % (where, rc, err.strip()[:300] or "changed output"))
                rc, out, err = run('sochdb-bulk', 'query', '--index', path, '--verify', *qargs)
                if crashed(rc, err) or not (rc == 3 or (rc == 0 and out == orig_q)):
                    failed("query --verify %s: rc %d %s" % (where, rc, err.strip()[:300] or "wrong results"))
                rc, out, err = run('sochdb-bulk', 'query', '--index', path, *qargs)
                if crashed(rc, err) or rc not in (0, 3):
                    failed("query %s: rc %d %s" % (where, rc, err.strip()[:300]))
            else:
                rc, _, err = run('sochdb-wal', 'verify')
                # one message: "sochdb-wal: damaged ... 'FILE' at offset N: ..."
                if rc != 1 or not err.startswith("sochdb-wal: damaged ") or \
                        ("'%s' at offset " % path) not in err:
                    failed("verify %s: rc %d %s" % (where, rc, err.strip()[:300]))
                rc, out, err = run('sochdb-kv', 'dump')
                if crashed(rc, err) or not (rc == 3 or (rc == 0 and out == orig)):
                    failed("dump %s: rc %d, %s" % (where, rc,
                           "wrong data" if rc == 0 else err.strip()[:300]))
        finally:
            with open(path, 'r+b') as fh:
                fh.seek(off); fh.write(bytes([b]))
print("files %d bytes %d flips %d failures %d" % (len(paths), len(space), flips, failures))
res = os.environ.get('SDB_RESULTS')
if res:
    label = "bytes flipped (%s, %s)" % ("index" if index else "db files",
                                         "all" if count == 'all' else "sample")
    with open(res, 'a') as fh:
        fh.write("%-34s %12d   failures %d\n" % (label, flips, failures))
sys.exit(1 if failures else 0)
