// SPDX-License-Identifier: Apache-2.0
// Shared by the peers' drivers: RUNS runs of SECONDS each of one verification
// (sync or async), a rate per run, and the median line the shell scripts read:
// "peer median: N <unit>/s (<what was checked>)".
'use strict';

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

module.exports = { measure };
