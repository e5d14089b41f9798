#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""custosd crash consistency, against a real custosd process on loopback.

"kill -9 of custosd during 1,000 mixed admin writes and releases, then
restart: no acknowledged write lost and the audit chain verifies."

Eight client threads run 1,000 operations: about 70% admin writes (PUT
/v1/admin/tenants/<t>/resources/<unique name>, a unique random secret each)
and 30% key releases (GET /kbs/v0/resource/<t>/<name> of a name already
acknowledged, Authorization: Bearer <EAR>). At a seeded random operation
between 300 and 700 custosd gets SIGKILL with requests in flight. Requests
that fail with connection errors are unacknowledged; everything answered 201
(write) or 200 (release) was acknowledged. Then:

- the database as the crash left it (a copy) passes PRAGMA integrity_check,
  its audit chain verifies and it holds every acknowledged write;
- custosd restarts on the same data directory, is healthy and ready, lists
  every acknowledged write and releases each one, decrypting to exactly the
  acknowledged secret (the EAR was signed by the persistent key, so it still
  verifies); a write that survived without its acknowledgement holds exactly
  what was sent;
- the remaining operations run against the restarted daemon and all succeed;
- after a clean stop: custos audit verify passes, the export has a
  resource-put record for every acknowledged write, a release record with
  decision allow for every release that returned 200, a resource-put record
  for every resource in the database (audit before state), and the database
  is intact (integrity_check, opened read-only).

The seed is printed; CUSTOS_CRASH_SEED=N reproduces the operation mix and the
kill point (thread interleaving is not reproducible).

usage: test_crash.py CUSTOSD CUSTOS CUSTOS_SNP_SIM JWE_TOOL
"""
import base64
import collections
import concurrent.futures
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

CUSTOSD, CUSTOS, SIM, JWE_TOOL = sys.argv[1:5]
passed = failed = 0

N_OPS = 1000
N_THREADS = 8
WRITE_SHARE = 0.7
TENANTS = ("crash-a", "crash-b")
POLICY_ID = "crash-release"
servers = []  # every custosd started, killed in finally if still running


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok - {name}", flush=True)
    else:
        failed += 1
        print(f"not ok - {name}" + (f": {detail}" if detail else ""), flush=True)


def note(msg):
    print(f"# {msg}", flush=True)


def brief(items, n=5):
    items = sorted(items)
    return f"{len(items)}: {items[:n]}" + (" ..." if len(items) > n else "")


def jcs(o):
    # RFC 8785 for the ASCII strings and small integers used here.
    return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b64u(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


# Connection failures: the request is unacknowledged (the daemon died under it).
CONN_ERRORS = (urllib.error.URLError, ConnectionError, http.client.HTTPException, ssl.SSLError,
               socket.timeout, OSError)


class Server:
    def __init__(self, data, tmp, extra=()):
        self.data = data
        self.log = os.path.join(data, "requests.log")
        self.errlog = os.path.join(tmp, f"custosd-{len(servers)}.stderr")
        with open(self.errlog, "w") as err:
            self.proc = subprocess.Popen(
                [CUSTOSD, "--data", data, "--listen", "127.0.0.1:0", "--log", self.log, *extra],
                stdout=subprocess.PIPE, stderr=err, text=True)
        servers.append(self)
        line = self.proc.stdout.readline()
        m = re.search(r":(\d+)$", line.strip())
        if not m:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("custosd did not start: " + line + self.stderr())
        self.port = int(m.group(1))
        self.ctx = ssl.create_default_context(cafile=os.path.join(data, "tls/cert.pem"))

    def stderr(self):
        with open(self.errlog) as f:
            return f.read()

    def req(self, method, path, body=None, headers=None, raw=None, timeout=30):
        """(status, body, headers); HTTP errors are answers, connection errors raise."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        r = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", method=method, data=data,
                                   headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(r, context=self.ctx, timeout=timeout) as resp:
                return resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        self.proc.kill()
        return self.proc.wait()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode


