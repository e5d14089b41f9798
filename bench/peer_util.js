// SPDX-License-Identifier: Apache-2.0
// Shared by the peers' drivers: their arguments (MODULE_DIR SAMPLE_DIR RUNS
// SECONDS), a refusal that ends the run, and RUNS runs of SECONDS each of one
// verification (sync or async), a rate per run, and the median line the shell
// scripts read: "peer median: N <unit>/s (<what was checked>)".
'use strict';
const path = require('path');

function args() {
  const [moduleDir, dir, runsArg, secsArg] = process.argv.slice(2);
  return {
    dir,
    runs: parseInt(runsArg || '5', 10),
    secs: parseFloat(secsArg || '2'),
    // the peer, installed under MODULE_DIR by the shell script
    load: (name) => require(path.join(moduleDir, 'node_modules', name)),
  };
}

function die(msg) {
  console.error(`peer: ${msg}`);
  process.exit(1);
}

async function measure(verifyOnce, runs, secs, unit, checked) {
  const rates = [];
  for (let r = 0; r < runs; r++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    let t;
    do {
      await verifyOnce();
      n++;
      t = Number(process.hrtime.bigint() - t0) / 1e9;
    } while (t < secs);
    rates.push(n / t);
    console.log(`peer run ${r + 1}: ${(n / t).toFixed(0)} ${unit}/s`);
  }
  rates.sort((a, b) => a - b);
  console.log(`peer median: ${rates[Math.floor(runs / 2)].toFixed(0)} ${unit}/s (${checked})`);
}

module.exports = { args, die, measure };
