// graph_kuzu.js - the Kuzu peer for scripts/bench/graph.sh (npm `kuzu`,
// installed into .cache/kuzu by graph.sh; reported, not a target).
//   node graph_kuzu.js DIR KUZU_MODULE_DIR
// One thread. Load: COPY of nodes.csv and kedges.csv; then depth-3 reach
// from each start (count of distinct nodes within 1..3 hops, plus the
// start), fewest-hop path length for each pair, and weighted shortest
// paths (WSHORTEST on w) when this Kuzu has them. Prints `name seconds`.
const path = require("path");
const fs = require("fs");
const [dir, mod] = process.argv.slice(2);
const kuzu = require(path.join(mod, "node_modules", "kuzu"));
const now = () => Number(process.hrtime.bigint()) / 1e9;
(async () => {
	const dbdir = path.join(dir, "kuzu.db");
	fs.rmSync(dbdir, { recursive: true, force: true });
	const db = new kuzu.Database(dbdir);
	const c = new kuzu.Connection(db, 1);
	const q = async (s, p) => {
		if (!p) return await (await c.query(s)).getAll();
		const st = await c.prepare(s);
		return await (await c.execute(st, p)).getAll();
	};
	let t0 = now();
	await q("CREATE NODE TABLE N(id STRING, type STRING, PRIMARY KEY(id))");
	await q("CREATE REL TABLE E(FROM N TO N, type STRING, w DOUBLE)");
	await q(`COPY N FROM '${path.join(dir, "nodes.csv")}' (HEADER=false)`);
	await q(`COPY E FROM '${path.join(dir, "kedges.csv")}' (HEADER=false)`);
	console.log(`load ${(now() - t0).toFixed(3)}`);
	const starts = fs.readFileSync(path.join(dir, "starts.txt"), "utf8").split("\n").filter(Boolean);
	const pairs = fs.readFileSync(path.join(dir, "pairs.tsv"), "utf8").split("\n").filter(Boolean).map((l) => l.split("\t"));
	const bfs = await c.prepare("MATCH (a:N {id: $s})-[:E*1..3]->(b:N) WHERE b.id <> $s RETURN count(DISTINCT b) AS n");
	t0 = now();
	let reach = 0;
	for (const s of starts) {
		const r = await (await c.execute(bfs, { s })).getAll();
		reach += Number(r[0].n) + 1;
	}
	console.log(`bfs ${(now() - t0).toFixed(3)}`);
	console.log(`bfs_reach ${(reach / starts.length).toFixed(1)}`);
	const sp = await c.prepare("MATCH p = (a:N {id: $a})-[:E* SHORTEST 1..30]->(b:N {id: $b}) RETURN length(p) AS h");
	t0 = now();
	let found = 0, hops = 0;
	for (const [a, b] of pairs) {
		if (a === b) { found++; continue; }
		const r = await (await c.execute(sp, { a, b })).getAll();
		if (r.length) { found++; hops += Number(r[0].h); }
	}
	console.log(`path ${(now() - t0).toFixed(3)}`);
	console.log(`path_sum ${found} ${hops}`);
	let wsp;
	try {
		wsp = await c.prepare("MATCH p = (a:N {id: $a})-[e:E* WSHORTEST(w)]->(b:N {id: $b}) RETURN cost(e) AS d");
	} catch (e) {
		console.log(`dijkstra_error ${String(e.message || e).split("\n")[0]}`);
		return;
	}
	// weighted paths are slow in Kuzu: the first KUZU_WPAIRS pairs
	// (default 10), the time scaled to all of them
	const wp = pairs.slice(0, Number(process.env.KUZU_WPAIRS || 10));
	t0 = now();
	found = 0;
	let dist = 0;
	for (const [a, b] of wp) {
		if (a === b) { found++; continue; }
		const r = await (await c.execute(wsp, { a, b })).getAll();
		if (r.length) { found++; dist += Number(r[0].d); }
	}
	console.log(`dijkstra ${((now() - t0) * pairs.length / wp.length).toFixed(3)}`);
	console.log(`dijkstra_pairs ${wp.length}`);
	console.log(`dijkstra_sum ${found} ${dist.toFixed(2)}`);
})().catch((e) => { console.error(`graph_kuzu.js: ${e.message || e}`); process.exit(3); });
