#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A hostile client against a live custosd: 10,000 mutated requests.

Valid requests of every kind (KBS auth and attest with real simulated
evidence, native challenge/attest/release, resources with cookies and
bearer tokens, admin writes with admin tokens) are mutated: bytes flipped,
bodies truncated, duplicated, nested 10,000 deep, oversized, emptied,
invalid UTF-8; headers and tokens mangled; paths bent. Meanwhile slow clients
dribble their headers. custosd must answer every one with a clear 4xx (or a
documented overload answer, 429/503), never a 5xx, never a crash, never a
secret; its memory must stay flat; it must still serve a real client at the
end.

usage: test_hostile.py CUSTOSD CUSTOS CUSTOS_SNP_SIM JWE_TOOL
"""
import base64
import hashlib
import http.client
import json
import os
import random
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_custosd as base  # noqa: E402  (the e2e helpers: Server, reports, tokens)

N = int(os.environ.get("CUSTOS_HOSTILE_REQUESTS", "10000"))
SECRET = b"hostile-test secret \x00\xfe never to be seen"
ELAPSED = [0.0]


check = base.check  # the same counters as the custosd e2e test


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def mutate(rng, body):
    """One mutation of a request body (bytes)."""
    op = rng.randrange(12)
    if not body:
        body = b"{}"
    if op == 0:
        b = bytearray(body)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    if op == 1:
        return body[: rng.randrange(len(body))]
    if op == 2:
        i = rng.randrange(len(body))
        return body[:i] + body[i: i + rng.randint(1, 400)] * rng.randint(2, 5) + body[i:]
    if op == 3:
        depth = rng.choice([100, 1000, 10000])
        return b"[" * depth + b"]" * depth
    if op == 4:
        return b"{" + b'"a":' * rng.randint(1, 50) + b"1}"
    if op == 5:
        return b""
    if op == 6:
        return body + b"\xff\xfe\xc0\x80" + body[:10]
    if op == 7:
        return json.dumps({"version": rng.choice([None, 1, "0.4.0" * 1000, [], {}]),
                           "tee": rng.choice(["snp", "tdx", "", "x" * 5000, 7]),
                           "extra-params": rng.choice(["", None, {"a": [1] * 1000}])}).encode()
    if op == 8:
        return b'{"runtime-data": {"nonce": "' + b"A" * rng.randint(1, 200000) + b'"}}'
    if op == 9:
        try:
            j = json.loads(body)
        except ValueError:
            return body[::-1]
        # replace one leaf with something of another type
        def walk(o):
            if isinstance(o, dict) and o:
                k = rng.choice(list(o))
                if rng.random() < 0.5:
                    o[k] = rng.choice([None, -1, 1e308, "", "\u0000", [], {}, True, "x" * 3000])
                else:
                    walk(o[k])
            elif isinstance(o, list) and o:
                walk(o[rng.randrange(len(o))])
        walk(j)
        return json.dumps(j).encode()
    if op == 10:
        return os.urandom(rng.randint(1, 5000))
    return body.replace(b'"', b"'", rng.randint(1, 5))


def run(tmp):
    data, pki = base.affirmed_sim_data(tmp)
    # Under AddressSanitizer freed memory waits in a quarantine (256 MiB by default)
    # before reuse; a small one keeps the RSS check about custosd, not ASan. Leaks
    # are LeakSanitizer's to report when custosd exits (checked through its status).
    os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=8"
    srv = base.Server(data, ["--insecure-test-root", os.path.join(pki, "ark.pem")])
    # custosd's stderr is read as it comes: a daemon whose log reader stalls
    # would stall too, and what it says is checked below.
    stderr = []
    drain = threading.Thread(target=lambda: stderr.extend(srv.proc.stderr), daemon=True)
    drain.start()
    try:
        body_of_test(srv, data, pki)
    finally:
        rc = srv.stop()
        drain.join(10)
    check("custosd stops cleanly after it all", rc == 0, rc)
    http = [line for line in stderr if line.startswith("custosd: http: ")]
    print(f"# custosd stderr: {len(stderr)} lines, {len(http)} from the HTTP layer; "
          f"first: {stderr[:3]}")
    check("no sanitizer report on stderr",
          not any("runtime error" in line or "Sanitizer" in line for line in stderr), stderr[-5:])
    if base.failed:
        sys.stdout.write("# custosd's stderr, last 60 lines:\n" + "".join(stderr[-60:]))
    check("the HTTP layer's messages are rate limited (a flood cannot flood the log)",
          len(http) <= 20 * (2 + int(ELAPSED[0] / 10)) + 20, len(http))


def body_of_test(srv, data, pki):
    admin = base.admin_token(data, "admin")
    srv.req("PUT", "/v1/admin/tenants/payments", headers=base.bearer(admin))
    srv.req("POST", "/v1/admin/tenants/payments/policies", base.RELEASE_POLICY,
            headers=base.bearer(admin))
    st, b, _ = srv.req("PUT", "/v1/admin/tenants/payments/resources/key/payments",
                       {"secret": base.b64u(SECRET), "policy": "payments-key"},
                       headers=base.bearer(admin))
    check("a secret to guard", st == 201, b)
    # found by this test: an empty body once reached strndup(NULL, 0)
    for path in ("/v1/admin/tenants/payments/policies", "/v1/admin/tenants/payments/refvalues"):
        st, b, _ = srv.req("POST", path, raw=b"", headers=base.bearer(admin))
        check(f"an empty body to {path} is a 400 with its reason",
              st == 400 and b"error" in b, (st, b))

    # Valid material to mutate: a KBS session, real evidence, tokens.
    st, b, cookie = base.kbs_auth(srv)
    nonce = json.loads(b)["nonce"]
    binding = {"additional-evidence": "", "nonce": nonce, "tee-pubkey": base.TEE_PUBKEY}
    rep = base.report(pki, hashlib.sha384(base.jcs(binding)).digest())
    chain = [{"cert_type": "VCEK", "data": list(base.pem_to_der(os.path.join(pki, "vcek.pem")))}]
    attest = json.dumps({"runtime-data": {"nonce": nonce, "tee-pubkey": base.TEE_PUBKEY},
                         "tee-evidence": {"primary_evidence": {"attestation_report":
                                                               base.sev_json(rep),
                                                               "cert_chain": chain},
                                          "additional_evidence": ""}}).encode()
    st, b, _ = srv.req("GET", "/v1/challenge")
    ch = json.loads(b)
    v1 = json.dumps({"session": ch["session"], "evidence": base.b64u(rep),
                     "runtime_data": {"nonce": ch["nonce"]}}).encode()
    tokens = [admin, base.admin_token(data, "auditor"), "e30.e30.e30", "x" * 2000]
    templates = [
        ("POST", "/kbs/v0/auth", b'{"version":"0.4.0","tee":"snp","extra-params":""}', {}),
        ("POST", "/kbs/v0/attest", attest, {"Cookie": cookie}),
        ("GET", "/v1/challenge", b"", {}),
        ("POST", "/v1/attest", v1, {}),
        ("GET", "/kbs/v0/resource/payments/key/payments", b"", {"Cookie": cookie}),
        ("POST", "/v1/release/payments/key/payments", b"", {}),
        ("PUT", "/v1/admin/tenants/t1", b"", {}),
        ("POST", "/v1/admin/tenants/payments/policies", json.dumps(base.RELEASE_POLICY).encode(),
         {}),
        ("PUT", "/v1/admin/tenants/payments/resources/key/x",
         json.dumps({"secret": base.b64u(b"x"), "policy": "payments-key"}).encode(), {}),
        ("GET", "/v1/admin/audit/verify", b"", {}),
    ]

    ctx = ssl.create_default_context(cafile=os.path.join(data, "tls/cert.pem"))
    results = {"status": {}, "bad": [], "secret": 0, "noerror": [], "conn": 0}
    lock = threading.Lock()
    rss = {}

    def one(conn_box, rng, i):
        method, path, body, headers = rng.choice(templates)
        headers = dict(headers)
        if rng.random() < 0.8:
            body = mutate(rng, body)
        r = rng.random()
        if r < 0.08:
            path = rng.choice([path + "/../../etc/passwd", path + "%00", "/" + "a" * 5000,
                               path.replace("/", "//"), path + "?" + "x=1&" * 500,
                               "/kbs/v0/resource/" + "../" * 20 + "x"])
        elif r < 0.12:
            method = rng.choice(["DELETE", "PATCH", "OPTIONS", "TRACE", "GET", "POST"])
        if rng.random() < 0.3:
            tok = rng.choice(tokens)
            if rng.random() < 0.5:
                t = bytearray(tok.encode())
                t[rng.randrange(len(t))] = rng.choice(b"._-Aa0=")
                tok = t.decode("latin-1")
            headers["Authorization"] = "Bearer " + tok
        if rng.random() < 0.1:
            headers["Cookie"] = rng.choice(["kbs-session-id=" + "f" * 36,
                                            "kbs-session-id=", "a=b; " * 200, cookie + "x"])
        if rng.random() < 0.03:
            headers["X-Filler"] = "y" * rng.choice([1000, 40000])
        headers["Content-Type"] = rng.choice(["application/json", "text/plain", "", "x/" * 100])
        for attempt in range(2):
            try:
                if conn_box[0] is None:
                    conn_box[0] = http.client.HTTPSConnection("127.0.0.1", srv.port, context=ctx,
                                                              timeout=30)
                c = conn_box[0]
                c.request(method, path, body=body, headers=headers)
                resp = c.getresponse()
                st, data_ = resp.status, resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    c.close()
                    conn_box[0] = None
                break
            except (OSError, http.client.HTTPException):
                # the server may close a connection after a request it refused
                if conn_box[0]:
                    conn_box[0].close()
                conn_box[0] = None
                with lock:
                    results["conn"] += 1
                st, data_ = None, b""
        with lock:
            results["status"][st] = results["status"].get(st, 0) + 1
            if st is not None and st >= 500 and st != 503:
                results["bad"].append((method, path[:80], st, data_[:200], body[:100]))
            if SECRET in data_ or base.b64u(SECRET).encode() in data_:
                results["secret"] += 1
            if st is not None and 400 <= st < 500 and st not in (404, 405, 413, 429, 431) and \
                    (not data_ or not (b"error" in data_ or b"detail" in data_)):
                results["noerror"].append((method, path[:60], st, data_[:120]))

    def worker(seed, count):
        rng = random.Random(seed)
        box = [None]
        for i in range(count):
            one(box, rng, i)
            if seed == 1 and i == min(250, count // 4):
                rss["warm"] = rss_kb(srv.proc.pid)

    # slow clients: a request line, then a header a second, for a while
    stop = threading.Event()

    def slow():
        try:
            s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port)),
                                server_hostname="127.0.0.1")
            s.send(b"POST /kbs/v0/auth HTTP/1.1\r\nHost: x\r\n")
            while not stop.wait(1.0):
                s.send(b"X-Slow: 1\r\n")
        except OSError:
            pass

    slows = [threading.Thread(target=slow, daemon=True) for _ in range(8)]
    for t in slows:
        t.start()
    t0 = time.time()
    threads = [threading.Thread(target=worker, args=(k + 1, N // 4)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = ELAPSED[0] = time.time() - t0
    stop.set()
    rss["end"] = rss_kb(srv.proc.pid)
    total = sum(results["status"].values())
    print(f"# {total} requests in {elapsed:.1f} s; statuses {sorted(results['status'].items(), key=str)}; "
          f"reconnects {results['conn']}; RSS {rss.get('warm')} -> {rss['end']} kB")
    check(f"{N} mutated requests were all answered or refused", total >= N, total)
    check("custosd is still running", srv.proc.poll() is None, srv.proc.poll())
    if srv.proc.poll() is not None:
        return
    check("no 5xx other than the documented 503", not results["bad"], results["bad"][:5])
    check("no secret in any answer", results["secret"] == 0, results["secret"])
    check("every refusal explains itself (a JSON error with its reason)",
          not results["noerror"], results["noerror"][:5])
    check("requests mostly got answers (few connections dropped)",
          results["status"].get(None, 0) < N // 20, results["status"].get(None, 0))
    check("memory stays flat (RSS grew by less than 64 MiB)",
          rss.get("warm") and rss["end"] - rss["warm"] < 64 * 1024, rss)
    # and a real client is still served, end to end
    st, b, _ = srv.req("GET", "/healthz")
    check("healthz afterwards", st == 200, (st, b))
    st, b, cookie = base.kbs_auth(srv)
    nonce = json.loads(b)["nonce"] if st == 200 else ""
    st, b, _ = base.kbs_attest(srv, pki, cookie, nonce)
    check("a genuine guest still attests afterwards", st == 200 and b"token" in b, (st, b[:200]))


def main():
    base.run_main(run, "custosd-hostile-")


if __name__ == "__main__":
    main()
