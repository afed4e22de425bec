#!/usr/bin/python3
# graph_nx.py - checks sochdb-graph's traversals against networkx on a
# seeded random multigraph (t/3002-graph-traverse.bats).
#   graph_nx.py gen SEED N M DIR     writes DIR/g.jsonl (load input)
#   graph_nx.py check SEED N M DIR   runs the tool and compares
# Edges: 3 types, self-loops and parallel edges of different types, a
# numeric weight on most edges; node types a/b.
import json, random, subprocess, sys
import networkx as nx

def build(seed, n, m):
    r = random.Random(seed)
    nodes = ['n%03d' % i for i in range(n)]
    ntype = {v: r.choice('ab') for v in nodes}
    edges = set()
    while len(edges) < m:
        # power-law-ish: low ids are hubs
        u = nodes[min(int(r.paretovariate(1.2)) - 1, n - 1)] if r.random() < 0.5 else r.choice(nodes)
        v = r.choice(nodes) if r.random() < 0.95 else u
        edges.add((u, r.choice(['x', 'y', 'z']), v))
    edges = sorted(edges)
    w = {e: r.randint(0, 9) for e in edges if r.random() < 0.8}
    return nodes, ntype, edges, w

def gen(seed, n, m, d):
    nodes, ntype, edges, w = build(seed, n, m)
    with open(d + '/g.jsonl', 'w') as f:
        for v in nodes:
            f.write(json.dumps({'id': v, 'type': ntype[v], 'valid_from': 0}) + '\n')
        for e in edges:
            p = {'w': w[e]} if e in w else {}
            f.write(json.dumps({'from': e[0], 'type': e[1], 'to': e[2], 'props': p, 'valid_from': 0}) + '\n')

def run(args, inp=None):
    p = subprocess.run(['sochdb-graph'] + args, input=inp, capture_output=True, text=True)
    return p.returncode, p.stdout

def graph(nodes, ntype, edges, w, direction, etypes, ntypes_ok=None):
    # both: an undirected multigraph keyed by the whole edge, so u->v and
    # v->u of one type stay two edges
    g = nx.MultiGraph() if direction == 'both' else nx.MultiDiGraph()
    g.add_nodes_from(nodes)
    for e in edges:
        if etypes and e[1] not in etypes:
            continue
        g.add_edge(e[0], e[2], key=e, w=w.get(e, 1))
    if direction == 'in':
        g = g.reverse(copy=True)
    if ntypes_ok:
        g = g.subgraph([v for v in g if ntypes_ok(v)]).copy()
    return g

