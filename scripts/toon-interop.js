#!/usr/bin/env node
// toon-interop.js - differential test of sochdb-toon against the reference
// library of TOON spec v3.3 (@toon-format/toon 2.3.1, the byte oracle).
//
//   node scripts/toon-interop.js ORACLE_DIR SOCHDB_TOON [COUNT] [SEED]
//
// Generates COUNT (default 1000) varied JSON documents from a seeded PRNG
// (tables, nesting, tricky strings and keys, number edge cases, empty
// containers, unicode) and, under varied options, checks that
//   1. our encode equals the oracle's encode byte for byte,
//   2. the oracle decodes our output back to the input,
//   3. we decode the oracle's output back to the input.
// Integer-like keys ("0", "42") are left out: JavaScript objects move them
// to the front, while sochdb-toon keeps document order (documented).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const [oracleDir, bin] = process.argv.slice(2, 4);
const COUNT = Number(process.argv[4] || 1000);
const SEED = Number(process.argv[5] || 20261121);

let s = SEED >>> 0;
// Rows whose keys come in another order than the header decode in header
// order in every implementation; such documents are compared with what
// the oracle makes of them instead of with the input.
let reordered = false;
function rnd() { // xorshift32
  s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
  return s / 4294967296;
}
const ri = (n) => Math.floor(rnd() * n);
const pick = (a) => a[ri(a.length)];

const TRICKY = ['', ' ', 'a b', ' lead', 'trail ', 'true', 'false', 'null', 'True', '-', '-x',
  '--', '- item', '123', '-1.5', '1e5', '1E-7', '05', '0', '0.0', '.5', '1.', 'a:b', 'http://x.y/z?q=1',
  'say "hi"', 'back\\slash', '[x]', '{y}', 'a,b', 'a|b', 'a\tb', 'line\nbreak', 'cr\rhere', '\u0001ctl',
  '\u007f', 'caf\u00e9', '\u4e16\u754c', '\ud83d\udc4b wave', '\u00a0nbsp', 'nbsp\u00a0', '\ufeffbom',
  'x\u2028y', '#hash', 'semi;colon', "it's", 'x=1&y=2', '   ', 'ünïcödé', 'null ', '@at', '%p', 'a.b.c'];
const KEYS = ['id', 'name', 'a', 'b', 'c', 'x_y', '_u', 'A1', 'a.b', 'user.name', 'my-key', 'with space',
  '', '"q"', 'k:v', '-dash', '[b]', '{c}', 'tab\tk', 'nl\nk', 'caf\u00e9', '\u540d\u524d', 'e\u0301',
  '01', '1a', '-1', ' sp', 'a,b', 'a|b', 'x'];
const NUMS = [0, -0, 1, -1, 42, 3.14, -2.5, 0.1 + 0.2, 1e-6, 1e-7, 1.5e-10, 1e20, 1e21, 1.5e300,
  123456789012, 2 ** 53, 2 ** 53 + 2, -(2 ** 31), 0.000001234, 5e-324, 1.7976931348623157e308, 100, 1e6, 7.0];

function num() {
  const k = ri(4);
  if (k === 0) return pick(NUMS);
  if (k === 1) return ri(2000000) - 1000000;
  if (k === 2) return (rnd() - 0.5) * Math.pow(10, ri(30) - 10);
  return Math.round(rnd() * 10000) / 100;
}
function str() {
  if (rnd() < 0.4) return pick(TRICKY);
  const len = ri(12);
  let out = '';
  for (let i = 0; i < len; i++) out += pick('abcdefghijklmnopqrstuvwxyz0123456789 _-.:,|é世'.split(''));
  return out;
}
function key() {
  if (rnd() < 0.5) return pick(KEYS);
  const len = 1 + ri(8);
  let out = pick('abcxyz_'.split(''));
  for (let i = 1; i < len; i++) out += pick('abcdefgh0123_'.split(''));
  return out;
}
function prim() {
  const k = ri(10);
  if (k < 4) return str();
  if (k < 7) return num();
  if (k < 8) return rnd() < 0.5;
  return null;
}
function obj(depth, n) {
  const o = {};
  const m = n === undefined ? ri(6) : n;
  for (let i = 0; i < m; i++) o[key()] = value(depth + 1);
  return o;
}
function table(depth) {
  const fields = [];
  const nf = 1 + ri(5);
  while (fields.length < nf) { const k = key(); if (!fields.includes(k)) fields.push(k); }
  const rows = [];
  const nr = ri(6);
  for (let r = 0; r < nr; r++) {
    const row = {};
    const reorder = rnd() < 0.2;
    if (reorder) reordered = true;
    const order = reorder ? fields.slice().reverse() : fields;
    for (const f of order) row[f] = prim();
    if (rnd() < 0.05) row[key()] = prim(); // sometimes not uniform
    rows.push(row);
  }
  return rows;
}
function value(depth) {
  if (depth > 5) return prim();
  const k = ri(12);
  if (k < 4) return prim();
  if (k < 6) return obj(depth);
  if (k < 7) return table(depth);
  if (k < 8) { const a = []; const n = ri(6); for (let i = 0; i < n; i++) a.push(prim()); return a; }
  if (k < 9) { const a = []; const n = ri(4); for (let i = 0; i < n; i++) { const b = []; const m = ri(4); for (let j = 0; j < m; j++) b.push(prim()); a.push(b); } return a; }
  if (k < 10) { const a = []; const n = ri(5); for (let i = 0; i < n; i++) a.push(value(depth + 1)); return a; }
  if (k < 11) { // list item whose first field is a table
    const a = []; const n = 1 + ri(3);
    for (let i = 0; i < n; i++) { const o = {}; o[key()] = table(depth + 1); Object.assign(o, obj(depth + 1, ri(3))); a.push(o); }
    return a;
  }
  // a chain for key folding
  let v = prim(); const L = 1 + ri(4);
  for (let i = 0; i < L; i++) v = { [pick(['a', 'b', 'c', 'data', 'meta', 'x-y'])]: v };
  return v;
}
function doc() {
  const k = ri(10);
  if (k < 6) return obj(0, 1 + ri(6));
  if (k < 8) return table(0);
  if (k < 9) return value(0);
  return prim();
}
const isIndexKey = (k) => /^(0|[1-9]\d*)$/.test(k) && Number(k) < 4294967295;
function clean(v) { // drop integer-like keys (see above)
  if (Array.isArray(v)) return v.map(clean);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) if (!isIndexKey(k)) o[k] = clean(x);
    return o;
  }
  return v;
}

