// SPDX-License-Identifier: Apache-2.0
// The peer of bench_nitro: @evervault/attestation-bindings (Rust, NAPI)
// verifying the same Nitro attestation document. Its one call, attestEnclave,
// decodes the document, checks the certificate chain to the AWS Nitro root at
// the current time, the COSE signature, that user_data is the public key of
// the given TLS certificate, and the expected PCRs; it takes no time
// argument, so bench_nitro.sh runs this under faketime at the sample's
// verify_at. It must accept the document with the sample's PCRs and reject a
// copy with one byte of the signature flipped, or the figure is not printed.
//   node nitro_peer.js MODULE_DIR SAMPLE_DIR RUNS SECONDS
'use strict';
const fs = require('fs');
const path = require('path');
const { args, die, measure } = require('./peer_util.js');
const { dir, runs, secs, load } = args();
const { attestEnclave } = load('@evervault/attestation-bindings');
const doc = fs.readFileSync(path.join(dir, 'attestation_doc.cbor'));
const tlsCertPath = path.join(dir, 'tls_cert.der');
const sample = JSON.parse(fs.readFileSync(path.join(dir, 'sample.json'), 'utf8'));

if (!fs.existsSync(tlsCertPath))
  die(`${dir} has no tls_cert.der: attestEnclave checks that the document's user_data ` +
      'is the public key of the TLS certificate it was served with');
const tlsCert = fs.readFileSync(tlsCertPath);
const skew = Math.abs(Date.now() - Date.parse(sample.verify_at));
if (!(skew < 60000))
  die(`the clock reads ${new Date().toISOString()}, not verify_at ${sample.verify_at} (run under faketime)`);
const p = sample.expected_claims.pcrs.value;
const pcrs = [{ pcr0: p['0'], pcr1: p['1'], pcr2: p['2'], pcr8: p['8'] }];

if (attestEnclave(tlsCert, pcrs, doc) !== true)
  die('the document was not accepted');
const wrongPcrs = [{ ...pcrs[0], pcr8: p['8'].replace(/^./, (c) => (c === '0' ? '1' : '0')) }];
if (attestEnclave(tlsCert, wrongPcrs, doc) !== false)
  die('the document was accepted with a wrong PCR8');
// untagged COSE_Sign1: the last element is the 96-byte signature (0x58 0x60 r||s)
if (doc[doc.length - 98] !== 0x58 || doc[doc.length - 97] !== 0x60)
  die('the document does not end with a 96-byte signature');
const tampered = Buffer.from(doc);
tampered[doc.length - 96 + 10] ^= 1; // a byte of r
if (attestEnclave(tlsCert, pcrs, tampered) !== false)
  die('a tampered document verified');

measure(() => {
    if (!attestEnclave(tlsCert, pcrs, doc))
      die('the document was not accepted');
  }, runs, secs, 'documents', 'accepted with PCR0/1/2/8, wrong PCR8 and tampered signature rejected')
  .catch((e) => die(String(e)));