def report(pki, report_data=b""):
    out = subprocess.run([SIM, "report", "--pki", pki, "--report-data", report_data.hex() or "00"],
                         capture_output=True, check=True).stdout
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


def admin_token(data, role, lifetime=900):
    return subprocess.run([CUSTOS, "admin", "token", "--key",
                           os.path.join(data, "keys/admin-key.pem"), "--role", role,
                           "--sub", "crash-test", "--lifetime", str(lifetime)],
                          capture_output=True, text=True, check=True).stdout.strip()


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def kbs_ear(srv, pki, pubkey):
    """Attest over KBS 0.4.0 with tee-pubkey = pubkey; the EAR token."""
    st, b, h = srv.req("POST", "/kbs/v0/auth", {"version": "0.4.0", "tee": "snp",
                                                "extra-params": ""})
    cookie = (h.get("Set-Cookie") or "").split(";")[0]
    nonce = json.loads(b)["nonce"]
    binding = {"additional-evidence": "", "nonce": nonce, "tee-pubkey": pubkey}
    rep = report(pki, hashlib.sha384(jcs(binding)).digest())
    body = {"runtime-data": {"nonce": nonce, "tee-pubkey": pubkey},
            "tee-evidence": {"primary_evidence": {"attestation_report": sev_json(rep),
                                                  "cert_chain": None},
                             "additional_evidence": ""}}
    st, b, _ = srv.req("POST", "/kbs/v0/attest", body, headers={"Cookie": cookie})
    return st, (json.loads(b).get("token") if st == 200 else None), b


def audit_counts(db, recs=None):
    """Per (tenant, resource): resource-put admin records, release records with "allow"."""
    if recs is None:
        out = subprocess.run([CUSTOS, "audit", "export", db], capture_output=True, text=True)
        recs = [json.loads(l) for l in out.stdout.splitlines()]
    key = lambda x: (x["data"].get("tenant"), x["data"].get("resource"))
    puts = collections.Counter(key(x) for x in recs
                               if x["kind"] == "admin" and x["data"].get("event") == "resource-put")
    allows = collections.Counter(key(x) for x in recs
                                 if x["kind"] == "release" and x["data"].get("decision") == "allow")
    return puts, allows


def decrypt(keyfile, jwe_bytes):
    r = subprocess.run([JWE_TOOL, "decrypt", keyfile], input=jwe_bytes, capture_output=True)
    return r.stdout if r.returncode == 0 else None


RELEASE_POLICY = {
    "version": 1, "kind": "release", "id": POLICY_ID, "revision": 1,
    "allow": {"allOf": [
        {"claim": "submods.cpu0.ear.status", "equals": "affirming"},
        {"claim": "submods.cpu0.ear.veraison.annotated-evidence.tee", "equals": "sev-snp"}]}}


def main():
    tmp = tempfile.mkdtemp(prefix="custosd-crash-")
    try:
        run(tmp)
    except Exception as e:  # a crash of the test itself is a failure, not a pass
        import traceback
        traceback.print_exc()
        check("the test ran to completion", False, repr(e))
    finally:
        for s in servers:
            if s.alive():
                s.proc.kill()
                s.proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


class Plan:
    """The 1,000 operations, from the seed: writes with their names and secrets, releases."""

    def __init__(self, seed):
        rng = random.Random(seed)
        self.kill_at = rng.randint(300, 700)
        self.ops = []
        for i in range(N_OPS):
            # The first operations are writes, so that releases have names to pick from.
            if i < 2 * N_THREADS or rng.random() < WRITE_SHARE:
                tenant = rng.choice(TENANTS)
                name = f"crash/w{i:04d}-{rng.getrandbits(32):08x}"
                secret = f"{i}:".encode() + rng.randbytes(rng.randint(1, 96))
                self.ops.append(("write", tenant, name, secret))
            else:
                self.ops.append(("release", None, None, rng.random()))


