#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""custosd end to end, against a real custosd process on loopback.

A simulated SEV-SNP platform (custos-snp-sim, a TEST PKI trusted only through
--insecure-test-root) plays the guest, and a simulated TDX platform
(custos-dcap-sim, its sibling) a TDX guest behind configfs-tsm. Covered: operations endpoints, the
native API and the Trustee KBS protocol 0.4.0 (the guest's SnpEvidence JSON is
built here from the raw report, as the virtee/sev crate serialises it), every
refusal the protocols define, the audit chain, metrics and logs.

usage: test_custosd.py CUSTOSD CUSTOS CUSTOS_SNP_SIM JWE_TOOL
"""
import base64
import hashlib
import json
import os
import re
import shutil
import sqlite3
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import uuid
import urllib.request

CUSTOSD, CUSTOS, SIM, JWE_TOOL = sys.argv[1:5]
DCAP_SIM = os.path.join(os.path.dirname(SIM), "custos-dcap-sim")
GPU_SIM = os.path.join(os.path.dirname(SIM), "custos-gpu-sim")
TDX_MRTD = "7d" * 48  # custos-dcap-sim's TD
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok - {name}")
    else:
        failed += 1
        print(f"not ok - {name}" + (f": {detail}" if detail else ""))


def jcs(o):
    # RFC 8785 for the ASCII strings and small integers used here.
    return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b64u(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


class Server:
    def __init__(self, data, extra=()):
        self.data = data
        self.log = os.path.join(data, "requests.log")
        self.proc = subprocess.Popen(
            [CUSTOSD, "--data", data, "--listen", "127.0.0.1:0", "--log", self.log, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r":(\d+)$", line.strip())
        if not m:
            raise RuntimeError("custosd did not start: " + line + self.proc.stderr.read())
        self.port = int(m.group(1))
        self.ctx = ssl.create_default_context(cafile=os.path.join(data, "tls/cert.pem"))

    def req(self, method, path, body=None, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        r = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", method=method, data=data,
                                   headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(r, context=self.ctx, timeout=30) as resp:
                return resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return self.proc.returncode


def report(pki, report_data=b"", **kw):
    args = [SIM, "report", "--pki", pki, "--report-data", report_data.hex() or "00"]
    for k, v in kw.items():
        args += [f"--{k.replace('_', '-')}"] + ([] if v is True else [str(v)])
    out = subprocess.run(args, capture_output=True, check=True).stdout
    assert len(out) == 1184, len(out)
    return out


def sev_json(rep):
    """The raw report as virtee/sev (6.x/7.x) serialises AttestationReport with serde."""
    u32 = lambda o: struct.unpack_from("<I", rep, o)[0]
    u64 = lambda o: struct.unpack_from("<Q", rep, o)[0]
    arr = lambda o, n: list(rep[o:o + n])
    version = u32(0)
    fam, mod = rep[0x188], rep[0x189]
    turin = version >= 3 and fam == 0x1A

    def tcb(o):
        b = rep[o:o + 8]
        if turin:
            return {"fmc": b[0], "bootloader": b[1], "tee": b[2], "snp": b[3], "microcode": b[7]}
        return {"fmc": None, "bootloader": b[0], "tee": b[1], "snp": b[6], "microcode": b[7]}

    ver = lambda o: {"major": rep[o + 2], "minor": rep[o + 1], "build": rep[o]}
    j = {"version": version, "guest_svn": u32(4), "policy": u64(8),
         "family_id": arr(0x10, 16), "image_id": arr(0x20, 16), "vmpl": u32(0x30),
         "sig_algo": u32(0x34), "current_tcb": tcb(0x38), "plat_info": u64(0x40),
         "key_info": u32(0x48), "report_data": arr(0x50, 64), "measurement": arr(0x90, 48),
         "host_data": arr(0xC0, 32), "id_key_digest": arr(0xE0, 48),
         "author_key_digest": arr(0x110, 48), "report_id": arr(0x140, 32),
         "report_id_ma": arr(0x160, 32), "reported_tcb": tcb(0x180),
         "cpuid_fam_id": fam if version >= 3 else None,
         "cpuid_mod_id": mod if version >= 3 else None,
         "cpuid_step": rep[0x18A] if version >= 3 else None,
         "chip_id": arr(0x1A0, 64), "committed_tcb": tcb(0x1E0), "current": ver(0x1E8),
         "committed": ver(0x1EC), "launch_tcb": tcb(0x1F0),
         "signature": {"r": arr(0x2A0, 72), "s": arr(0x2E8, 72)}}
    if version >= 5:
        j["launch_mit_vector"] = u64(0x1F8)
        j["current_mit_vector"] = u64(0x200)
    return j


def affirmed_sim_data(tmp):
    """A data directory (custosd init) and a simulated SEV-SNP platform whose VCEK and ASK
    are collateral and whose workload's measurement is the one reference value:
    (data, pki). custosd trusts it with --insecure-test-root PKI/ark.pem."""
    data, pki = os.path.join(tmp, "data"), os.path.join(tmp, "pki")
    subprocess.run([CUSTOSD, "init", data], check=True, capture_output=True)
    subprocess.run([SIM, "init", pki], check=True, capture_output=True)
    shutil.copy(os.path.join(pki, "vcek.pem"), os.path.join(data, "collateral"))
    shutil.copy(os.path.join(pki, "ask.pem"), os.path.join(data, "collateral"))
    measurement = report(pki)[0x90:0xC0].hex()
    with open(os.path.join(data, "refvalues.json"), "w") as f:
        json.dump({"version": 1, "sets": {"measurements": {"values": [measurement]}}}, f)
    return data, pki


def pem_to_der(path):
    text = open(path).read()
    body = "".join(l for l in text.splitlines() if l and not l.startswith("-----"))
    return base64.b64decode(body)


TEE_PUBKEY = {"kty": "EC", "crv": "P-256", "alg": "ECDH-ES+A256KW",
              "x": "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0",
              "y": "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"}


def run_main(run_fn, prefix):
    """The e2e tests' main: run_fn(tmp) in a fresh temporary directory, then the tally."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    try:
        run_fn(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def valgrind_wrappers(tmp):
    """With CUSTOS_VALGRIND=DIR, custosd and custos-agent run under valgrind
    (--leak-check=full; definite and indirect leaks and every memory error fail
    them with status 99); each process's report goes to DIR."""
    global CUSTOSD
    logs = os.environ["CUSTOS_VALGRIND"]
    os.makedirs(logs, exist_ok=True)
    wrap = os.path.join(tmp, "valgrind-bin")
    os.makedirs(wrap)
    for name, real in (("custosd", CUSTOSD),
                       ("custos-agent", os.path.join(os.path.dirname(CUSTOS), "custos-agent"))):
        path = os.path.join(wrap, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\nexec valgrind -q --leak-check=full --show-leak-kinds=definite,"
                    "indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99 "
                    f"--log-file={logs}/{name}.%p.log {real} \"$@\"\n")
        os.chmod(path, 0o755)
    CUSTOSD = os.path.join(wrap, "custosd")
    return wrap


def valgrind_verdict():
    logs = os.environ["CUSTOS_VALGRIND"]
    bad = []
    for f in sorted(os.listdir(logs)):
        text = open(os.path.join(logs, f)).read()
        if re.search(r"(definitely|indirectly) lost: [1-9]|Invalid (read|write)|uninitialised|"
                     r"Mismatched free|Invalid free", text):
            bad.append(f"{f}: {text[:800]}")
    check(f"valgrind: no leak and no memory error in {len(os.listdir(logs))} processes",
          not bad, bad[:3])


def main():
    tmp = tempfile.mkdtemp(prefix="custosd-e2e-")
    try:
        if os.environ.get("CUSTOS_VALGRIND"):
            valgrind_wrappers(tmp)
        run(tmp)
        if os.environ.get("CUSTOS_VALGRIND"):
            valgrind_verdict()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def run(tmp):
    data, pki, pki2 = (os.path.join(tmp, d) for d in ("data", "pki", "pki2"))
    r = subprocess.run([CUSTOSD, "init", data], capture_output=True, text=True)
    check("init creates the data directory", r.returncode == 0, r.stderr)
    modes = {p: oct(os.stat(os.path.join(data, p)).st_mode & 0o777)
             for p in ("tls/key.pem", "keys/ear-signing-key.json", "keys/kek.hex",
                       "keys/admin-key.pem", "custosd.db", "custosd.conf")}
    check("init: secrets and database are 0600", all(m == "0o600" for m in modes.values()), modes)
    r = subprocess.run([CUSTOSD, "init", data], capture_output=True, text=True)
    check("init refuses an existing directory", r.returncode != 0 and "cannot create" in r.stderr,
          r.stderr)
    r = subprocess.run([CUSTOSD, "--help"], capture_output=True, text=True)
    check("--help", r.returncode == 0 and "KBS" in r.stdout)
    r = subprocess.run([CUSTOSD], capture_output=True, text=True)
    check("no --data is a usage error", r.returncode == 2 and "--data" in r.stderr)

    subprocess.run([SIM, "init", pki], check=True, capture_output=True)
    subprocess.run([SIM, "init", pki2], check=True, capture_output=True)
    dsim = os.path.join(tmp, "dcap-sim")
    subprocess.run([DCAP_SIM, "init", dsim], check=True, capture_output=True)
    for f in os.listdir(os.path.join(dsim, "collateral")):
        shutil.copy(os.path.join(dsim, "collateral", f), os.path.join(data, "collateral"))
    gsim = os.path.join(tmp, "gpu-sim")
    subprocess.run([GPU_SIM, "init", gsim], check=True, capture_output=True)
    for f in os.listdir(os.path.join(gsim, "collateral")):
        shutil.copy(os.path.join(gsim, "collateral", f), os.path.join(data, "collateral"))
    roots = os.path.join(tmp, "test-roots.pem")
    with open(roots, "w") as f:
        f.write(open(os.path.join(pki, "ark.pem")).read() + open(os.path.join(dsim, "root.pem")).read()
                + open(os.path.join(gsim, "root.pem")).read())
    for f in ("ask.pem",):
        shutil.copy(os.path.join(pki, f), os.path.join(data, "collateral"))
    shutil.copy(os.path.join(pki, "vcek.pem"), os.path.join(data, "collateral"))
    measurement = report(pki)[0x90:0xC0].hex()

    # Without the INSECURE option the simulated platform is not trusted.
    srv = Server(data)
    try:
        st, b, _ = srv.req("GET", "/v1/challenge")
        ch = json.loads(b)
        rt = {"nonce": ch["nonce"]}
        ev = report(pki, hashlib.sha384(jcs(rt)).digest())
        st, b, _ = srv.req("POST", "/v1/attest", {"session": ch["session"], "evidence": b64u(ev),
                                                  "runtime_data": rt})
        check("a test PKI is refused without --insecure-test-root", st == 401 and b"chain" in b,
              b)
    finally:
        srv.stop()

    # Affirm the simulated workload: its measurement becomes a reference value.
    with open(os.path.join(data, "refvalues.json"), "w") as f:
        json.dump({"version": 1, "sets": {"measurements": {"values": [measurement, TDX_MRTD]}}},
                  f)
    srv = Server(data, ["--insecure-test-root", roots])
    try:
        check("the INSECURE option is announced", "INSECURE" in srv.proc.stderr.readline())
        ops(srv)
        native(srv, pki, pki2, tmp)
        kbs(srv, pki)
        kbs_gpus(srv, pki, gsim, tmp)
        agent_gpus(srv, data, pki, gsim, tmp)
        native_gpus(srv, pki, gsim)
        releases(srv, data, pki, tmp)
        tdx_guest(srv, data, dsim, tmp)
        metrics_and_logs(srv)
    finally:
        rc = srv.stop()
    check("custosd stops cleanly on SIGTERM", rc == 0, rc)
    audit(data)
    rate_limit(data)
    sessions_and_admin_jwks(data, pki)
    hsm(tmp, pki)


def sessions_and_admin_jwks(data, pki):
    """Sessions expire; admin keys may be given as a JWKS file."""
    der = subprocess.run(["openssl", "pkey", "-in", os.path.join(data, "keys/admin-key.pem"),
                          "-pubout", "-outform", "DER"], capture_output=True, check=True).stdout
    with open(os.path.join(data, "keys/admin-jwks.json"), "w") as f:
        json.dump({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": b64u(der[-32:])}]}, f)
    with open(os.path.join(data, "custosd.conf"), "a") as f:
        f.write("session_lifetime = 1\nrate_limit = 0\nadmin_key = keys/admin-jwks.json\n")
    srv = Server(data, ["--insecure-test-root", os.path.join(pki, "ark.pem")])
    try:
        st, b, _ = srv.req("GET", "/v1/admin/tenants/payments/resources",
                           headers=bearer(admin_token(data, "admin")))
        check("admin key from a JWKS file", st == 200, b)
        st, b, cookie = kbs_auth(srv)
        nonce = json.loads(b)["nonce"]
        st, b, _ = srv.req("GET", "/v1/challenge")
        ch = json.loads(b)
        time.sleep(2.1)
        st, b, _ = kbs_attest(srv, pki, cookie, nonce)
        check("kbs: an expired session is refused (401)", st == 401 and b"expired" in b, b)
        rt = {"nonce": ch["nonce"]}
        ev = report(pki, hashlib.sha384(jcs(rt)).digest())
        st, b, _ = srv.req("POST", "/v1/attest", {"session": ch["session"], "evidence": b64u(ev),
                                                  "runtime_data": rt})
        check("v1: an expired challenge is refused (401)", st == 401 and b"expired" in b, b)
    finally:
        srv.stop()


SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"


def hsm(tmp, pki):
    """The KEK in a PKCS#11 token (SoftHSM2): secrets sealed inside the token."""
    if not os.path.exists(SOFTHSM) or not shutil.which("softhsm2-util"):
        check("SoftHSM2 is installed (scripts/install-deps.sh)", False, SOFTHSM)
        return
    data = os.path.join(tmp, "hsm-data")
    tokens = os.path.join(tmp, "tokens")
    os.makedirs(tokens)
    conf = os.path.join(tmp, "softhsm2.conf")
    with open(conf, "w") as f:
        f.write(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = conf
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "custos", "--pin",
                    "1234", "--so-pin", "5678"], check=True, capture_output=True)
    subprocess.run([CUSTOSD, "init", data], check=True, capture_output=True)
    pin = os.path.join(data, "keys/hsm-pin")
    with open(pin, "w") as f:
        f.write("1234\n")
    os.chmod(pin, 0o600)
    args = ["--pkcs11-module", SOFTHSM, "--token", "custos", "--pin-file", pin]
    r = subprocess.run([CUSTOSD, "kek-create", *args], capture_output=True, text=True)
    check("hsm: kek-create makes the AES-256 key in the token", r.returncode == 0, r.stderr)
    r = subprocess.run([CUSTOSD, "kek-create", *args], capture_output=True, text=True)
    check("hsm: an existing KEK is never replaced", r.returncode == 1 and "exists" in r.stderr,
          r.stderr)
    os.unlink(os.path.join(data, "keys/kek.hex"))
    with open(os.path.join(data, "custosd.conf"), "a") as f:
        f.write(f"kek_pkcs11_module = {SOFTHSM}\nkek_pkcs11_token = custos\n"
                f"kek_pkcs11_pin_file = keys/hsm-pin\n")
    for f in ("ask.pem", "vcek.pem"):
        shutil.copy(os.path.join(pki, f), os.path.join(data, "collateral"))
    measurement = report(pki)[0x90:0xC0].hex()
    with open(os.path.join(data, "refvalues.json"), "w") as f:
        json.dump({"version": 1, "sets": {"measurements": {"values": [measurement]}}}, f)
    keyfile = os.path.join(tmp, "tee-EC.jwk")
    pub = json.loads(subprocess.run([JWE_TOOL, "pub"], input=open(keyfile, "rb").read(),
                                    capture_output=True, check=True).stdout)
    secret = b"sealed inside the HSM"
    for round_ in (1, 2):
        srv = Server(data, ["--insecure-test-root", os.path.join(pki, "ark.pem")])
        try:
            admin = admin_token(data, "admin")
            if round_ == 1:
                srv.req("PUT", "/v1/admin/tenants/t", headers=bearer(admin))
                srv.req("POST", "/v1/admin/tenants/t/policies", RELEASE_POLICY,
                        headers=bearer(admin))
                st, b, _ = srv.req("PUT", "/v1/admin/tenants/t/resources/hsm/s",
                                   {"secret": b64u(secret), "policy": "payments-key"},
                                   headers=bearer(admin))
                check("hsm: a secret is sealed through the token", st == 201, b)
            st, cookie, token = kbs_session_with_key(srv, pki, pub)
            st, b, _ = srv.req("GET", "/kbs/v0/resource/t/hsm/s", headers={"Cookie": cookie})
            check(f"hsm: released and decrypted (custosd start {round_})",
                  st == 200 and decrypt(keyfile, b) == secret, (st, b[:200]))
        finally:
            srv.stop()
    with open(pin, "w") as f:
        f.write("0000\n")
    r = subprocess.run([CUSTOSD, "--data", data, "--listen", "127.0.0.1:0"], capture_output=True,
                       text=True, timeout=30)
    check("hsm: a wrong PIN stops custosd with a clear reason",
          r.returncode != 0 and "C_Login" in r.stderr, r.stderr)


def rate_limit(data):
    conf = os.path.join(data, "custosd.conf")
    with open(conf, "a") as f:
        f.write("rate_limit = 5\ntimeout = 2\nthreads = 2\n")
    srv = Server(data)
    try:
        # Slow clients: idle connections (more than there are workers) hold nothing up,
        # and are closed after the timeout.
        import socket
        idle = []
        for _ in range(12):
            raw = socket.create_connection(("127.0.0.1", srv.port))
            idle.append(srv.ctx.wrap_socket(raw, server_hostname="localhost"))
        idle[0].send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        t0 = time.time()
        st = srv.req("GET", "/readyz")[0]
        check("slow clients: 12 idle connections do not hold up a request",
              st == 200 and time.time() - t0 < 1.5, (st, time.time() - t0))
        time.sleep(3.5)
        closed = 0
        for sk in idle:
            sk.settimeout(1)
            try:
                closed += sk.recv(1) == b""
            except (OSError, ssl.SSLError):
                closed += 1
            sk.close()
        check("slow clients: idle connections are closed after the timeout", closed == 12,
              closed)
        codes = [srv.req("GET", "/healthz") for _ in range(30)]
        limited = [c for c in codes if c[0] == 429]
        check("rate limit: a client over its rate gets 429 with Retry-After",
              limited and limited[0][2].get("Retry-After") == "1"
              and b"too many requests" in limited[0][1], [c[0] for c in codes])
        check("rate limit: the burst (twice the rate) is served first",
              all(c[0] == 200 for c in codes[:10]), [c[0] for c in codes])
        time.sleep(1.2)
        check("rate limit: the bucket refills", srv.req("GET", "/healthz")[0] == 200)
    finally:
        srv.stop()


def ops(srv):
    st, b, _ = srv.req("GET", "/healthz")
    check("healthz", st == 200 and json.loads(b)["status"] == "ok")
    st, b, _ = srv.req("GET", "/readyz")
    check("readyz", st == 200)
    st, b, h = srv.req("GET", "/.well-known/jwks.json")
    jwks = json.loads(b)
    check("jwks: the signing key, public only",
          st == 200 and len(jwks["keys"]) == 1 and "d" not in jwks["keys"][0]
          and h.get("Content-Type") == "application/jwk-set+json")
    st, b, _ = srv.req("GET", "/.well-known/openid-configuration")
    oc = json.loads(b)
    check("openid-configuration", st == 200 and oc["jwks_uri"].endswith("/.well-known/jwks.json")
          and oc["id_token_signing_alg_values_supported"] == ["ES256"])
    st, _, _ = srv.req("GET", "/no/such/path")
    check("unknown path: 404", st == 404)
    st, _, _ = srv.req("DELETE", "/healthz")
    check("wrong method: 405", st == 405)
    st, b, _ = srv.req("POST", "/v1/attest", raw=b"x" * (1024 * 1024 + 1))
    check("a body over the limit: 413", st == 413, st)


def attest_v1(srv, pki, runtime_extra=None, evidence_pki=None, bind=None, session=None):
    st, b, _ = srv.req("GET", "/v1/challenge")
    ch = json.loads(b)
    rt = {"nonce": ch["nonce"], **(runtime_extra or {})}
    ev = report(evidence_pki or pki, hashlib.sha384(jcs(bind or rt)).digest())
    return srv.req("POST", "/v1/attest", {"session": session or ch["session"],
                                          "evidence": b64u(ev), "runtime_data": rt}), ch


def save_jwks_and_token(srv, tmp, suffix, token):
    """custosd's JWKS and a token in files, for custos token verify: their paths."""
    jwks_path = os.path.join(tmp, "jwks%s.json" % suffix)
    with open(jwks_path, "wb") as f:
        f.write(srv.req("GET", "/.well-known/jwks.json")[1])
    tok_path = os.path.join(tmp, "token" + suffix)
    with open(tok_path, "w") as f:
        f.write(token)
    return jwks_path, tok_path


def native(srv, pki, pki2, tmp):
    st, b, _ = srv.req("GET", "/v1/challenge")
    ch = json.loads(b)
    check("challenge: 32-byte nonce, session, expiry",
          st == 200 and len(base64.urlsafe_b64decode(ch["nonce"] + "=")) == 32
          and re.match(r"^[0-9a-f-]{36}$", ch["session"]) and ch["expires"].endswith("Z"))

    (st, b, _), ch = attest_v1(srv, pki, {"tee-pubkey": TEE_PUBKEY})
    res = json.loads(b)
    check("v1 attest: affirming result", st == 200 and res.get("status") == "affirming", b[:300])
    token = res.get("token", "")
    jwks_path, tok_path = save_jwks_and_token(srv, tmp, "", token)
    r = subprocess.run([CUSTOS, "token", "verify", tok_path, "--jwks", jwks_path],
                       capture_output=True, text=True)
    check("the token verifies with custos token verify", r.returncode == 0, r.stderr)
    claims = json.loads(r.stdout) if r.returncode == 0 else {}
    cpu = claims.get("submods", {}).get("cpu0", {})
    ae = cpu.get("ear.veraison.annotated-evidence", {})
    check("the result carries the verified claims and runtime data",
          ae.get("tee") == "sev-snp" and ae.get("runtime_data_claims", {}).get("tee-pubkey")
          == TEE_PUBKEY and ae.get("insecure_test_roots") is True, ae.keys())
    check("eat_nonce is the challenge", claims.get("eat_nonce") == ch["nonce"])
    check("exp - iat is the token lifetime", claims.get("exp", 0) - claims.get("iat", 0) == 300)
    st, b, _ = srv.req("POST", "/v1/attest", {"session": ch["session"], "evidence": b64u(b"x"),
                                              "runtime_data": {"nonce": ch["nonce"]}})
    check("a used session attested already: evidence is checked again", st == 401, (st, b))

    # Refusals.
    (st, b, _), _ = attest_v1(srv, pki, runtime_extra={"tee-pubkey": TEE_PUBKEY},
                              bind={"nonce": "another", "tee-pubkey": TEE_PUBKEY})
    check("evidence bound to other runtime data: 401 binding", st == 401 and b"binding" in b, b)
    (st, b, _), _ = attest_v1(srv, pki, evidence_pki=pki2)
    check("evidence from another platform PKI: 401", st == 401, b)
    (st, b, _), _ = attest_v1(srv, pki, session="00000000-0000-4000-8000-000000000000")
    check("unknown session: 401", st == 401 and b"session" in b, b)
    st, b, _ = srv.req("GET", "/v1/challenge")
    other = json.loads(b)
    (st, b, _), _ = attest_v1(srv, pki, session=other["session"])
    check("a foreign nonce (another session's): 401", st == 401 and b"nonce" in b, b)
    st, b, _ = srv.req("POST", "/v1/attest", raw=b"{not json")
    check("malformed JSON: 400", st == 400, b)
    st, b, _ = srv.req("POST", "/v1/attest", {"session": "x"})
    check("missing fields: 400 naming them", st == 400 and b"runtime_data" in b, b)
    session = json.loads(srv.req("GET", "/v1/challenge")[1])["session"]
    st, b, _ = srv.req("POST", "/v1/attest", {"session": session, "evidence": b64u(report(pki)),
                                              "runtime_data": {"nonce": "AAAA"}})
    check("a wrong nonce for a real session: 401", st == 401 and b"nonce" in b, b)


def kbs_auth(srv, tee="snp", version="0.4.0"):
    st, b, h = srv.req("POST", "/kbs/v0/auth", {"version": version, "tee": tee,
                                                "extra-params": ""})
    cookie = (h.get("Set-Cookie") or "").split(";")[0]
    return st, b, cookie


def kbs_attest(srv, pki, cookie, nonce, bind_nonce=None, additional="", with_chain=True,
               debug=False):
    binding = {"additional-evidence": additional, "nonce": bind_nonce or nonce,
               "tee-pubkey": TEE_PUBKEY}
    rep = report(pki, hashlib.sha384(jcs(binding)).digest(), **({"policy_debug": True} if debug
                                                                 else {}))
    chain = [{"cert_type": "VCEK", "data": list(pem_to_der(os.path.join(pki, "vcek.pem")))}]
    body = {"runtime-data": {"nonce": nonce, "tee-pubkey": TEE_PUBKEY},
            "tee-evidence": {"primary_evidence": {"attestation_report": sev_json(rep),
                                                  "cert_chain": chain if with_chain else None},
                             "additional_evidence": additional}}
    return srv.req("POST", "/kbs/v0/attest", body, headers={"Cookie": cookie} if cookie else {})


def kbs_nitro(srv):
    """tee "nitro" (a Custos extension): the document reaches the Nitro verifier, whose
    refusal of a real 2022 document (its leaf expired long ago) is the KBS's answer."""
    corpus = os.environ.get("CUSTOS_CORPUS", "")
    doc = os.path.join(corpus, "nitro/evervault-nondebug-2022/attestation_doc.cbor")
    if not os.path.exists(doc):
        return
    st, b, cookie = kbs_auth(srv, tee="nitro")
    check("kbs auth: tee nitro", st == 200 and b"nonce" in b, (st, b))
    nonce = json.loads(b)["nonce"]
    body = {"runtime-data": {"nonce": nonce, "tee-pubkey": TEE_PUBKEY},
            "tee-evidence": {"primary_evidence": {"attestation_document": base64.b64encode(
                open(doc, "rb").read()).decode()}, "additional_evidence": ""}}
    st, b, _ = srv.req("POST", "/kbs/v0/attest", body, headers={"Cookie": cookie})
    check("kbs attest: a Nitro document is verified as one (and this old one refused)",
          st == 401 and b"nitro" in b and b"expired" in b, (st, b))
    body["tee-evidence"]["primary_evidence"] = {"document": "x"}
    st, b, cookie = kbs_auth(srv, tee="nitro")
    body["runtime-data"]["nonce"] = json.loads(b)["nonce"]
    st, b, _ = srv.req("POST", "/kbs/v0/attest", body, headers={"Cookie": cookie})
    check("kbs attest: nitro evidence of another shape is refused, saying which",
          st == 401 and b"attestation_document" in b, (st, b))


def kbs(srv, pki):
    kbs_nitro(srv)
    st, b, cookie = kbs_auth(srv)
    ch = json.loads(b)
    check("kbs auth: challenge and cookie",
          st == 200 and len(base64.b64decode(ch["nonce"])) == 32 and ch["extra-params"] == ""
          and cookie.startswith("kbs-session-id="), (st, b, cookie))
    st, b, _ = kbs_attest(srv, pki, cookie, ch["nonce"])
    check("kbs attest: token for SnpEvidence JSON with the VCEK in cert_chain",
          st == 200 and "token" in json.loads(b), b[:300])
    token = json.loads(b).get("token") if st == 200 else None
    st, b, _ = kbs_attest(srv, pki, cookie, ch["nonce"])
    check("kbs attest again in the same session: the same token",
          st == 200 and json.loads(b).get("token") == token)

    def err_kind(b):
        try:
            return json.loads(b)["type"].rsplit("/", 1)[1]
        except Exception:
            return None

    st, b, cookie = kbs_auth(srv)
    ch = json.loads(b)
    st, b, _ = kbs_attest(srv, pki, cookie, ch["nonce"], bind_nonce="Zm9yZWlnbg==")
    check("kbs: evidence bound to another nonce: 401 AttestationError",
          st == 401 and err_kind(b) == "AttestationError", b)
    st, b, _ = kbs_attest(srv, pki, cookie, "Zm9yZWlnbg==")
    check("kbs: a foreign nonce: 401", st == 401 and b"challenge" in b, b)
    st, b, _ = kbs_attest(srv, pki, None, ch["nonce"])
    check("kbs: no cookie: 401", st == 401 and b"cookie" in b, b)
    st, b, _ = kbs_attest(srv, pki, "kbs-session-id=nope", ch["nonce"])
    check("kbs: unknown session: 401", st == 401, b)
    st, b, c2 = kbs_auth(srv, version="0.3.0")
    check("kbs: protocol 0.3.0 refused", st == 401 and b"0.4.0" in b, b)
    st, b, _ = kbs_auth(srv, tee="cca")
    check("kbs: an unsupported TEE is refused by name", st == 401 and b"cca" in b, b)
    st, b, cookie = kbs_auth(srv)
    ch = json.loads(b)
    st, b, _ = srv.req("POST", "/kbs/v0/attest", {"runtime-data": {"nonce": ch["nonce"]}},
                       headers={"Cookie": cookie})
    check("kbs: malformed attestation: 401 SerdeError", st == 401 and err_kind(b) == "SerdeError",
          b)
    st, b, _ = kbs_attest(srv, pki, cookie, ch["nonce"], additional='{"gpu":"x"}')
    check("kbs: additional evidence of a TEE Custos cannot check is refused by name",
          st == 401 and b'"gpu"' in b.replace(b'\\', b''), b)
    st, b, cookie = kbs_auth(srv)
    ch = json.loads(b)
    st, b, _ = kbs_attest(srv, pki, cookie, ch["nonce"], with_chain=False)
    check("kbs: without cert_chain the collateral directory's VCEK is used", st == 200, b)
    # A report field changed in the JSON no longer matches the signature.
    st, b, cookie = kbs_auth(srv)
    ch = json.loads(b)
    binding = {"additional-evidence": "", "nonce": ch["nonce"], "tee-pubkey": TEE_PUBKEY}
    rep = report(pki, hashlib.sha384(jcs(binding)).digest())
    j = sev_json(rep)
    j["guest_svn"] += 1
    body = {"runtime-data": {"nonce": ch["nonce"], "tee-pubkey": TEE_PUBKEY},
            "tee-evidence": {"primary_evidence": {"attestation_report": j, "cert_chain": None},
                             "additional_evidence": ""}}
    st, b, _ = srv.req("POST", "/kbs/v0/attest", body, headers={"Cookie": cookie})
    check("kbs: a report changed in transit fails its signature", st == 401 and b"signature" in b,
          b)


def gpu_device(gsim, nonce, pubkey=TEE_PUBKEY, **kw):
    """custos-gpu-sim's device evidence bound as Trustee binds additional devices:
    SHA-384(JCS({"nonce", "tee-pubkey"})), truncated to the 32-byte SPDM nonce."""
    rd = hashlib.sha384(jcs({"nonce": nonce, "tee-pubkey": pubkey})).hexdigest()
    args = [GPU_SIM, "evidence", gsim, "--nonce", rd]
    for k, v in kw.items():
        args += ["--" + k, v]
    return json.loads(subprocess.run(args, capture_output=True, check=True, text=True).stdout)


def token_claims(token):
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def kbs_gpus(srv, pki, gsim, tmp):
    """Composite attestation: an SNP guest with two simulated H100s in one KBS attestation,
    one EAR with submodules cpu0, gpu0, gpu1; release policies over all of them."""
    st, b, cookie = kbs_auth(srv)
    nonce = json.loads(b)["nonce"]
    gpus = [gpu_device(gsim, nonce, uuid="GPU-0"), gpu_device(gsim, nonce, uuid="GPU-1")]
    additional = json.dumps({"nvidia": {"device_evidence_list": gpus}})
    st, b, _ = kbs_attest(srv, pki, cookie, nonce, additional=additional)
    check("kbs: CPU + 2 GPUs attest together", st == 200, b[:300])
    token = json.loads(b).get("token", "") if st == 200 else ""
    sub = token_claims(token).get("submods", {}) if token else {}
    check("one EAR with submodules cpu0, gpu0, gpu1, all affirming",
          sorted(sub) == ["cpu0", "gpu0", "gpu1"]
          and all(m.get("ear.status") == "affirming" for m in sub.values()), sub.keys())
    con = sqlite3.connect(os.path.join(srv.data, "custosd.db"), timeout=10)
    rec = json.loads(con.execute("SELECT data FROM audit WHERE kind = 'attestation' "
                                 "ORDER BY seq DESC LIMIT 1").fetchone()[0])
    con.close()
    want = [hashlib.sha256(jcs(d)).hexdigest() for d in gpus]
    check("the audit record keeps each GPU's evidence by digest (SHA-256 of its RFC 8785 form)",
          rec.get("additional_evidence_sha256") == want, rec)
    g = sub.get("gpu0", {}).get("ear.veraison.annotated-evidence", {})
    check("the GPU submodule carries the GPU's verified claims and its RIM comparison",
          g.get("tee") == "nvidia-gpu" and g.get("gpu", {}).get("rim", {}).get("result") == "match"
          and g.get("insecure_test_roots") is True, g.get("gpu", {}).get("rim"))
    jwks_path, tok_path = save_jwks_and_token(srv, tmp, "-gpu", token)
    pol = {"version": 1, "kind": "release", "id": "model-key", "revision": 1,
           "allow": {"allOf": [{"claim": "submods.cpu0.ear.status", "equals": "affirming"},
                               {"claim": "submods.gpu0.ear.status", "equals": "affirming"},
                               {"claim": "submods.gpu1.ear.status", "equals": "affirming"}]}}
    pol_path = os.path.join(tmp, "release-gpu.json")
    with open(pol_path, "w") as f:
        json.dump(pol, f)
    r = subprocess.run([CUSTOS, "token", "verify", tok_path, "--jwks", jwks_path, "--policy",
                        pol_path], capture_output=True, text=True)
    check("a release policy requiring every GPU affirming allows this result", r.returncode == 0,
          r.stderr)

    # A GPU whose block 11 is not what its VBIOS RIM lists: its submodule is only a warning,
    # and the same policy denies, naming the GPU.
    st, b, cookie = kbs_auth(srv)
    nonce = json.loads(b)["nonce"]
    gpus = [gpu_device(gsim, nonce), gpu_device(gsim, nonce, measurement="11=" + "ee" * 48)]
    st, b, _ = kbs_attest(srv, pki, cookie, nonce,
                          additional=json.dumps({"nvidia": {"device_evidence_list": gpus}}))
    token = json.loads(b).get("token", "") if st == 200 else ""
    sub = token_claims(token).get("submods", {}) if token else {}
    check("a GPU with an unlisted measurement value: its submodule is not affirming",
          st == 200 and sub.get("gpu1", {}).get("ear.status") == "warning"
          and sub.get("gpu0", {}).get("ear.status") == "affirming", (st, b[:200]))
    with open(tok_path, "w") as f:
        f.write(token)
    r = subprocess.run([CUSTOS, "token", "verify", tok_path, "--jwks", jwks_path, "--policy",
                        pol_path], capture_output=True, text=True)
    check("... and the release policy denies it, naming gpu1",
          r.returncode != 0 and "gpu1" in r.stdout + r.stderr, (r.stdout, r.stderr))

    # A GPU bound to other runtime data (another session's nonce) is refused: no token at all.
    st, b, cookie = kbs_auth(srv)
    nonce = json.loads(b)["nonce"]
    gpus = [gpu_device(gsim, nonce), gpu_device(gsim, "b3RoZXIgbm9uY2U=")]
    st, b, _ = kbs_attest(srv, pki, cookie, nonce,
                          additional=json.dumps({"nvidia": {"device_evidence_list": gpus}}))
    check("kbs: a GPU bound to other runtime data is refused, naming it",
          st == 401 and b"gpu1: nvgpu: the request nonce" in b and b"expected" in b, b)
    # The additional evidence is itself in the CPU's binding: swapping it after is caught.
    st, b, cookie = kbs_auth(srv)
    nonce = json.loads(b)["nonce"]
    one = json.dumps({"nvidia": {"device_evidence_list": [gpu_device(gsim, nonce)]}})
    binding = {"additional-evidence": one, "nonce": nonce, "tee-pubkey": TEE_PUBKEY}
    rep = report(pki, hashlib.sha384(jcs(binding)).digest())
    two = json.dumps({"nvidia": {"device_evidence_list": [gpu_device(gsim, nonce)] * 2}})
    body = {"runtime-data": {"nonce": nonce, "tee-pubkey": TEE_PUBKEY},
            "tee-evidence": {"primary_evidence": {"attestation_report": sev_json(rep),
                                                  "cert_chain": None},
                             "additional_evidence": two}}
    st, b, _ = srv.req("POST", "/kbs/v0/attest", body, headers={"Cookie": cookie})
    check("kbs: additional evidence changed after the CPU signed the binding is refused",
          st == 401 and b"REPORT_DATA" in b and b"expected" in b, b)


def native_gpus(srv, pki, gsim):
    """/v1/attest with additional_evidence: the GPUs bound to the same runtime data."""
    st, b, _ = srv.req("GET", "/v1/challenge")
    ch = json.loads(b)
    rt = {"nonce": ch["nonce"], "tee-pubkey": TEE_PUBKEY}
    digest = hashlib.sha384(jcs(rt)).digest()

    def gpu(d):
        r = subprocess.run([GPU_SIM, "evidence", gsim, "--nonce", d.hex()], capture_output=True,
                           check=True, text=True)
        return json.loads(r.stdout)

    body = {"session": ch["session"], "evidence": b64u(report(pki, digest)),
            "runtime_data": rt,
            "additional_evidence": {"nvidia": {"device_evidence_list": [gpu(digest)]}}}
    st, b, _ = srv.req("POST", "/v1/attest", body)
    res = json.loads(b) if st == 200 else {}
    sub = token_claims(res.get("token", "")).get("submods", {}) if st == 200 else {}
    check("v1 attest with a GPU: submodules cpu0 and gpu0, affirming",
          sorted(sub) == ["cpu0", "gpu0"] and res.get("status") == "affirming", b[:300])
    st, b, _ = srv.req("GET", "/v1/challenge")
    ch = json.loads(b)
    rt = {"nonce": ch["nonce"], "tee-pubkey": TEE_PUBKEY}
    digest = hashlib.sha384(jcs(rt)).digest()
    body = {"session": ch["session"], "evidence": b64u(report(pki, digest)),
            "runtime_data": rt,
            "additional_evidence": {"nvidia": {"device_evidence_list": [gpu(b"\x01" * 48)]}}}
    st, b, _ = srv.req("POST", "/v1/attest", body)
    check("v1 attest: a GPU bound to other runtime data is refused, naming it",
          st == 401 and b"gpu0: nvgpu: the request nonce" in b, b)
    body["additional_evidence"] = {"amd-gpu": {}}
    st, b, _ = srv.req("POST", "/v1/attest", body)
    check("v1 attest: additional evidence Custos cannot check: 400 naming it",
          st == 400 and b"amd-gpu" in b, b)


def agent_gpus(srv, data, pki, gsim, tmp):
    """custos-agent collects the GPUs through NVML (here a TEST stand-in at its dlopen seam,
    answering for custos-gpu-sim's H100s) and attests them with the CPU."""
    standin = os.environ.get("CUSTOS_NVML_STANDIN") or os.path.join(
        os.environ.get("CUSTOS_BUILD_ROOT", ""), "tests", "libnvml-standin.so")
    agent = os.path.join(os.path.dirname(CUSTOSD) if os.environ.get("CUSTOS_VALGRIND")
                         else os.path.dirname(CUSTOS), "custos-agent")
    base = [agent, "token", "--url", f"https://127.0.0.1:{srv.port}", "--ca",
            os.path.join(data, "tls/cert.pem"), "--attester", "sim", "--sim-pki", pki,
            "--sim-tool", SIM]
    env = dict(os.environ, CUSTOS_AGENT_NVML=standin, CUSTOS_NVML_STANDIN_DIR=gsim)
    ready = os.path.join(gsim, "ready")
    if os.path.exists(ready):
        os.unlink(ready)
    r = subprocess.run(base, capture_output=True, text=True, env=env)
    sub = token_claims(r.stdout.strip()).get("submods", {}) if r.returncode == 0 else {}
    check("custos-agent: the CPU and its 2 GPUs in one result, all affirming",
          sorted(sub) == ["cpu0", "gpu0", "gpu1"]
          and all(m.get("ear.status") == "affirming" for m in sub.values())
          and "2 GPU(s)" in r.stderr, r.stderr)
    check("custos-agent: the GPUs are set ready once the KBS accepted them",
          os.path.exists(ready) and open(ready).read().strip() == "1")
    r = subprocess.run(base + ["--gpu", "off"], capture_output=True, text=True, env=env)
    sub = token_claims(r.stdout.strip()).get("submods", {}) if r.returncode == 0 else {}
    check("custos-agent --gpu off: the CPU alone", sorted(sub) == ["cpu0"], r.stderr)
    env_none = dict(env, CUSTOS_AGENT_NVML=os.path.join(tmp, "no-libnvidia-ml.so"))
    r = subprocess.run(base, capture_output=True, text=True, env=env_none)
    check("custos-agent: without NVML (no driver), auto attests the CPU alone",
          r.returncode == 0 and "GPU" not in r.stderr, r.stderr)
    r = subprocess.run(base + ["--gpu", "required"], capture_output=True, text=True,
                       env=env_none)
    check("custos-agent --gpu required without NVML: a clear error",
          r.returncode == 2 and "no NVIDIA driver" in r.stderr, r.stderr)
    r = subprocess.run(base, capture_output=True, text=True,
                       env=dict(env, CUSTOS_NVML_STANDIN_ARCH="10"))
    check("custos-agent: a GPU of another architecture is refused by name",
          r.returncode == 2 and "only Hopper" in r.stderr, r.stderr)


def admin_token(data, role, tenant=None, lifetime=600, key=None):
    args = [CUSTOS, "admin", "token", "--key", key or os.path.join(data, "keys/admin-key.pem"),
            "--role", role, "--lifetime", str(lifetime)]
    if tenant:
        args += ["--tenant", tenant]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def kbs_session_with_key(srv, pki, pubkey, debug=False):
    st, b, cookie = kbs_auth(srv)
    nonce = json.loads(b)["nonce"]
    binding = {"additional-evidence": "", "nonce": nonce, "tee-pubkey": pubkey}
    rep = report(pki, hashlib.sha384(jcs(binding)).digest(),
                 **({"policy_debug": True} if debug else {}))
    body = {"runtime-data": {"nonce": nonce, "tee-pubkey": pubkey},
            "tee-evidence": {"primary_evidence": {"attestation_report": sev_json(rep),
                                                  "cert_chain": None},
                             "additional_evidence": ""}}
    st, b, _ = srv.req("POST", "/kbs/v0/attest", body, headers={"Cookie": cookie})
    return st, cookie, (json.loads(b).get("token") if st == 200 else None)


def decrypt(keyfile, jwe_bytes):
    r = subprocess.run([JWE_TOOL, "decrypt", keyfile], input=jwe_bytes, capture_output=True)
    return r.stdout if r.returncode == 0 else None


RELEASE_POLICY = {
    "version": 1, "kind": "release", "id": "payments-key", "revision": 1,
    "allow": {"allOf": [
        {"claim": "submods.cpu0.ear.status", "equals": "affirming"},
        {"claim": "submods.cpu0.ear.veraison.annotated-evidence.tee", "equals": "sev-snp"}]}}


class TsmProvider:
    """configfs-tsm emulated under ROOT: a thread that answers each report directory's
    inblob with answer(inblob) -> {attribute: bytes}, as a TSM provider does, and the
    guest device /dev/DEVICE the agent looks for."""

    def __init__(self, root, device, answer):
        import threading
        self.reports = os.path.join(root, "sys/kernel/config/tsm/report")
        os.makedirs(self.reports, exist_ok=True)
        os.makedirs(os.path.join(root, "dev"), exist_ok=True)
        open(os.path.join(root, "dev", device), "w").close()
        self.answer = answer
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done.is_set():
            for d in os.listdir(self.reports):
                inblob = os.path.join(self.reports, d, "inblob")
                if os.path.exists(inblob) and not os.path.exists(os.path.join(self.reports, d,
                                                                              "outblob")):
                    rd = open(inblob, "rb").read()
                    if len(rd) != 64:
                        continue
                    attrs = dict(self.answer(rd), generation=b"1\n")
                    out = attrs.pop("outblob")
                    for name, data in list(attrs.items()) + [("outblob", out)]:
                        with open(os.path.join(self.reports, d, name + ".tmp"), "wb") as f:
                            f.write(data)
                        os.rename(os.path.join(self.reports, d, name + ".tmp"),
                                  os.path.join(self.reports, d, name))
            time.sleep(0.005)

    def stop(self):
        self.done.set()
        self.thread.join()


TDX_POLICY = {
    "version": 1, "kind": "release", "id": "tdx-key", "revision": 1,
    "allow": {"allOf": [
        {"claim": "submods.cpu0.ear.status", "equals": "affirming"},
        {"claim": "submods.cpu0.ear.veraison.annotated-evidence.tee", "equals": "tdx"},
        {"claim": "submods.cpu0.ear.veraison.annotated-evidence.tcb_status",
         "equals": "UpToDate"}]}}


def tdx_guest(srv, data, dsim, tmp):
    """A TDX guest behind configfs-tsm (custos-dcap-sim's quotes and CC event log) fetches
    a secret over the KBS protocol: quote, PCK chain, Intel-form collateral, event log."""
    admin = admin_token(data, "admin")
    st, b, _ = srv.req("POST", "/v1/admin/tenants/payments/policies", TDX_POLICY,
                       headers=bearer(admin))
    check("admin: a release policy for TDX guests", st == 201, b)
    secret = b"tdx model key"
    st, b, _ = srv.req("PUT", "/v1/admin/tenants/payments/resources/key/tdx",
                       {"secret": b64u(secret), "policy": "tdx-key"}, headers=bearer(admin))
    check("admin: a secret for TDX guests", st == 201, b)
    agent = os.path.join(os.path.dirname(CUSTOSD) if os.environ.get("CUSTOS_VALGRIND")
                         else os.path.dirname(CUSTOS), "custos-agent")
    root = os.path.join(tmp, "tdx-root")
    ccel = os.path.join(root, "sys/firmware/acpi/tables/data/CCEL")
    os.makedirs(os.path.dirname(ccel))
    tamper = {"ccel": False}

    def quote(rd):
        q = subprocess.run([DCAP_SIM, "quote", dsim, "--report-data", rd.hex(), "--eventlog",
                            ccel], capture_output=True, check=True).stdout
        if tamper["ccel"]:
            log = bytearray(open(ccel, "rb").read())
            log[-60] ^= 1  # a digest of the last event
            open(ccel, "wb").write(bytes(log))
        return {"outblob": q, "provider": b"tdx_guest\n"}

    tsm = TsmProvider(root, "tdx_guest", quote)
    env = dict(os.environ, CUSTOS_AGENT_SYSROOT=root)
    url = f"https://127.0.0.1:{srv.port}"
    ca = os.path.join(data, "tls/cert.pem")
    try:
        r = subprocess.run([agent, "get-resource", "kbs:///payments/key/tdx", "--url", url,
                            "--ca", ca], capture_output=True, env=env, timeout=60)
        check("TDX guest: configfs-tsm quote + CC event log, verified and released over KBS",
              r.returncode == 0 and r.stdout == secret, r.stderr)
        r = subprocess.run([agent, "token", "--url", url, "--ca", ca], capture_output=True,
                           env=env, timeout=60, text=True)
        tok = r.stdout.strip().split(".")
        ear = json.loads(base64.urlsafe_b64decode(tok[1] + "==")) if len(tok) == 3 else {}
        ae = ear.get("submods", {}).get("cpu0", {}).get("ear.veraison.annotated-evidence", {})
        check("TDX guest: the result carries the TD's claims and its replayed event log",
              r.returncode == 0 and ae.get("tee") == "tdx" and ae.get("measurement") == TDX_MRTD
              and ae.get("tcb_status") == "UpToDate"
              and ae.get("tdx", {}).get("eventlog", {}).get("kernel_cmdline")
              == "console=hvc0 root=/dev/vda1", r.stderr)
        r = subprocess.run([agent, "get-resource", "kbs:///payments/key/payments", "--url", url,
                            "--ca", ca], capture_output=True, env=env, timeout=60, text=True)
        check("TDX guest: an SEV-SNP-only secret is refused, with the clause",
              r.returncode == 1 and "PolicyDeny" in r.stderr and "sev-snp" in r.stderr,
              r.stderr)
        tamper["ccel"] = True
        r = subprocess.run([agent, "get-resource", "kbs:///payments/key/tdx", "--url", url,
                            "--ca", ca], capture_output=True, env=env, timeout=60, text=True)
        check("TDX guest: an event log that does not replay to the RTMRs is refused",
              r.returncode == 1 and "RTMR2" in r.stderr and not r.stdout, r.stderr)
    finally:
        tsm.stop()


def bad_kbs(agent, data, sim):
    """A KBS that answers badly: not JSON, no nonce, an oversized body, a resource that is
    no JWE. The agent says what went wrong and exits non-zero, never crashes, writes nothing."""
    import http.server
    import threading
    answers = {
        "not-json": (200, b"<html>maintenance</html>"),
        "no-nonce": (200, b'{"extra-params": ""}'),
        "huge": (200, b'{"nonce": "' + b"A" * (3 << 20) + b'"}'),
        "error-500": (500, b"internal error"),
        "bare-type": (401, b'{"type": "NoSlash", "detail": "a reason"}'),
    }
    mode = {"m": "not-json"}

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(n)
            st, body = answers[mode["m"]]
            self.send_response(st)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass

        def log_message(self, *a):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(data, "tls/cert.pem"), os.path.join(data, "tls/key.pem"))
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    th = threading.Thread(target=httpd.serve_forever, daemon=True)
    th.start()
    url = f"https://127.0.0.1:{httpd.server_address[1]}"
    try:
        for m, want in (("not-json", "not JSON"), ("no-nonce", "auth"), ("huge", "too large"),
                        ("error-500", "500"), ("bare-type", "NoSlash: a reason")):
            mode["m"] = m
            r = subprocess.run([agent, "get-resource", "kbs:///a/b/c", "--url", url, "--ca",
                                os.path.join(data, "tls/cert.pem"), *sim],
                               capture_output=True, text=True, timeout=60)
            check(f"custos-agent against a bad KBS ({m}): a clear error, nothing printed",
                  r.returncode in (1, 2) and want in r.stderr and not r.stdout
                  and r.returncode < 128, (r.returncode, r.stderr[-300:]))
    finally:
        httpd.shutdown()


def releases(srv, data, pki, tmp):
    admin = admin_token(data, "admin")
    st, b, _ = srv.req("PUT", "/v1/admin/tenants/payments", headers=bearer(admin))
    check("admin: create tenant", st == 201, (st, b))
    st, b, _ = srv.req("PUT", "/v1/admin/tenants/payments", headers=bearer(admin))
    check("admin: creating it again is idempotent", st == 200, (st, b))
    srv.req("PUT", "/v1/admin/tenants/other", headers=bearer(admin))
    st, b, _ = srv.req("POST", "/v1/admin/tenants/payments/policies", RELEASE_POLICY,
                       headers=bearer(admin))
    check("admin: store a release policy", st == 201 and b"policy:payments-key@1" in b, b)
    changed = json.loads(json.dumps(RELEASE_POLICY))
    changed["allow"]["allOf"].pop()
    st, b, _ = srv.req("POST", "/v1/admin/tenants/payments/policies", changed,
                       headers=bearer(admin))
    check("admin: a stored revision is immutable (409)", st == 409 and b"immutable" in b, b)
    bad = {"version": 1, "kind": "release", "id": "x", "allow": {"claim": "a", "equal": 1}}
    st, b, _ = srv.req("POST", "/v1/admin/tenants/payments/policies", bad, headers=bearer(admin))
    check("admin: a bad policy is refused with its JSON path", st == 400 and b"$.allow" in b, b)
    secret = b"payments master key \x00\x01\xff"
    st, b, _ = srv.req("PUT", "/v1/admin/tenants/payments/resources/key/payments",
                       {"secret": b64u(secret), "policy": "payments-key"}, headers=bearer(admin))
    check("admin: store a secret under the policy", st == 201, b)
    st, b, _ = srv.req("PUT", "/v1/admin/tenants/payments/resources/key/nopolicy",
                       {"secret": b64u(b"x"), "policy": "missing"}, headers=bearer(admin))
    check("admin: a secret naming no stored policy is refused", st == 400, b)
    st, b, _ = srv.req("GET", "/v1/admin/tenants/payments/resources", headers=bearer(admin))
    check("admin: list resources, names only",
          st == 200 and json.loads(b)["resources"][0]["name"] == "key/payments"
          and secret not in b and b64u(secret).encode() not in b, b)
    con = sqlite3.connect(os.path.join(data, "custosd.db"))
    blobs = b"".join(r[0] for r in con.execute("SELECT sealed FROM resource"))
    con.close()
    check("the database holds the secret sealed, never in the clear",
          blobs and secret not in blobs)

    # The guest's key for the JWE: EC P-256 and RSA-2048.
    for kty in ("EC", "RSA"):
        keyfile = os.path.join(tmp, f"tee-{kty}.jwk")
        with open(keyfile, "wb") as f:
            f.write(subprocess.run([JWE_TOOL, "keygen", kty], capture_output=True,
                                   check=True).stdout)
        pub = json.loads(subprocess.run([JWE_TOOL, "pub"], input=open(keyfile, "rb").read(),
                                        capture_output=True, check=True).stdout)
        st, cookie, token = kbs_session_with_key(srv, pki, pub)
        st, b, _ = srv.req("GET", "/kbs/v0/resource/payments/key/payments",
                           headers={"Cookie": cookie})
        jwe = json.loads(b) if st == 200 else {}
        hdr = json.loads(base64.urlsafe_b64decode(jwe.get("protected", "e30") + "=="))
        check(f"kbs resource ({kty}): a flattened JWE with exactly the KBS members",
              st == 200 and sorted(jwe) == ["ciphertext", "encrypted_key", "iv", "protected",
                                            "tag"]
              and hdr.get("enc") == "A256GCM"
              and hdr.get("alg") == ("ECDH-ES+A256KW" if kty == "EC" else "RSA-OAEP-256")
              and (kty == "RSA" or "epk" in hdr), (st, b[:200], hdr))
        check(f"kbs resource ({kty}): the TEE key decrypts the secret",
              decrypt(keyfile, b) == secret)
        st, b, _ = srv.req("GET", "/kbs/v0/resource/payments/key/payments",
                           headers=bearer(token))
        check(f"kbs resource ({kty}) with the EAR as bearer token", st == 200
              and decrypt(keyfile, b) == secret, (st, b[:200]))
        st, b, _ = srv.req("POST", "/v1/release/payments/key/payments", headers=bearer(token))
        check(f"native release ({kty})", st == 200 and decrypt(keyfile, b) == secret,
              (st, b[:200]))

    # A key generated inside custosd: only its public half ever leaves, except wrapped to a TEE.
    st, b, _ = srv.req("PUT", "/v1/admin/tenants/payments/resources/key/signing",
                       {"generate": "ec-p256", "policy": "payments-key"}, headers=bearer(admin))
    gen = json.loads(b) if st == 201 else {}
    check("admin: generate an EC key inside custosd; only the public key is returned",
          st == 201 and gen.get("public_key", {}).get("kty") == "EC"
          and "d" not in gen.get("public_key", {}), b)
    keyfile = os.path.join(tmp, "tee-EC.jwk")
    pub = json.loads(subprocess.run([JWE_TOOL, "pub"], input=open(keyfile, "rb").read(),
                                    capture_output=True, check=True).stdout)
    st, cookie, token = kbs_session_with_key(srv, pki, pub)
    st, b, _ = srv.req("GET", "/kbs/v0/resource/payments/key/signing", headers={"Cookie": cookie})
    released = json.loads(decrypt(keyfile, b) or b"{}") if st == 200 else {}
    check("the generated key is released to the attested TEE, private part included",
          released.get("d") and released.get("x") == gen.get("public_key", {}).get("x"))
    st, b, _ = srv.req("PUT", "/v1/admin/tenants/payments/resources/key/aes",
                       {"generate": "aes-256", "policy": "payments-key"}, headers=bearer(admin))
    check("admin: generate an AES-256 key", st == 201 and b"public_key" not in b, b)
    st, b, _ = srv.req("PUT", "/v1/admin/tenants/payments/resources/key/bad",
                       {"generate": "rsa-1024", "policy": "payments-key"}, headers=bearer(admin))
    check("admin: an unknown key kind is refused", st == 400, b)

    # custos-agent: evidence, token and get-resource against this custosd.
    agent = os.path.join(os.path.dirname(CUSTOSD) if os.environ.get("CUSTOS_VALGRIND")
                         else os.path.dirname(CUSTOS), "custos-agent")
    sim = ["--attester", "sim", "--sim-pki", pki, "--sim-tool", SIM]
    ev = os.path.join(tmp, "agent-evidence.bin")
    r = subprocess.run([agent, "evidence", "--report-data", "00ff", "--out", ev, *sim],
                       capture_output=True, text=True)
    r2 = subprocess.run([CUSTOS, "verify", "--insecure-test-root", os.path.join(pki, "ark.pem"),
                         "--collateral", pki, "--report-data", "00ff", ev],
                        capture_output=True, text=True)
    check("custos-agent evidence: raw evidence that custos verify accepts",
          r.returncode == 0 and r2.returncode == 0, r.stderr + r2.stderr)
    url = f"https://127.0.0.1:{srv.port}"
    ca = os.path.join(data, "tls/cert.pem")
    r = subprocess.run([agent, "token", "--url", url, "--ca", ca, *sim], capture_output=True,
                       text=True)
    tok = os.path.join(tmp, "agent-token")
    with open(tok, "w") as f:
        f.write(r.stdout)
    jwks = os.path.join(tmp, "jwks.json")
    r2 = subprocess.run([CUSTOS, "token", "verify", tok, "--jwks", jwks], capture_output=True,
                        text=True)
    check("custos-agent token: an affirming result that verifies",
          r.returncode == 0 and r2.returncode == 0
          and json.loads(r2.stdout or "{}").get("submods", {}).get("cpu0", {})
          .get("ear.status") == "affirming", r.stderr + r2.stderr)
    r = subprocess.run([agent, "get-resource", "kbs:///payments/key/payments", "--url", url,
                        "--ca", ca, *sim], capture_output=True)
    check("custos-agent get-resource: the secret", r.returncode == 0 and r.stdout == secret,
          r.stderr)
    out = os.path.join(tmp, "agent-secret")
    r = subprocess.run([agent, "get-resource", "kbs:///payments/key/payments", "--url", url,
                        "--ca", ca, "--out", out, *sim], capture_output=True)
    check("custos-agent --out: a new file, mode 0600, holding the secret",
          r.returncode == 0 and open(out, "rb").read() == secret
          and os.stat(out).st_mode & 0o777 == 0o600 and not r.stdout, r.stderr)
    with open(out, "wb") as f:
        f.write(b"keep me")
    os.chmod(out, 0o644)
    r = subprocess.run([agent, "get-resource", "kbs:///payments/key/payments", "--url", url,
                        "--ca", ca, "--out", out, *sim], capture_output=True, text=True)
    check("custos-agent --out: an existing file is not replaced",
          r.returncode == 2 and "--force" in r.stderr and open(out, "rb").read() == b"keep me",
          r.stderr)
    r = subprocess.run([agent, "get-resource", "kbs:///payments/key/payments", "--url", url,
                        "--ca", ca, "--out", out, "--force", *sim], capture_output=True)
    check("custos-agent --out --force: replaced, and made 0600",
          r.returncode == 0 and open(out, "rb").read() == secret
          and os.stat(out).st_mode & 0o777 == 0o600, r.stderr)
    bad_kbs(agent, data, sim)
    # The configfs-tsm attester, against an emulated provider (a thread that answers inblob
    # with a simulator report and the GHCB certificate table in auxblob, as sev-guest does).
    root = os.path.join(tmp, "tsm-root")
    vcek_der = pem_to_der(os.path.join(pki, "vcek.pem"))
    table = (uuid.UUID("63da758d-e664-4564-adc5-f4b93be8accd").bytes_le
             + struct.pack("<II", 48, len(vcek_der)) + bytes(24) + vcek_der)
    tsm = TsmProvider(root, "sev-guest", lambda rd: {"outblob": report(pki, rd),
                                                    "auxblob": table,
                                                    "provider": b"sev_guest\n"})
    env = dict(os.environ, CUSTOS_AGENT_SYSROOT=root)
    r = subprocess.run([agent, "get-resource", "kbs:///payments/key/payments", "--url", url,
                        "--ca", ca, "--attester", "tsm"], capture_output=True, env=env,
                       timeout=60)
    check("custos-agent --attester tsm: configfs-tsm evidence with the VCEK from auxblob",
          r.returncode == 0 and r.stdout == secret, r.stderr)
    check("custos-agent --attester tsm: the report directory is removed afterwards",
          os.listdir(tsm.reports) == [], os.listdir(tsm.reports))
    r = subprocess.run([agent, "evidence", "--report-data", "00ff", "--attester", "tsm"],
                       capture_output=True, env=env, timeout=60)
    check("custos-agent evidence --attester tsm: the provider's report",
          r.returncode == 0 and len(r.stdout) == 1184 and r.stdout[0x50:0x52] == b"\x00\xff",
          r.stderr)
    tsm.stop()
    os.unlink(os.path.join(root, "dev/sev-guest"))
    r = subprocess.run([agent, "token", "--url", url, "--ca", ca, "--attester", "tsm"],
                       capture_output=True, text=True, env=env, timeout=60)
    check("custos-agent on no TEE guest: a clear error", r.returncode == 2
          and "neither an SEV-SNP nor a TDX guest" in r.stderr, r.stderr)
    r = subprocess.run([agent, "evidence", "--report-data", "00", "--attester", "tsm"],
                       capture_output=True, text=True,
                       env=dict(os.environ, CUSTOS_AGENT_SYSROOT=os.path.join(tmp, "none")))
    check("custos-agent --attester tsm without configfs-tsm: a clear error",
          r.returncode == 2 and "configfs-tsm is not available" in r.stderr, r.stderr)

    got = os.path.join(tmp, "exec-got")
    r = subprocess.run([agent, "get-resource", "kbs:///payments/key/payments", "--url", url,
                        "--ca", ca, "--exec", f"cat > '{got}'; exit 7", *sim],
                       capture_output=True)
    check("custos-agent --exec: the secret on the command's standard input, its exit status",
          r.returncode == 7 and open(got, "rb").read() == secret and not r.stdout, r.stderr)
    r = subprocess.run([agent, "token", "--url", url, *sim], capture_output=True, text=True)
    check("custos-agent refuses a server its CA store does not vouch for",
          r.returncode == 2 and "cannot connect" in r.stderr and not r.stdout, r.stderr)
    r = subprocess.run([agent, "token", "--url", url, "--ca", os.path.join(pki, "ark.pem"),
                        *sim], capture_output=True, text=True)
    check("custos-agent refuses a server certificate from another CA",
          r.returncode == 2 and not r.stdout, r.stderr)
    r = subprocess.run([agent, "get-resource", "kbs:///payments/key/payments", "--url", url,
                        "--ca", ca, "--sim-debug", *sim], capture_output=True, text=True)
    check("custos-agent get-resource from a debug VM: refused with the reason",
          r.returncode == 1 and "PolicyDeny" in r.stderr, r.stderr)

    # Denials, each explained.
    pub = json.loads(subprocess.run([JWE_TOOL, "pub"], input=open(
        os.path.join(tmp, "tee-EC.jwk"), "rb").read(), capture_output=True, check=True).stdout)
    st, cookie, token = kbs_session_with_key(srv, pki, pub, debug=True)
    st, b, _ = srv.req("GET", "/kbs/v0/resource/payments/key/payments",
                       headers={"Cookie": cookie})
    check("a debug VM is denied (401 PolicyDeny) with the failing clause",
          st == 401 and b"PolicyDeny" in b and b"ear.status" in b, b)
    st, b, _ = srv.req("GET", "/kbs/v0/resource/payments/key/missing",
                       headers={"Cookie": cookie})
    check("a missing resource answers like a denial (no probing)", st == 401, b)
    st, b, _ = srv.req("GET", "/kbs/v0/resource/payments/key/payments")
    check("no cookie and no token: 401 TokenNotFound", st == 401 and b"TokenNotFound" in b, b)
    st, b, _ = srv.req("GET", "/kbs/v0/resource/payments/key/payments",
                       headers=bearer(admin))
    check("a token from another issuer (the admin key): 401", st == 401, b)
    st, b, _ = srv.req("GET", "/kbs/v0/resource/payments/key", headers={"Cookie": cookie})
    check("a resource path with two segments: 404", st == 404, b)
    rsa15 = dict(json.loads(subprocess.run([JWE_TOOL, "pub"], input=open(
        os.path.join(tmp, "tee-RSA.jwk"), "rb").read(), capture_output=True,
        check=True).stdout), alg="RSA1_5")
    st, cookie, token = kbs_session_with_key(srv, pki, rsa15)
    st, b, _ = srv.req("GET", "/kbs/v0/resource/payments/key/payments",
                       headers={"Cookie": cookie})
    check("RSA1_5 tee-pubkey: refused", st == 401 and b"RSA1_5" in b, b)

    # Tenant reference values: versioned, immutable, used by the tenant's release policies.
    rv1 = {"version": 1, "sets": {"approved-images": {"values": ["00" * 48]}}}
    st, b, _ = srv.req("POST", "/v1/admin/tenants/payments/refvalues", rv1, headers=bearer(admin))
    check("admin: tenant reference values, revision 1",
          st == 201 and json.loads(b)["revision"] == 1, b)
    measurement = report(pki)[0x90:0xC0].hex()
    rv2 = {"version": 1, "sets": {"approved-images": {"values": [measurement]}}}
    st, b, _ = srv.req("POST", "/v1/admin/tenants/payments/refvalues", rv2, headers=bearer(admin))
    check("admin: a new revision (2) replaces none of the old",
          st == 201 and json.loads(b)["revision"] == 2, b)
    st, b, _ = srv.req("GET", "/v1/admin/tenants/payments/refvalues", headers=bearer(admin))
    check("admin: the revision in force is the latest",
          st == 200 and json.loads(b)["revision"] == 2
          and json.loads(b)["document"]["sets"]["approved-images"]["values"] == [measurement], b)
    st, b, _ = srv.req("POST", "/v1/admin/tenants/payments/refvalues", {"version": 2},
                       headers=bearer(admin))
    check("admin: bad reference values are refused with the path",
          st == 400 and b"$.version" in b, b)
    by_set = {"version": 1, "kind": "release", "id": "by-set", "allow": {
        "claim": "submods.cpu0.ear.veraison.annotated-evidence.measurement",
        "in": {"refvalues": "approved-images"}}}
    st, b, _ = srv.req("POST", "/v1/admin/tenants/payments/policies", by_set, headers=bearer(admin))
    check("admin: a release policy naming the tenant's set is accepted", st == 201, b)
    unknown = dict(by_set, id="by-unknown-set",
                   allow={"claim": "tee", "in": {"refvalues": "no-such-set"}})
    st, b, _ = srv.req("POST", "/v1/admin/tenants/payments/policies", unknown,
                       headers=bearer(admin))
    check("admin: a policy naming an unknown set is refused at store time",
          st == 400 and b"no-such-set" in b, b)
    srv.req("PUT", "/v1/admin/tenants/payments/resources/key/by-set",
            {"secret": b64u(b"by set"), "policy": "by-set"}, headers=bearer(admin))
    keyfile = os.path.join(tmp, "tee-EC.jwk")
    pub = json.loads(subprocess.run([JWE_TOOL, "pub"], input=open(keyfile, "rb").read(),
                                    capture_output=True, check=True).stdout)
    st, cookie, token = kbs_session_with_key(srv, pki, pub)
    st, b, _ = srv.req("GET", "/kbs/v0/resource/payments/key/by-set", headers={"Cookie": cookie})
    check("release through the tenant's reference values",
          st == 200 and decrypt(keyfile, b) == b"by set", (st, b[:200]))
    srv.req("POST", "/v1/admin/tenants/payments/refvalues", rv1, headers=bearer(admin))
    st, b, _ = srv.req("GET", "/kbs/v0/resource/payments/key/by-set", headers={"Cookie": cookie})
    check("a new revision without the measurement denies from then on",
          st == 401 and b"approved-images" in b, b)

    # The same through the custos admin client.
    cli = [CUSTOS, "admin", "--url", f"https://127.0.0.1:{srv.port}", "--ca",
           os.path.join(data, "tls/cert.pem"), "--key", os.path.join(data, "keys/admin-key.pem")]
    r = subprocess.run(cli + ["tenant", "create", "cli"], capture_output=True, text=True)
    check("custos admin tenant create", r.returncode == 0 and "cli: ready" in r.stdout, r.stderr)
    pol = os.path.join(tmp, "cli-policy.json")
    with open(pol, "w") as f:
        json.dump(dict(RELEASE_POLICY, id="cli-policy"), f)
    r = subprocess.run(cli + ["policy", "put", "cli", pol], capture_output=True, text=True)
    check("custos admin policy put", r.returncode == 0 and "policy:cli-policy@1" in r.stdout,
          r.stderr)
    sec = os.path.join(tmp, "cli-secret")
    with open(sec, "wb") as f:
        f.write(b"from the CLI")
    r = subprocess.run(cli + ["resource", "put", "cli", "app/secret", "--policy", "cli-policy",
                              "--secret-file", sec], capture_output=True, text=True)
    check("custos admin resource put", r.returncode == 0, r.stderr)
    r = subprocess.run(cli + ["resource", "list", "cli"], capture_output=True, text=True)
    check("custos admin resource list: a readable table",
          r.returncode == 0 and "app/secret" in r.stdout and "cli-policy" in r.stdout
          and "from the CLI" not in r.stdout, r.stdout + r.stderr)
    r = subprocess.run(cli + ["--json", "resource", "list", "cli"], capture_output=True, text=True)
    check("custos admin --json prints the reply",
          r.returncode == 0 and json.loads(r.stdout)["resources"][0]["name"] == "app/secret")
    r = subprocess.run(cli + ["resource", "put", "cli", "x", "--policy", "nope", "--generate",
                              "aes-256"], capture_output=True, text=True)
    check("custos admin: a refusal exits 1 with custosd's reason",
          r.returncode == 1 and "does not exist" in r.stderr, r.stderr)
    rvf = os.path.join(tmp, "cli-rv.json")
    with open(rvf, "w") as f:
        json.dump({"version": 1, "sets": {"s": {"values": [1, 2]}}}, f)
    r = subprocess.run(cli + ["refvalues", "put", "cli", rvf], capture_output=True, text=True)
    check("custos admin refvalues put", r.returncode == 0 and "revision 1" in r.stdout, r.stderr)
    r = subprocess.run(cli + ["refvalues", "get", "cli"], capture_output=True, text=True)
    check("custos admin refvalues get", r.returncode == 0 and "revision 1" in r.stdout, r.stderr)
    r = subprocess.run(cli + ["audit", "verify"], capture_output=True, text=True)
    check("custos admin audit verify", r.returncode == 0 and "intact" in r.stdout, r.stderr)
    r = subprocess.run([CUSTOS, "admin", "--url", f"https://127.0.0.1:{srv.port}", "--ca",
                        os.path.join(data, "tls/cert.pem"), "--key",
                        os.path.join(data, "keys/admin-key.pem"), "--role", "tenant-admin",
                        "--tenant", "other", "resource", "list", "cli"],
                       capture_output=True, text=True)
    check("custos admin as another tenant's admin: refused (403)",
          r.returncode == 1 and "403" in r.stderr, r.stderr)

    # If the audit record cannot be written, nothing is released (and nothing else is done).
    keyfile = os.path.join(tmp, "tee-EC.jwk")
    pub = json.loads(subprocess.run([JWE_TOOL, "pub"], input=open(keyfile, "rb").read(),
                                    capture_output=True, check=True).stdout)
    st, cookie, token = kbs_session_with_key(srv, pki, pub)
    con = sqlite3.connect(os.path.join(data, "custosd.db"), timeout=10)
    con.execute("CREATE TRIGGER audit_offline BEFORE INSERT ON audit "
                "BEGIN SELECT RAISE(ABORT, 'audit offline'); END")
    con.commit()
    st, b, _ = srv.req("GET", "/kbs/v0/resource/payments/key/payments",
                       headers={"Cookie": cookie})
    check("audit down: the release fails, no JWE leaves",
          st != 200 and b"audit" in b and b"ciphertext" not in b, (st, b))
    st, b, _ = srv.req("PUT", "/v1/admin/tenants/payments/resources/key/while-down",
                       {"secret": b64u(b"x"), "policy": "payments-key"}, headers=bearer(admin))
    check("audit down: an admin change is refused, not applied", st == 503, (st, b))
    con.execute("DROP TRIGGER audit_offline")
    con.commit()
    con.close()
    st, b, _ = srv.req("GET", "/v1/admin/tenants/payments/resources", headers=bearer(admin))
    check("audit down: the refused change left nothing behind", b"while-down" not in b, b)
    st, b, _ = srv.req("GET", "/kbs/v0/resource/payments/key/payments",
                       headers={"Cookie": cookie})
    check("audit back: releases resume", st == 200 and decrypt(keyfile, b) == secret, st)

    # Tenant isolation and the admin route table.
    other_admin = admin_token(data, "tenant-admin", "other")
    st, b, _ = srv.req("PUT", "/v1/admin/tenants/payments/resources/stolen",
                       {"secret": b64u(b"x"), "policy": "payments-key"},
                       headers=bearer(other_admin))
    check("a tenant admin cannot write another tenant's resources (403)", st == 403, b)
    st, b, _ = srv.req("GET", "/v1/admin/tenants/payments/resources",
                       headers=bearer(other_admin))
    check("a tenant admin cannot read another tenant's resources (403)", st == 403, b)
    own = admin_token(data, "tenant-admin", "payments")
    st, b, _ = srv.req("GET", "/v1/admin/tenants/payments/resources", headers=bearer(own))
    check("a tenant admin reads its own tenant", st == 200, b)
    listing = subprocess.run([CUSTOSD, "--list-routes"], capture_output=True, text=True).stdout
    routes = [parts for parts in (l.split() for l in listing.splitlines())
              if len(parts) >= 3 and parts[1].startswith("/v1/admin/")]
    check("the admin route table is listed", len(routes) >= 5, routes)
    expired = admin_token(data, "admin", lifetime=1)
    auditor = admin_token(data, "auditor")
    wrong_key = os.path.join(tmp, "wrong-admin.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", wrong_key],
                   check=True, capture_output=True)
    forged = admin_token(data, "admin", key=wrong_key)
    time.sleep(2)
    for r in routes:
        method, pattern, roles = r[0], r[1], r[2].split(",")
        path = pattern.replace("{tenant}", "payments").replace("{name}", "probe/x")
        body = {} if method in ("PUT", "POST") else None
        for label, hdrs, want in (("no token", {}, 401), ("expired token", bearer(expired), 401),
                                  ("token signed by another key", bearer(forged), 401),
                                  ("another tenant's admin", bearer(other_admin), 403)):
            st, b, _ = srv.req(method, path, body, headers=hdrs)
            check(f"{method} {pattern}: {label} -> {want}", st == want, (st, b))
        if "auditor" not in roles:
            st, b, _ = srv.req(method, path, body, headers=bearer(auditor))
            check(f"{method} {pattern}: auditor may not write -> 403", st == 403, (st, b))


