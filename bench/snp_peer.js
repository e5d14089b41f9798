// SPDX-License-Identifier: Apache-2.0
// The peer of bench_snp: @lit-protocol/sev-snp-utils-sdk (the virtee `sev`
// crate compiled to WebAssembly) verifying the same SEV-SNP report with the
// same VCEK. verify_attestation_report(report, vcek) checks the chain from its
// built-in ARK-Milan (ARK self-signature, ARK -> ASK, ASK -> VCEK, RSA-PSS)
// and the report's ECDSA P-384 signature with the VCEK, on every call; it
// reads no clock. It must accept the report (and read the sample's
// measurement and chip_id from it) and reject a copy with one byte of the
// signature flipped, or the figure is not printed.
//   node snp_peer.js MODULE_DIR SAMPLE_DIR RUNS SECONDS
'use strict';
const fs = require('fs');
const path = require('path');
const { args, die, measure } = require('./peer_util.js');
const { dir, runs, secs, load } = args();
const sdk = load('@lit-protocol/sev-snp-utils-sdk');
const report = fs.readFileSync(path.join(dir, 'report.bin'));
const sample = JSON.parse(fs.readFileSync(path.join(dir, 'sample.json'), 'utf8'));

(async () => {
  if (!fs.existsSync(path.join(dir, 'vcek.der')))
    die(`${dir} has no vcek.der (the peer verifies VCEK-signed Milan reports only)`);
  const vcek = new Uint8Array(fs.readFileSync(path.join(dir, 'vcek.der')));
  if (report.length !== 1184)
    die(`report.bin is ${report.length} bytes, not 1184`);
  await sdk.initWasmSevSnpUtilsSdk();
  const b64 = report.toString('base64');

  try {
    await sdk.verify_attestation_report(b64, vcek);
  } catch (e) {
    die(`the report was not accepted: ${e}`);
  }
  const parsed = sdk.parse_attestation_report(b64);
  const hex = (a) => Buffer.from(a).toString('hex');
  for (const f of ['measurement', 'chip_id']) {
    if (hex(parsed[f]) !== sample.expected_claims[f].value)
      die(`${f} ${hex(parsed[f])}, expected ${sample.expected_claims[f].value}`);
  }
  const tampered = Buffer.from(report);
  tampered[0x2a0 + 10] ^= 1; // a byte of the signature's r
  let rejected = false;
  try {
    await sdk.verify_attestation_report(tampered.toString('base64'), vcek);
  } catch (e) {
    rejected = true;
  }
  if (!rejected)
    die('a tampered report verified');

  await measure(
      () => sdk.verify_attestation_report(b64, vcek), runs, secs, 'reports',
      'accepted, measurement and chip_id as expected, tampered copy rejected');
})().catch((e) => die(String(e)));
