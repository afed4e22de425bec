#!/usr/bin/env node
// toon-conformance.js - runs every fixture of the TOON spec test suite
// against sochdb-toon (the real binary, one process per case).
//
//   node scripts/toon-conformance.js FIXTURES_DIR [sochdb-toon]
//
// Prints one line per failure and "N/M fixtures passed"; exits 1 on any
// failure or when no fixtures were found.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const dir = process.argv[2];
const bin = process.argv[3] || 'sochdb-toon';
let total = 0, passed = 0;
const failures = [];

function run(args, input) {
  return spawnSync(bin, args, { input, encoding: 'utf8', maxBuffer: 1 << 28 });
}

function encodeArgs(o) {
  const a = ['encode'];
  if (!o) return a;
  if (o.delimiter !== undefined) a.push('--delimiter', o.delimiter);
  if (o.indent !== undefined) a.push('--indent', String(o.indent));
  if (o.keyFolding !== undefined) a.push('--key-folding', o.keyFolding);
  if (o.flattenDepth !== undefined) a.push('--flatten-depth', String(o.flattenDepth));
  return a;
}

function decodeArgs(o) {
  const a = ['decode'];
  if (!o) return a;
  if (o.indent !== undefined) a.push('--indent', String(o.indent));
  if (o.strict === false) a.push('--no-strict');
  if (o.strict === true) a.push('--strict');
  if (o.expandPaths !== undefined) a.push('--expand-paths', o.expandPaths);
  return a;
}

for (const kind of ['encode', 'decode']) {
  const d = path.join(dir, 'tests', 'fixtures', kind);
  for (const f of fs.readdirSync(d).filter((x) => x.endsWith('.json')).sort()) {
    const suite = JSON.parse(fs.readFileSync(path.join(d, f), 'utf8'));
    for (const t of suite.tests) {
      total++;
      const name = `${kind}/${f}: ${t.name}`;
      if (kind === 'encode') {
        const r = run(encodeArgs(t.options), JSON.stringify(t.input));
        if (t.shouldError) {
          if (r.status === 3 && r.stdout === '') passed++;
          else failures.push(`${name}: expected an error, got status ${r.status}`);
          continue;
        }
        const want = t.expected + '\n';
        if (r.status === 0 && r.stdout === want) passed++;
        else failures.push(`${name}: status ${r.status}\n  want ${JSON.stringify(want)}\n  got  ${JSON.stringify(r.stdout)} ${r.stderr.trim()}`);
      } else {
        const r = run(decodeArgs(t.options), t.input);
        if (t.shouldError) {
          if (r.status === 3 && r.stdout === '' && /^sochdb-toon: /.test(r.stderr)) passed++;
          else failures.push(`${name}: expected an error (exit 3, empty stdout), got status ${r.status} ${JSON.stringify(r.stdout)}`);
          continue;
        }
        let got;
        try { got = JSON.stringify(JSON.parse(r.stdout)); } catch (e) { got = undefined; }
        const want = JSON.stringify(t.expected);
        if (r.status === 0 && got === want && r.stdout.endsWith('\n')) passed++;
        else failures.push(`${name}: status ${r.status}\n  want ${want}\n  got  ${JSON.stringify(r.stdout)} ${r.stderr.trim()}`);
      }
    }
  }
}
for (const f of failures) console.log('FAIL ' + f);
console.log(`${passed}/${total} fixtures passed`);
process.exit(total > 0 && passed === total ? 0 : 1);