class Run:
    """Shared state of the client threads; every field is guarded by lock."""

    def __init__(self, plan):
        self.plan = plan
        self.lock = threading.Lock()
        self.next = 0
        self.stop_at = N_OPS
        self.acked = {}           # (tenant, name) -> secret: answered 201
        self.acked_order = []     # the same keys, for releases to pick from
        self.attempted = {}       # (tenant, name) -> secret: every write sent
        self.released = []        # (tenant, name, jwe bytes, phase): answered 200
        self.conn_failed = []     # (op index, kind, error): unacknowledged
        self.bad_status = []      # (op index, kind, status, body): an answer that is wrong
        self.in_flight = 0
        self.in_flight_at_kill = None
        self.resume_from = None   # first operation not started before the kill

    def claim(self):
        with self.lock:
            if self.next >= self.stop_at:
                return None
            i = self.next
            self.next += 1
            return i


def do_op(st, srv, i, admin, ear, phase):
    kind, tenant, name, x = st.plan.ops[i]
    if kind == "write":
        path = f"/v1/admin/tenants/{tenant}/resources/{name}"
        with st.lock:
            st.attempted[(tenant, name)] = x
        body = {"secret": b64u(x), "policy": POLICY_ID}
        method, hdrs, want = "PUT", bearer(admin), 201
    else:
        deadline = time.monotonic() + 10
        while True:
            with st.lock:
                if st.acked_order:
                    tenant, name = st.acked_order[int(x * len(st.acked_order))]
                    break
            if time.monotonic() > deadline:
                with st.lock:
                    st.bad_status.append((i, kind, None, "no acknowledged write to release"))
                return
            time.sleep(0.01)
        path = f"/kbs/v0/resource/{tenant}/{name}"
        method, body, hdrs, want = "GET", None, bearer(ear), 200
    with st.lock:
        st.in_flight += 1
    try:
        status, b, _ = srv.req(method, path, body, headers=hdrs, timeout=20)
    except CONN_ERRORS as e:
        with st.lock:
            st.conn_failed.append((i, kind, f"{type(e).__name__}: {e}"))
        return
    finally:
        with st.lock:
            st.in_flight -= 1
    with st.lock:
        if status != want:
            st.bad_status.append((i, kind, status, b[:200]))
        elif kind == "write":
            st.acked[(tenant, name)] = x
            st.acked_order.append((tenant, name))
        else:
            st.released.append((tenant, name, b, phase))


def worker(st, srv, admin, ear, phase, killer=None):
    while True:
        i = st.claim()
        if i is None:
            return
        try:
            if killer and i == st.plan.kill_at:
                killer(st)
            do_op(st, srv, i, admin, ear, phase)
        except Exception as e:  # a bug of the test: fail, do not lose the operation silently
            with st.lock:
                st.bad_status.append((i, "exception", None, repr(e)))


