// collections_lance.js - the LanceDB peer of scripts/bench/collections.sh
// (@lancedb/lancedb 0.31.0 from npm, apache-arrow 18.1.0 loaded from the
// same node_modules so that there is one copy of it).
//
//   node collections_lance.js build DATA DB     table + indexes, timings
//   node collections_lance.js query DATA DB EF  every query set, one process
//
// build: one table items(id, bucket, body, vector FixedSizeList<f32>[128])
// from DATA/base.npy, bucket.npy and docs.tsv; then an IVF_HNSW_SQ vector
// index (l2, m 16, ef_construction 100), a BTREE index on bucket (so the
// pre-filter is an index lookup) and an FTS index on body. Prints
// "lance build table S vector S btree S fts S".
// query: k-NN with where(bucket < X) (LanceDB's pre-filter, its default)
// at 100/10/1/0.1 % selectivity, FTS AND and OR (MatchQuery with the
// operator), hybrid (vector + FTS, RRF k 60); 10 rows each, only `id`
// selected; each set timed around its query loop alone (the peer's
// start-up and table open are not counted). Writes DATA/lance_SET.out
// (one line of ids per query) and prints "lance SET SECONDS CPU_SECONDS"
// (process.cpuUsage(): every thread of the process, user + system).
'use strict';
const fs = require('fs');
const path = require('path');
const dir = process.env.LANCE_DIR;
const arrow = require(path.join(dir, 'node_modules/apache-arrow'));
const lancedb = require(path.join(dir, 'node_modules/@lancedb/lancedb'));

function npy(file) {
	const b = fs.readFileSync(file);
	const hl = b.readUInt16LE(8);
	const hdr = b.toString('latin1', 10, 10 + hl);
	const shape = hdr.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
	const off = 10 + hl;
	const ab = b.buffer.slice(b.byteOffset + off, b.byteOffset + b.length);
	const arr = hdr.includes("'<f4'") ? new Float32Array(ab) : new Int32Array(ab);
	return { shape, arr };
}

const now = () => Number(process.hrtime.bigint()) / 1e9;
const SELS = [['100', null], ['10', 'bucket < 100'], ['1', 'bucket < 10'], ['0.1', 'bucket < 1']];

async function build(data, dbdir) {
	const base = npy(path.join(data, 'base.npy'));
	const [n, dim] = base.shape;
	const bucket = npy(path.join(data, 'bucket.npy')).arr;
	const body = fs.readFileSync(path.join(data, 'docs.tsv'), 'utf8').split('\n').filter((l) => l).map((l) => l.slice(l.indexOf('\t') + 1));
	const t0 = now();
	const vecType = new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), true));
	const vec = arrow.makeVector(arrow.makeData({ type: vecType, length: n, nullCount: 0,
		child: arrow.makeData({ type: new arrow.Float32(), length: n * dim, data: base.arr }) }));
	const ids = new Int32Array(n);
	for (let i = 0; i < n; i++) ids[i] = i;
	const table = new arrow.Table({
		id: arrow.makeVector(ids),
		bucket: arrow.makeVector(bucket),
		body: arrow.vectorFromArray(body, new arrow.Utf8()),
		vector: vec,
	});
	const db = await lancedb.connect(dbdir);
	const tbl = await db.createTable('items', table, { mode: 'overwrite' });
	if ((await tbl.countRows()) !== n) throw new Error('lancedb wrote ' + (await tbl.countRows()) + ' rows of ' + n);
	const t1 = now();
	await tbl.createIndex('vector', { config: lancedb.Index.hnswSq({ distanceType: 'l2', m: 16, efConstruction: 100 }) });
	const t2 = now();
	await tbl.createIndex('bucket', { config: lancedb.Index.btree() });
	const t3 = now();
	await tbl.createIndex('body', { config: lancedb.Index.fts() });
	const t4 = now();
	console.log(`lance build table ${(t1 - t0).toFixed(3)} vector ${(t2 - t1).toFixed(3)} btree ${(t3 - t2).toFixed(3)} fts ${(t4 - t3).toFixed(3)}`);
}

async function query(data, dbdir, ef) {
	const q = npy(path.join(data, 'query.npy'));
	const [nq, dim] = q.shape;
	const qv = (i) => Array.from(q.arr.subarray(i * dim, (i + 1) * dim));
	const lines = (f) => fs.readFileSync(path.join(data, f), 'utf8').split('\n').filter((l) => l);
	const db = await lancedb.connect(dbdir);
	const tbl = await db.openTable('items');
	const run = async (name, count, one) => {
		const out = [];
		const t0 = now();
		const c0 = process.cpuUsage();
		for (let i = 0; i < count; i++) {
			const rows = await one(i);
			out.push(rows.map((r) => r.id).join(' '));
		}
		const s = now() - t0;
		const c = process.cpuUsage(c0);
		fs.writeFileSync(path.join(data, `lance_${name}.out`), out.join('\n') + '\n');
		console.log(`lance ${name} ${s.toFixed(4)} ${((c.user + c.system) / 1e6).toFixed(4)}`);
	};
	for (const [p, where] of SELS) {
		await run('knn_' + p, nq, (i) => {
			let v = tbl.query().nearestTo(qv(i)).distanceType('l2').ef(ef).refineFactor(2).limit(10).select(['id']);
			if (where) v = v.where(where);
			return v.toArray();
		});
	}
	const { MatchQuery, Operator } = lancedb;
	const and = lines('and.txt'), or = lines('or.txt'), hy = lines('hybrid.txt');
	await run('and', nq, (i) => tbl.query().fullTextSearch(new MatchQuery(and[i], 'body', { operator: Operator.And })).limit(10).select(['id']).toArray());
	await run('or', nq, (i) => tbl.query().fullTextSearch(new MatchQuery(or[i], 'body', { operator: Operator.Or })).limit(10).select(['id']).toArray());
	const rrf = await lancedb.rerankers.RRFReranker.create(60);
	await run('hybrid', nq, (i) => tbl.query().nearestTo(qv(i)).distanceType('l2').ef(ef).refineFactor(2)
		.fullTextSearch(new MatchQuery(hy[i], 'body', { operator: Operator.Or })).rerank(rrf).limit(10).select(['id']).toArray());
}

(async () => {
	const [mode, data, dbdir, ef] = process.argv.slice(2);
	if (mode === 'build') await build(data, dbdir);
	else await query(data, dbdir, Number(ef || 64));
})().catch((e) => { console.error('collections_lance.js: ' + (e && e.stack || e)); process.exit(3); });
