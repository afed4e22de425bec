#!/usr/bin/env node
// usearch_peer.js - time USearch (npm `usearch`) on the benchmark data;
// called by ann.sh with the arguments and output lines of ann_peer.py:
//
//   usearch_peer.js BASE.npy QUERY.npy TRUTH.npy l2|ip THREADS M EFC [--search]
//
// connectivity = M, expansion_add = EFC, expansion_search = ef, float32
// (quantization f32), l2sq or ip. Prints "build_s S", "peak_rss_kb K" and,
// with --search, "ef E recall R qps Q" per ef in 16..256, searching with
// 1 thread (QPS: median of ANN_QREPS runs, default 3). The npm package
// has no setter for expansion_search: the graph is built once, saved, and
// viewed (mmapped) by one Index per ef. USEARCH_DIR names the folder
// holding node_modules/usearch (default: .cache/usearch).
'use strict';
const fs = require('fs');
const path = require('path');
const os = require('os');
const dir = process.env.USEARCH_DIR || path.join(__dirname, '../../.cache/usearch');
const usearch = require(path.join(path.resolve(dir), 'node_modules/usearch'));

// .npy v1-3 reader: little-endian f4 / i4 / i8 in C order, 1-D or 2-D
function npy(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(file + ': not npy');
  const major = b[6];
  const hl = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const off = (major === 1 ? 10 : 12);
  const h = b.toString('latin1', off, off + hl);
  const descr = /'descr':\s*'([^']+)'/.exec(h)[1];
  if (/'fortran_order':\s*True/.test(h)) throw new Error(file + ': fortran order');
  const shape = /'shape':\s*\(([^)]*)\)/.exec(h)[1].split(',').filter(s => s.trim()).map(Number);
  const data = b.subarray(off + hl);
  const copy = new Uint8Array(data).buffer; // aligned
  let a;
  if (descr === '<f4') a = new Float32Array(copy);
  else if (descr === '<i4') a = new Int32Array(copy);
  else if (descr === '<i8') a = new BigInt64Array(copy);
  else throw new Error(file + ': dtype ' + descr);
  return { a, rows: shape[0], cols: shape.length > 1 ? shape[1] : 1 };
}

function peakRssKb() {
  const m = /VmHWM:\s*(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

const [base, query, truth, metric] = process.argv.slice(2, 6);
const [threads, M, efc] = process.argv.slice(6, 9).map(Number);
const search = process.argv.includes('--search');
const x = npy(base), q = npy(query), t = npy(truth);
const dim = x.cols, k = 10;
const cfg = (ef) => ({
  dimensions: dim, metric: metric === 'l2' ? 'l2sq' : 'ip', quantization: 'f32',
  connectivity: M, expansion_add: efc, expansion_search: ef, multi: false,
});
const idx = new usearch.Index(cfg(64));
const keys = new BigUint64Array(x.rows);
for (let i = 0; i < x.rows; i++) keys[i] = BigInt(i);
const t0 = process.hrtime.bigint();
idx.add(keys, x.a, threads);
const dt = Number(process.hrtime.bigint() - t0) / 1e9;
console.log('build_s ' + dt.toFixed(4));
console.log('peak_rss_kb ' + peakRssKb());
if (search) {
  const reps = Number(process.env.ANN_QREPS || 3);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'usearch-')), 'g.usearch');
  idx.save(file);
  for (const ef of [16, 32, 64, 128, 256]) {
    const v = new usearch.Index(cfg(ef));
    v.view(file);
    const times = [];
    let res;
    for (let r = 0; r < reps; r++) {
      const s = process.hrtime.bigint();
      res = v.search(q.a, k, 1);
      times.push(Number(process.hrtime.bigint() - s) / 1e9);
    }
    times.sort((a, b) => a - b);
    let hits = 0;
    for (let i = 0; i < q.rows; i++) {
      const want = new Set();
      for (let j = 0; j < k; j++) want.add(Number(t.a[i * t.cols + j]));
      for (let j = 0; j < k; j++) if (want.has(Number(res.keys[i * k + j]))) hits++;
    }
    console.log('ef ' + ef + ' recall ' + (hits / (k * q.rows)).toFixed(4) + ' qps ' +
                Math.round(q.rows / times[Math.floor(times.length / 2)]));
  }
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}