def metrics_and_logs(srv):
    st, b, _ = srv.req("GET", "/metrics")
    text = b.decode()
    m = re.search(r'custos_attestations_total\{tee="snp",outcome="affirming"\} (\d+)', text)
    check("metrics count affirmed SNP attestations", st == 200 and m and int(m.group(1)) >= 3,
          text[:400])
    m = re.search(r'custos_attestations_total\{tee="snp",outcome="rejected"\} (\d+)', text)
    check("metrics count rejections", m and int(m.group(1)) >= 2)
    m = re.search(r'custos_releases_total\{tee="sev-snp",outcome="allowed"\} (\d+)', text)
    check("metrics count releases by TEE and outcome", m and int(m.group(1)) >= 4, text[-800:])
    check("metrics have latency histograms",
          'custos_http_request_duration_seconds_bucket{route="kbs_attest",le="+Inf"}' in text)
    lines = [json.loads(l) for l in open(srv.log)]
    check("one JSON log line per request, with route, status and latency",
          all({"ts", "method", "path", "route", "status", "ms", "client"} <= l.keys()
              for l in lines) and len(lines) > 20)
    check("log lines carry the decision",
          any(l.get("decision") == "affirming" for l in lines)
          and any(l.get("decision") == "rejected" for l in lines))


def audit(data):
    db = os.path.join(data, "custosd.db")
    r = subprocess.run([CUSTOS, "audit", "verify", data], capture_output=True, text=True)
    n = int(re.search(r"(\d+) records", r.stdout).group(1)) if r.returncode == 0 else 0
    check("audit chain verifies", r.returncode == 0 and n >= 10, r.stdout + r.stderr)
    r = subprocess.run([CUSTOS, "audit", "export", db], capture_output=True, text=True)
    recs = [json.loads(l) for l in r.stdout.splitlines()]
    check("audit: every release decision with its policy and explanation",
          any(x["kind"] == "release" and x["data"]["decision"] == "allow" for x in recs)
          and any(x["kind"] == "release" and x["data"]["decision"] == "deny"
                  and x["data"].get("explanation") for x in recs))
    check("audit: admin changes are recorded",
          any(x["kind"] == "admin" and x["data"].get("event") == "resource-put" for x in recs))
    check("audit export: every attestation, with evidence digest and policy",
          len(recs) == n and any(x["data"].get("result") == "rejected" and "reason" in x["data"]
                                 for x in recs)
          and all("policy" in x["data"] for x in recs if x["kind"] == "attestation"))
    con = sqlite3.connect(db)
    con.execute("UPDATE audit SET data = replace(data, 'affirming', 'AFFIRMING') WHERE seq = "
                "(SELECT min(seq) FROM audit WHERE data LIKE '%affirming%')")
    con.commit()
    con.close()
    r = subprocess.run([CUSTOS, "audit", "verify", data], capture_output=True, text=True)
    check("an altered audit record is found", r.returncode == 1 and "altered" in r.stderr,
          r.stderr)


if __name__ == "__main__":
    main()
