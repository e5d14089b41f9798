// SPDX-License-Identifier: Apache-2.0
// The peer of bench_dcap: @phala/dcap-qvl (pure JavaScript) verifying the
// same quote with the same collateral at the same time. It must succeed on
// the quote (with the sample's expected status) and fail on a tampered copy,
// or the figure is not printed.
//   node dcap_peer.js MODULE_DIR SAMPLE_DIR RUNS SECONDS
'use strict';
const fs = require('fs');
const path = require('path');
const { args, die, measure } = require('./peer_util.js');
const { dir, runs, secs, load } = args();
const { verify } = load('@phala/dcap-qvl');
const quote = fs.readFileSync(path.join(dir, 'quote.bin'));
const collateral = JSON.parse(fs.readFileSync(path.join(dir, 'collateral.json'), 'utf8'));
const sample = JSON.parse(fs.readFileSync(path.join(dir, 'sample.json'), 'utf8'));
const at = Date.parse(sample.verify_at) / 1000;

const result = verify(quote, collateral, at);
if (result.status !== sample.expected.tcb_status)
  die(`status ${result.status}, expected ${sample.expected.tcb_status}`);
const tampered = Buffer.from(quote);
tampered[100] ^= 1; // inside the signed body
let rejected = false;
try { verify(tampered, collateral, at); } catch (e) { rejected = true; }
if (!rejected)
  die('a tampered quote verified');
measure(() => verify(quote, collateral, at), runs, secs, 'quotes',
        `status ${result.status}, tampered copy rejected`)
  .catch((e) => die(String(e)));
