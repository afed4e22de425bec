#!/usr/bin/env node
// gen-toon-data.js - seeded benchmark data for TOON/JSON tools.
//   node gen-toon-data.js records N OUT   N uniform records, 8 mixed fields
//   node gen-toon-data.js nested MB OUT   about MB megabytes of nested,
//                                         non-uniform documents
'use strict';
const fs = require('fs');
const [kind, nArg, out] = process.argv.slice(2);
let s = 12345;
const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
const ri = (n) => Math.floor(rnd() * n);
const pick = (a) => a[ri(a.length)];
const FIRST = ['Alice', 'Bob', 'Carol', 'Dave', 'Eve', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory', 'Niaj', 'Olivia', 'Peggy', 'Rupert', 'Sybil', 'Trent', 'Victor', 'Walter', 'Zoë'];
const LAST = ['Smith', 'Jones', 'Müller', 'García', 'Nakamura', 'Okafor', 'Kowalski', 'Rossi', 'Dubois', 'Andersson'];
const CITY = ['Berlin', 'São Paulo', 'New York', 'Tokyo', 'Lagos', 'Paris', 'Mumbai', 'Sydney', 'Toronto', 'Zürich'];
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'search', 'vector', 'index', 'graph', 'token', 'prompt', 'cache', 'shard'];
const fd = fs.openSync(out, 'w');
let buf = '';
const flush = (force) => { if (buf.length > 1 << 20 || force) { fs.writeSync(fd, buf); buf = ''; } };

if (kind === 'records') {
  const n = Number(nArg);
  buf += '[';
  for (let i = 0; i < n; i++) {
    const f = pick(FIRST), l = pick(LAST);
    const r = {
      id: 100000 + i,
      name: `${f} ${l}`,
      email: `${f.toLowerCase()}.${l.toLowerCase()}${ri(1000)}@example.com`,
      age: 18 + ri(70),
      score: Math.round(rnd() * 1000000) / 100,
      active: rnd() < 0.5,
      city: pick(CITY),
      note: (rnd() < 0.1 ? `needs review, ${pick(WORDS)}: ` : '') + Array.from({ length: 8 + ri(8) }, () => pick(WORDS)).join(' '),
    };
    buf += (i ? ',\n' : '\n') + JSON.stringify(r);
    flush(false);
  }
  buf += '\n]\n';
} else {
  const target = Number(nArg) * 1e6;
  let size = 0, i = 0;
  const node = (d) => {
    const k = ri(d > 4 ? 3 : 7);
    if (k === 0) return ri(100000) - 500;
    if (k === 1) return pick(WORDS) + ' ' + pick(CITY);
    if (k === 2) return rnd() < 0.5 ? null : rnd() < 0.5;
    if (k === 3) { const o = {}; const m = 1 + ri(5); for (let j = 0; j < m; j++) o[pick(WORDS) + (ri(3) ? '' : '_' + ri(9))] = node(d + 1); return o; }
    if (k === 4) { const a = []; const m = ri(5); for (let j = 0; j < m; j++) a.push(node(d + 1)); return a; }
    if (k === 5) { const a = []; const m = 1 + ri(4); for (let j = 0; j < m; j++) a.push(Math.round(rnd() * 1e4) / 100); return a; }
    return { id: ri(1e6), meta: { created: '2026-11-' + (10 + ri(20)), by: pick(FIRST) }, items: [node(d + 2), node(d + 2)] };
  };
  buf += '[';
  while (size < target) {
    const doc = { id: i++, kind: pick(WORDS), payload: node(0), children: [node(1), node(2)], attrs: node(1) };
    const t = JSON.stringify(doc);
    size += t.length + 2;
    buf += (i > 1 ? ',\n' : '\n') + t;
    flush(false);
  }
  buf += '\n]\n';
}
flush(true);
fs.closeSync(fd);