def run_threads(st, srv, admin, ear, phase, killer=None):
    threads = [threading.Thread(target=worker, args=(st, srv, admin, ear, phase, killer))
               for _ in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run(tmp):
    seed = int(os.environ.get("CUSTOS_CRASH_SEED") or random.SystemRandom().randrange(1 << 32))
    plan = Plan(seed)
    n_writes = sum(1 for o in plan.ops if o[0] == "write")
    note(f"seed {seed} (rerun with CUSTOS_CRASH_SEED={seed}): {N_OPS} operations, {n_writes} "
         f"writes, {N_OPS - n_writes} releases, {N_THREADS} threads, SIGKILL at operation "
         f"{plan.kill_at}")
    t0 = time.monotonic()

    # --- Set up: data directory, simulated platform, reference values, tenants, policy, EAR.
    data, pki = os.path.join(tmp, "data"), os.path.join(tmp, "pki")
    db = os.path.join(data, "custosd.db")
    subprocess.run([CUSTOSD, "init", data], check=True, capture_output=True)
    subprocess.run([SIM, "init", pki], check=True, capture_output=True)
    for f in ("ask.pem", "vcek.pem"):
        shutil.copy(os.path.join(pki, f), os.path.join(data, "collateral"))
    measurement = report(pki)[0x90:0xC0].hex()
    with open(os.path.join(data, "refvalues.json"), "w") as f:
        json.dump({"version": 1, "sets": {"measurements": {"values": [measurement]}}}, f)
    test_root = ["--insecure-test-root", os.path.join(pki, "ark.pem")]
    srv = Server(data, tmp, test_root)
    admin = admin_token(data, "admin")
    ok = True
    for t in TENANTS:
        st_t, b, _ = srv.req("PUT", f"/v1/admin/tenants/{t}", headers=bearer(admin))
        st_p, b2, _ = srv.req("POST", f"/v1/admin/tenants/{t}/policies", RELEASE_POLICY,
                              headers=bearer(admin))
        ok = ok and st_t == 201 and st_p == 201
    check("set up: tenants and their release policy stored", ok, (st_t, b, st_p, b2))
    keyfile = os.path.join(tmp, "tee.jwk")
    with open(keyfile, "wb") as f:
        f.write(subprocess.run([JWE_TOOL, "keygen", "EC"], capture_output=True,
                               check=True).stdout)
    with open(keyfile, "rb") as f:
        pub = json.loads(subprocess.run([JWE_TOOL, "pub"], input=f.read(), capture_output=True,
                                        check=True).stdout)
    st_a, ear, b = kbs_ear(srv, pki, pub)
    check("set up: KBS attestation gives an EAR bound to our tee-pubkey", st_a == 200 and ear,
          (st_a, b[:300]))
    if not ear:
        return
    note(f"set up in {time.monotonic() - t0:.1f} s")

    # --- Phase 1: the load, and SIGKILL at operation kill_at with requests in flight.
    st = Run(plan)

    def killer(st):
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            with st.lock:
                if st.in_flight >= 2:
                    break
            time.sleep(0.0005)
        with st.lock:
            srv.proc.kill()  # SIGKILL
            st.in_flight_at_kill = st.in_flight
            st.stop_at = st.next  # nothing new starts on the dead daemon...
            st.resume_from = st.next  # ...the rest runs against the restarted one

    t1 = time.monotonic()
    run_threads(st, srv, admin, ear, 1, killer)
    srv.proc.wait()
    p1_acked, p1_attempted = dict(st.acked), dict(st.attempted)
    p1_released = len(st.released)
    note(f"phase 1: {st.resume_from} operations started in {time.monotonic() - t1:.1f} s, "
         f"{len(p1_acked)} writes acknowledged, {p1_released} releases returned 200, "
         f"{len(st.conn_failed)} requests failed on the connection, "
         f"{st.in_flight_at_kill} in flight at SIGKILL")
    check("custosd died of SIGKILL (not of anything else first)", srv.proc.returncode == -9,
          (srv.proc.returncode, srv.stderr()[-2000:]))
    check("requests were in flight at SIGKILL", (st.in_flight_at_kill or 0) >= 1,
          st.in_flight_at_kill)
    check("before the kill, every answer was a success (201 write, 200 release)",
          not st.bad_status, st.bad_status[:5])
    check("phase 1 acknowledged writes and releases", len(p1_acked) >= 100 and p1_released >= 30,
          (len(p1_acked), p1_released))
    in_flight_ops = [(i, k) for i, k, _ in st.conn_failed]
    note(f"unacknowledged: {in_flight_ops[:12]}")

    # --- The database as the crash left it: a copy, opened (and recovered) outside custosd.
    crashed = os.path.join(tmp, "crashed")
    os.mkdir(crashed)
    for suffix in ("", "-wal"):
        if os.path.exists(db + suffix):
            shutil.copy(db + suffix, os.path.join(crashed, "custosd.db" + suffix))
    note("after the crash: custosd.db-wal " + (f"{os.path.getsize(db + '-wal')} bytes"
                                               if os.path.exists(db + "-wal") else "absent"))
    cdb = os.path.join(crashed, "custosd.db")
    con = sqlite3.connect(cdb)
    integrity = con.execute("PRAGMA integrity_check").fetchall()
    on_disk = {(t, n) for t, n in con.execute("SELECT tenant, name FROM resource")}
    con.close()
    check("crashed database: PRAGMA integrity_check is ok", integrity == [("ok",)], integrity)
    lost = set(p1_acked) - on_disk
    check("crashed database: holds every acknowledged write", not lost,
          "LOST " + brief(lost))
    r = subprocess.run([CUSTOS, "audit", "verify", cdb], capture_output=True, text=True)
    check("crashed database: the audit chain verifies", r.returncode == 0, r.stdout + r.stderr)
    puts, allows = audit_counts(cdb)
    missing = [k for k in p1_acked if not puts[k]]
    check("crashed database: a resource-put audit record for every acknowledged write",
          not missing, brief(missing))
    want_allows = collections.Counter((t, n) for t, n, _, _ in st.released)
    short = [(k, allows[k], c) for k, c in want_allows.items() if allows[k] < c]
    check("crashed database: an allow audit record for every release that returned 200",
          not short, short[:5])
    phantom = [k for k in puts if k not in on_disk]
    note(f"resource-put audit records whose write did not commit (killed between the audit "
         f"record and the store, allowed: never acknowledged): {brief(phantom, 3)}")

    # --- Restart on the same data directory.
    t2 = time.monotonic()
    srv = Server(data, tmp, test_root)
    note(f"restarted in {time.monotonic() - t2:.2f} s on port {srv.port}")
    st_h, b_h, _ = srv.req("GET", "/healthz")
    st_r, b_r, _ = srv.req("GET", "/readyz")
    check("restart: healthz and readyz answer 200", st_h == 200 and st_r == 200,
          (st_h, b_h, st_r, b_r))
    listed = {}
    for t in TENANTS:
        s_l, b_l, _ = srv.req("GET", f"/v1/admin/tenants/{t}/resources", headers=bearer(admin))
        if s_l == 200:
            listed.update({(t, x["name"]): x for x in json.loads(b_l)["resources"]})
    lost = set(p1_acked) - set(listed)
    check("restart: the admin API lists every acknowledged write", not lost,
          "LOST " + brief(lost))
    check("restart: every resource listed was written by this test",
          set(listed) <= set(p1_attempted), brief(set(listed) - set(p1_attempted)))
    survivors = set(listed) - set(p1_acked)
    note(f"unacknowledged writes that survived the crash: {len(survivors)}; "
         f"lost (unacknowledged, allowed): {len(set(p1_attempted) - set(listed))}")

    # Every acknowledged write released with the EAR issued before the crash, and decrypted.
    verify_names = sorted(p1_acked) + sorted(survivors)
    release_results = {}

    def release_one(key):
        t, n = key
        try:
            s, b, _ = srv.req("GET", f"/kbs/v0/resource/{t}/{n}", headers=bearer(ear))
        except CONN_ERRORS as e:
            return key, None, repr(e)
        return key, s, (decrypt(keyfile, b) if s == 200 else b[:200])

    t3 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(N_THREADS) as ex:
        for key, s, out in ex.map(release_one, verify_names):
            release_results[key] = (s, out)
    released_after = [k for k, (s, _) in release_results.items() if s == 200]
    note(f"released {len(verify_names)} resources after the restart in "
         f"{time.monotonic() - t3:.1f} s")
    wrong = [(k, release_results[k]) for k in p1_acked
             if release_results[k] != (200, p1_acked[k])]
    check("restart: every acknowledged write releases (pre-crash EAR) and decrypts to exactly "
          "the acknowledged secret", not wrong, f"{len(wrong)} wrong: {wrong[:3]}")
    wrong = [(k, release_results[k]) for k in survivors
             if release_results[k] != (200, p1_attempted[k])]
    check("restart: an unacknowledged write that survived holds exactly the secret sent",
          not wrong, wrong[:3])
    s_v, b_v, _ = srv.req("GET", "/v1/admin/audit/verify", headers=bearer(admin))
    check("restart: GET /v1/admin/audit/verify: intact",
          s_v == 200 and json.loads(b_v).get("status") == "intact", (s_v, b_v))

    # --- Phase 2: the rest of the 1,000 operations, against the restarted daemon.
    st.stop_at = N_OPS
    st.next = st.resume_from
    st.bad_status, st.conn_failed = [], []
    t4 = time.monotonic()
    run_threads(st, srv, admin, ear, 2)
    note(f"phase 2: {N_OPS - st.resume_from} operations in {time.monotonic() - t4:.1f} s")
    check("phase 2: every operation against the restarted daemon succeeds",
          not st.bad_status and not st.conn_failed, (st.bad_status[:3], st.conn_failed[:3]))
    all_listed = set()
    for t in TENANTS:
        s_l, b_l, _ = srv.req("GET", f"/v1/admin/tenants/{t}/resources", headers=bearer(admin))
        if s_l == 200:
            all_listed |= {(t, x["name"]) for x in json.loads(b_l)["resources"]}
    lost = set(st.acked) - all_listed
    check("after phase 2: every acknowledged write of both phases is listed", not lost,
          "LOST " + brief(lost))

    # Every release that returned 200 during the load decrypts to the secret acknowledged.
    with concurrent.futures.ThreadPoolExecutor(N_THREADS) as ex:
        outs = list(ex.map(lambda r: decrypt(keyfile, r[2]), st.released))
    wrong = [(t, n, o) for (t, n, _, _), o in zip(st.released, outs) if o != st.acked[(t, n)]]
    check(f"every release under load ({len(st.released)}) decrypts to the secret stored",
          not wrong, wrong[:3])

    st_h, _, _ = srv.req("GET", "/healthz")
    rc = srv.stop()
    check("custosd stops cleanly on SIGTERM after the crash and the load", rc == 0 and st_h == 200,
          (rc, srv.stderr()[-500:]))

    # --- The audit trail and the database, offline.
    r = subprocess.run([CUSTOS, "audit", "verify", data], capture_output=True, text=True)
    m = re.search(r"(\d+) records", r.stdout)
    n_records = int(m.group(1)) if r.returncode == 0 and m else 0
    check("custos audit verify DATA_DIR: the chain verifies", r.returncode == 0 and n_records,
          r.stdout + r.stderr)
    r = subprocess.run([CUSTOS, "audit", "export", db], capture_output=True, text=True)
    recs = [json.loads(l) for l in r.stdout.splitlines()]
    check("audit export: every record, in sequence",
          r.returncode == 0 and len(recs) == n_records
          and [x["seq"] for x in recs] == list(range(1, len(recs) + 1)), r.stderr)
    puts, allows = audit_counts(db, recs)
    missing = [k for k in st.acked if not puts[k]]
    check(f"audit: a resource-put record for every acknowledged write ({len(st.acked)})",
          not missing, brief(missing))
    want_allows = collections.Counter((t, n) for t, n, _, _ in st.released)
    want_allows.update(released_after)
    short = [(k, allows[k], c) for k, c in want_allows.items() if allows[k] < c]
    check(f"audit: an allow record for every release that returned 200 "
          f"({sum(want_allows.values())})", not short, short[:5])
    acked_ops = len(st.acked) + sum(want_allows.values())
    check("audit: records >= acknowledged operations", n_records >= acked_ops,
          (n_records, acked_ops))
    note(f"{n_records} audit records, {acked_ops} acknowledged operations "
         f"({len(st.acked)} writes, {sum(want_allows.values())} releases)")
    uri = "file:" + db + "?mode=ro"
    con = sqlite3.connect(uri, uri=True)
    integrity = con.execute("PRAGMA integrity_check").fetchall()
    in_db = {(t, n) for t, n in con.execute("SELECT tenant, name FROM resource")}
    con.close()
    check("final database: PRAGMA integrity_check is ok (read-only)", integrity == [("ok",)],
          integrity)
    check("final database: holds every acknowledged write", set(st.acked) <= in_db,
          brief(set(st.acked) - in_db))
    unaudited = [k for k in in_db if not puts[k]]
    check("every resource in the database has its resource-put audit record (audit before "
          "state)", not unaudited, brief(unaudited))
    note(f"total {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