def check(seed, n, m, d):
    nodes, ntype, edges, w = build(seed, n, m)
    r = random.Random(seed + 1)
    bad = 0
    starts = r.sample(nodes, 12)
    for direction in ['out', 'in', 'both']:
        for etypes in [None, ['x', 'z']]:
            g = graph(nodes, ntype, edges, w, direction, etypes)
            opt = ['--direction', direction] + (['--edge-types', ','.join(etypes)] if etypes else [])
            # BFS by depth, batch in one process
            rc, out = run(['traverse', 'kg', '--stdin', '--max-depth', '3', '--format', 'jsonl'] + opt,
                          '\n'.join(starts) + '\n')
            got = [json.loads(l) for l in out.splitlines()]
            for rec in got:
                want = nx.single_source_shortest_path_length(g, rec['start'], cutoff=3)
                have = {x['id']: x['depth'] for x in rec['nodes']}
                if want != have:
                    bad += 1
                    print('bfs', direction, etypes, rec['start'], sorted(set(want.items()) ^ set(have.items()))[:5])
                # each reported edge is real and reaches its node at depth+1
                for e in rec['edges']:
                    u, v = (e['from'], e['to'])
                    if (u, e['type'], v) not in edges:
                        bad += 1
                        print('not an edge', e)
            # --ids-only: the same nodes, depths and order, nothing else
            rc, out = run(['traverse', 'kg', '--stdin', '--max-depth', '3', '--ids-only', '--format', 'jsonl'] + opt,
                          '\n'.join(starts) + '\n')
            ids = [json.loads(l) for l in out.splitlines()]
            full = [{'start': g_['start'], 'nodes': [{'id': x['id'], 'depth': x['depth']} for x in g_['nodes']]}
                    for g_ in got]
            if ids != full:
                bad += 1
                print('ids-only', direction, etypes)
            # DFS: same reachable set within no depth limit
            s = starts[0]
            rc, out = run(['traverse', 'kg', s, '--order', 'dfs', '--format', 'json'] + opt)
            have = {x['id'] for x in json.loads(out)['nodes']}
            want = set(nx.dfs_preorder_nodes(g, s))
            if have != want:
                bad += 1
                print('dfs', direction, etypes, s)
            # neighbours
            rc, out = run(['neighbors', 'kg', s, '--format', 'json'] + opt)
            have = {x['id'] for x in json.loads(out)['nodes']}
            want = set(g.neighbors(s)) if direction != 'both' else set(g.neighbors(s))
            if have != want:
                bad += 1
                print('neighbors', direction, etypes, s, have ^ want)
            # paths: hops and Dijkstra
            pairs = [(r.choice(nodes), r.choice(nodes)) for _ in range(15)]
            rc, out = run(['path', 'kg', '--stdin', '--format', 'jsonl'] + opt,
                          ''.join('%s\t%s\n' % p for p in pairs))
            for (a, b), l in zip(pairs, out.splitlines()):
                rec = json.loads(l)
                try:
                    want = nx.shortest_path_length(g, a, b)
                except nx.NetworkXNoPath:
                    want = None
                if rec['length'] != want:
                    bad += 1
                    print('path', direction, etypes, a, b, rec['length'], want)
                if rec['length'] is not None:
                    ns = rec['nodes']
                    if ns[0] != a or ns[-1] != b or len(ns) != want + 1:
                        bad += 1
                        print('path ends', a, b, ns)
                    for i, e in enumerate(rec['edges']):
                        fw = (e['from'], e['to']) == (ns[i], ns[i + 1])
                        bw = (e['to'], e['from']) == (ns[i], ns[i + 1])
                        if (e['from'], e['type'], e['to']) not in edges or not (
                                fw or (direction != 'out' and bw)):
                            bad += 1
                            print('path edge', a, b, e, ns)
            for a, b in pairs[:6]:
                rc, out = run(['path', 'kg', a, b, '--weight', 'w', '--format', 'json'] + opt)
                try:
                    want = nx.dijkstra_path_length(g, a, b, weight='w')
                except nx.NetworkXNoPath:
                    want = None
                have = json.loads(out)['weight'] if rc == 0 else None
                if rc == 0:
                    rec = json.loads(out)
                    ns, tot = rec['nodes'], 0
                    for i, e in enumerate(rec['edges']):
                        ends = {(e['from'], e['to'])} | ({(e['to'], e['from'])} if direction != 'out' else set())
                        if direction == 'in':
                            ends = {(e['to'], e['from'])}
                        if (e['from'], e['type'], e['to']) not in edges or (ns[i], ns[i + 1]) not in ends:
                            bad += 1
                            print('dijkstra edge', a, b, e, ns)
                        tot += e['props'].get('w', 1)
                    if ns[0] != a or ns[-1] != b or abs(tot - have) > 1e-9:
                        bad += 1
                        print('dijkstra path', a, b, ns, tot, have)
                if (rc == 1) != (want is None) or (want is not None and abs(have - want) > 1e-9):
                    bad += 1
                    print('dijkstra', direction, etypes, a, b, have, want)
                # all shortest: the same set of node paths
                rc, out = run(['path', 'kg', a, b, '--all-shortest', '--format', 'json'] + opt)
                try:
                    want = sorted(set(tuple(p) for p in nx.all_shortest_paths(g, a, b)))
                except nx.NetworkXNoPath:
                    want = []
                have = sorted(tuple(p['nodes']) for p in json.loads(out)['paths']) if rc == 0 else []
                if have != want:
                    bad += 1
                    print('all-shortest', direction, etypes, a, b, have[:3], want[:3])
    # node-type filter: the subgraph of type-a nodes (the start exempt)
    for s in starts[:4]:
        g = graph(nodes, ntype, edges, w, 'out', None, lambda v, s=s: ntype[v] == 'a' or v == s)
        rc, out = run(['traverse', 'kg', s, '--node-types', 'a', '--max-depth', '2', '--format', 'json'])
        have = {x['id']: x['depth'] for x in json.loads(out)['nodes']}
        want = nx.single_source_shortest_path_length(g, s, cutoff=2)
        if have != want:
            bad += 1
            print('node-types', s)
    print('mismatches', bad)
    return bad

if __name__ == '__main__':
    cmd, seed, n, m, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    if cmd == 'gen':
        gen(seed, n, m, d)
    else:
        sys.exit(1 if check(seed, n, m, d) else 0)