async function main() {
const { pathToFileURL } = require('url');
const toon = await import(pathToFileURL(path.resolve(oracleDir, 'node_modules/@toon-format/toon/dist/index.mjs')).href);
const OPTS = [{}, {}, { delimiter: '\t' }, { delimiter: '|' }, { indent: 4 },
  { keyFolding: 'safe' }, { keyFolding: 'safe', flattenDepth: 2 }];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'toon-interop-'));
let fails = 0, checks = 0;
function fail(msg) { fails++; if (fails <= 20) console.log('FAIL ' + msg); }

for (let n = 0; n < COUNT; n++) {
  reordered = false;
  const input = clean(doc());
  const json = JSON.stringify(input);
  const o = OPTS[n % OPTS.length];
  const folded = o.keyFolding === 'safe';
  const args = ['encode'];
  if (o.delimiter) args.push('--delimiter', o.delimiter);
  if (o.indent) args.push('--indent', String(o.indent));
  if (o.keyFolding) args.push('--key-folding', o.keyFolding);
  if (o.flattenDepth) args.push('--flatten-depth', String(o.flattenDepth));
  const want = toon.encode(JSON.parse(json), o);
  const r = spawnSync(bin, args, { input: json, encoding: 'utf8' });
  checks++;
  if (r.status !== 0 || r.stdout !== want + '\n') {
    fail(`#${n} encode ${JSON.stringify(o)} of ${json}\n  want ${JSON.stringify(want)}\n  got  ${JSON.stringify(r.stdout)} ${r.stderr}`);
    continue;
  }
  const dopts = { indent: o.indent || 2, expandPaths: folded ? 'safe' : 'off' };
  const dargs = ['decode', '--indent', String(dopts.indent)];
  if (folded) dargs.push('--expand-paths', 'safe');
  // 2. the oracle decodes our output to the input (exact without folding)
  let back;
  try { back = toon.decode(r.stdout.slice(0, -1), dopts); } catch (e) { back = e; }
  const theirs = back instanceof Error ? String(back) : JSON.stringify(back);
  checks++;
  const canonical = !folded && !reordered;
  let ref = json, refErr = false;
  if (!canonical) { try { ref = JSON.stringify(toon.decode(want, dopts)); } catch (e) { ref = String(e); refErr = true; } }
  if (theirs !== ref) fail(`#${n} oracle decode of our output\n  want ${json}\n  got  ${theirs}`);
  // 3. we decode the oracle's output to the input (to what it decodes, when folded)
  const d = spawnSync(bin, dargs, { input: want, encoding: 'utf8' });
  checks++;
  let ours;
  try { ours = JSON.stringify(JSON.parse(d.stdout)); } catch (e) { ours = `status ${d.status}: ${d.stderr}`; }
  if (refErr ? d.status !== 3 || d.stdout !== '' : ours !== ref) fail(`#${n} our decode of the oracle's output ${JSON.stringify(want)}\n  want ${ref}\n  got  ${ours}`);
}
// long arrays, which sochdb-toon encodes in chunks on two threads: a list
// of generated documents and a table (rows in and out of header order);
// encoded to stdout and with -o (no final newline there), byte for byte
// the oracle's, and back
const longs = [
  Array.from({ length: 20000 }, () => clean(doc())),
  { rows: Array.from({ length: 30000 }, (_, i) => (i % 5 === 2 ? { b: `v ${i}`, a: i / 4 } : { a: i / 4, b: `v ${i}` })) },
];
for (const [i, v] of longs.entries()) {
  const json = JSON.stringify(v);
  const want = toon.encode(JSON.parse(json)) + '\n';
  const big = { encoding: 'utf8', maxBuffer: 1 << 30 };
  const r = spawnSync(bin, ['encode'], { input: json, ...big });
  const out = path.join(tmp, `long${i}.toon`);
  const o = spawnSync(bin, ['encode', '-o', out], { input: json, ...big });
  checks += 3;
  if (r.status !== 0 || r.stdout !== want) fail(`long #${i}: encode differs from the oracle's (${r.stderr})`);
  if (o.status !== 0 || fs.readFileSync(out, 'utf8') + '\n' !== want) fail(`long #${i}: encode -o differs from the oracle's (${o.stderr})`);
  const d = spawnSync(bin, ['decode'], { input: want, ...big });
  let back;
  try { back = JSON.stringify(JSON.parse(d.stdout)); } catch (e) { back = `status ${d.status}: ${d.stderr}`; }
  if (back !== JSON.stringify(toon.decode(want.slice(0, -1)))) fail(`long #${i}: our decode of the oracle's output differs`);
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`interop: ${COUNT} documents and ${longs.length} long ones, ${checks} checks, ${fails} failed (seed ${SEED})`);
process.exit(fails ? 1 : 0);
}
main();
