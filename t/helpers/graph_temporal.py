#!/usr/bin/python3
# graph_temporal.py SEED OPS - random bi-temporal timeline through the
# sochdb-graph CLI (add-edge with overlapping and open periods, --replace,
# end-edge, del-edge, del-node, add-node/set-node), then every read
# (neighbors, get-edge, get-node, temporal at/range, history) at random
# --as-of/--known-at compared with a brute-force filter of the versions
# that dump lists. Prints "mismatches N" (t/3003-graph-temporal.bats).
import json, random, subprocess, sys

seed, nops = int(sys.argv[1]), int(sys.argv[2])
r = random.Random(seed)
nodes = ['a', 'b', 'c', 'd']
types = ['t', 'u']

def g(*args, inp=None):
    p = subprocess.run(['sochdb-graph'] + [str(a) for a in args], input=inp,
                       capture_output=True, text=True)
    return p.returncode, p.stdout

now = 1000
for i in range(nops):
    now += r.randint(1, 30)
    f, t, ty = r.choice(nodes), r.choice(nodes), r.choice(types)
    k = r.random()
    if k < 0.45:
        vf = r.randint(0, 400)
        args = ['add-edge', 'kg', f, ty, t, '--valid-from', vf, '--now', now,
                '--prop', 'v=%d' % r.randint(0, 2)]
        if r.random() < 0.5:
            args += ['--valid-until', vf + r.randint(1, 200)]
        if r.random() < 0.15:
            args += ['--replace']
        g(*args)
    elif k < 0.65:
        g('end-edge', 'kg', f, ty, t, '--at', r.randint(1, 500), '--now', now)
    elif k < 0.72:
        g('del-edge', 'kg', f, ty, t, '--now', now)
    elif k < 0.75:
        g('del-node', 'kg', f, '--now', now)
    elif k < 0.9:
        g('add-node', 'kg', f, 'n', '--prop', 'x=%d' % r.randint(0, 3),
          '--valid-from', r.randint(0, 400), '--now', now)
    else:
        g('set-node', 'kg', f, '--prop', 'y=%d' % r.randint(0, 3), '--now', now)
end = now

rc, out = g('dump', 'kg')
recs = [json.loads(l) for l in out.splitlines()]
E = [x for x in recs if 'from' in x]
N = [x for x in recs if 'from' not in x]

def vis(x, as_of, known):
    if x['valid_from'] > as_of or (x['valid_until'] and as_of >= x['valid_until']):
        return False
    if known is None:
        return x['expired_at'] == 0
    return x['recorded_at'] <= known and (x['expired_at'] == 0 or known < x['expired_at'])

def key(x):
    return (x['from'], x['type'], x['to'], x['valid_from'], x['valid_until'],
            x['recorded_at'], x['expired_at'], json.dumps(x['props'], sort_keys=True))

bad = 0
def cmp(what, have, want):
    global bad
    if sorted(have) != sorted(want):
        bad += 1
        print(what, 'have', sorted(have)[:4], 'want', sorted(want)[:4])

for q in range(60):
    as_of = r.randint(0, 600)
    known = r.choice([None, r.randint(1000, end + 10)])
    ko = [] if known is None else ['--known-at', known]
    x = r.choice(nodes)
    for d in ['out', 'in', 'both']:
        rc, out = g('neighbors', 'kg', x, '--direction', d, '--as-of', as_of, '--format', 'json', *ko)
        have = [key(e) for e in json.loads(out)['edges']] if rc == 0 else []
        want = [key(e) for e in E if vis(e, as_of, known) and (
            (d != 'in' and e['from'] == x) or (d != 'out' and e['to'] == x and
                                               not (d == 'both' and e['from'] == x)))]
        cmp('neighbors %s %s as-of %s known %s' % (x, d, as_of, known), have, want)
    y, ty = r.choice(nodes), r.choice(types)
    rc, out = g('get-edge', 'kg', x, ty, y, '--as-of', as_of, '--format', 'json', *ko)
    have = [key(e) for e in json.loads(out)['edges']] if rc == 0 else []
    want = [key(e) for e in E if vis(e, as_of, known) and (e['from'], e['type'], e['to']) == (x, ty, y)]
    cmp('get-edge', have, want)
    if (rc == 1) != (not want):
        bad += 1
    rc, out = g('get-node', 'kg', x, '--as-of', as_of, '--format', 'json', *ko)
    cands = [n for n in N if n['id'] == x and vis(n, as_of, known)]
    if cands:
        best = max(cands, key=lambda n: (n['valid_from'], n['recorded_at']))
        if rc != 0 or json.loads(out) != best:
            bad += 1
            print('get-node', x, as_of, known, out.strip(), best)
    elif rc != 1:
        bad += 1
        print('get-node absent', x, as_of, known, out)
    # temporal at and range
    rc, out = g('temporal', 'kg', x, '--mode', 'at', '--at', as_of, '--format', 'json', *ko)
    have = [key(e) for e in json.loads(out)['edges']] if rc == 0 else []
    want = [key(e) for e in E if vis(e, as_of, known) and e['from'] == x]
    cmp('temporal at', have, want)
    lo = r.randint(0, 500)
    hi = lo + r.randint(1, 200)
    rc, out = g('temporal', 'kg', x, '--mode', 'range', '--from', lo, '--to', hi,
                '--direction', 'in', '--format', 'json', *ko)
    have = [key(e) for e in json.loads(out)['edges']] if rc == 0 else []
    want = [key(e) for e in E if e['to'] == x and e['valid_from'] < hi and
            (e['valid_until'] == 0 or e['valid_until'] > lo) and
            (e['expired_at'] == 0 if known is None else
             e['recorded_at'] <= known and (e['expired_at'] == 0 or known < e['expired_at']))]
    cmp('temporal range', have, want)

# history of every relation = its dump versions
for f in nodes:
    for ty in types:
        for t in nodes:
            rc, out = g('history', 'kg', f, ty, t, '--format', 'json')
            have = [key(e) for e in json.loads(out)['edges']] if rc == 0 else []
            want = [key(e) for e in E if (e['from'], e['type'], e['to']) == (f, ty, t)]
            cmp('history %s %s %s' % (f, ty, t), have, want)
# live keys: at most one live version per (relation, valid_from)
live = [(e['from'], e['type'], e['to'], e['valid_from']) for e in E if e['expired_at'] == 0]
if len(live) != len(set(live)):
    bad += 1
    print('duplicate live versions')
print('versions', len(E), 'expired', sum(1 for e in E if e['expired_at']))
print('mismatches', bad)
sys.exit(1 if bad else 0)
