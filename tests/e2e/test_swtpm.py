#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A live TPM (swtpm, started here) attests to custosd over the KBS protocol.

The guest side is tpm2-tools against swtpm: an endorsement key, an ECDSA
attestation key made persistent, a workload measured into PCR 16, and a
TPM2_Quote over PCRs 0-7 and 16 whose qualifying data is the KBS binding
(SHA-384 of the canonical runtime data). custosd trusts the AK because its
public key is in collateral/, affirms the PCR 16 value listed in the
reference values, and releases a secret as a JWE to the TEE key. Then the
workload changes (PCR 16 extended again): the next attestation is not
affirmed, the explanation names tpm.sha256.pcr16, and the secret stays put.
A quote with another nonce, and an AK custosd does not know, are refused.

usage: test_swtpm.py CUSTOSD CUSTOS CUSTOS_SNP_SIM JWE_TOOL
"""
import base64
import hashlib
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_custosd as base  # noqa: E402

SECRET = b"disk key of the measured workload"
AGENT = os.path.join(os.path.dirname(base.CUSTOS), "custos-agent")

APPRAISAL = {
    "version": 1, "kind": "appraisal", "id": "tpm-workload", "revision": 1,
    "description": "A TPM whose PCR 16 holds an approved workload",
    "trustworthiness": {
        "hardware": {"when": {"claim": "tee", "equals": "tpm"},
                     "pass": "genuine", "fail": "unrecognized"},
        "executables": {"when": {"claim": "tpm.sha256.pcr16", "in": {"refvalues": "workloads"}},
                        "pass": "approved_runtime", "fail": "unrecognized"}}}

RELEASE = {
    "version": 1, "kind": "release", "id": "tpm-key", "revision": 1,
    "allow": {"allOf": [
        {"claim": "submods.cpu0.ear.status", "equals": "affirming"},
        {"claim": "submods.cpu0.ear.veraison.annotated-evidence.tee", "equals": "tpm"}]}}


check = base.check  # the same counters as the custosd e2e test


def free_port_pair():
    """Two free consecutive ports: the swtpm TCTI finds the control port at port + 1."""
    for _ in range(100):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            try:
                with socket.socket() as b:
                    b.bind(("127.0.0.1", port + 1))
                    return port
            except OSError:
                continue
    raise RuntimeError("no two consecutive free ports")


class Swtpm:
    """swtpm on loopback, and tpm2-tools talking to it."""

    def __init__(self, tmp, name="swtpm", ek_cert=False):
        self.dir = os.path.join(tmp, name)
        os.makedirs(os.path.join(self.dir, "state"))
        if ek_cert:
            self.manufacture()
        self.port = free_port_pair()
        ctrl = self.port + 1
        self.proc = subprocess.Popen(
            ["swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + os.path.join(self.dir, "state"),
             "--server", f"type=tcp,port={self.port}", "--ctrl", f"type=tcp,port={ctrl}",
             "--flags", "not-need-init,startup-clear"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.tcti = f"swtpm:host=127.0.0.1,port={self.port}"
        self.env = dict(os.environ, TPM2TOOLS_TCTI=self.tcti)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)

    def manufacture(self):
        """swtpm_setup as a TPM vendor would: an RSA EK and its certificate in NV, issued by
        a local CA (root and intermediate under ca/) that stands in for the manufacturer."""
        ca = os.path.join(self.dir, "ca")
        os.makedirs(ca)
        conf = {"localca.conf": f"statedir = {ca}\nsigningkey = {ca}/signkey.pem\n"
                                f"issuercert = {ca}/issuercert.pem\ncertserial = {ca}/certserial\n",
                "localca.options": "--platform-manufacturer Custos\n--platform-version 2.1\n"
                                   "--platform-model test\n",
                "setup.conf": "create_certs_tool = /usr/bin/swtpm_localca\n"
                              f"create_certs_tool_config = {self.dir}/localca.conf\n"
                              f"create_certs_tool_options = {self.dir}/localca.options\n"
                              "active_pcr_banks = sha256\n"}
        for name, text in conf.items():
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        subprocess.run(["swtpm_setup", "--tpm2", "--tpmstate", os.path.join(self.dir, "state"),
                        "--create-ek-cert", "--config", os.path.join(self.dir, "setup.conf"),
                        "--overwrite"], check=True, capture_output=True)
        self.ca_root = os.path.join(ca, "swtpm-localca-rootca-cert.pem")
        self.ca_issuer = os.path.join(ca, "issuercert.pem")

    def run(self, *args):
        r = subprocess.run(list(args), cwd=self.dir, env=self.env, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip()}")
        # no resource manager: transient objects and sessions are flushed after each command
        for kind in ("-t", "-s"):
            subprocess.run(["tpm2_flushcontext", kind], cwd=self.dir, env=self.env,
                           capture_output=True)
        return r.stdout

    def path(self, name):
        return os.path.join(self.dir, name)

    def provision(self):
        """EK, then a restricted ECDSA P-256 AK made persistent at 0x81010002."""
        self.run("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub")
        self.run("tpm2_createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "ecc", "-g", "sha256",
                 "-s", "ecdsa", "-u", "ak.pem", "-f", "pem", "-n", "ak.name")
        subprocess.run(["tpm2_flushcontext", "-s"], cwd=self.dir, env=self.env,
                       capture_output=True)
        self.run("tpm2_evictcontrol", "-C", "o", "-c", "ak.ctx", "0x81010002")
        self.run("tpm2_readpublic", "-c", "0x81010002", "-f", "tss", "-o", "ak.tss")

    def measure(self, what):
        self.run("tpm2_pcrextend", "16:sha256=" + hashlib.sha256(what).hexdigest())

    def pcr16(self):
        out = self.run("tpm2_pcrread", "sha256:16")
        return re.search(r"16\s*:\s*0x([0-9A-Fa-f]{64})", out).group(1).lower()

    def evidence(self, qualifying):
        """TPM evidence (docs/tpm.md) for a quote over PCRs 0-7 and 16."""
        sel = "sha256:0,1,2,3,4,5,6,7,16"
        self.run("tpm2_quote", "-c", "0x81010002", "-l", sel, "-q", qualifying.hex(),
                 "-m", "quote.msg", "-s", "quote.sig", "-g", "sha256")
        out = self.run("tpm2_pcrread", sel)
        pcrs = [m.group(2).lower() for m in re.finditer(r"(\d+)\s*:\s*0x([0-9A-Fa-f]{64})", out)]
        b64 = lambda f: base64.b64encode(open(self.path(f), "rb").read()).decode()  # noqa: E731
        return {"ak_public": b64("ak.tss"),
                "quote": {"SHA256": {"attest_body": b64("quote.msg"),
                                     "attest_sig": b64("quote.sig"), "pcrs": pcrs}}}

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def synthetic_log(tpm, sysroot, events):
    """A TCG crypto-agile event log (Spec ID Event03, SHA-256) of EV_IPL events
    (pcr, text), written where the agent reads the firmware's log under sysroot,
    each digest extended into its PCR as firmware would."""
    spec = (b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, 1)
            + struct.pack("<HH", 0x000b, 32) + b"\0")
    log = struct.pack("<II", 0, 3) + b"\0" * 20 + struct.pack("<I", len(spec)) + spec
    for pcr, text in events:
        data = text.encode()
        digest = hashlib.sha256(data).digest()
        log += (struct.pack("<III", pcr, 0x0d, 1) + struct.pack("<H", 0x000b) + digest
                + struct.pack("<I", len(data)) + data)
        tpm.run("tpm2_pcrextend", f"{pcr}:sha256={digest.hex()}")
    path = os.path.join(sysroot, "sys/kernel/security/tpm0")
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "binary_bios_measurements"), "wb") as f:
        f.write(log)
    return log


def attest(srv, tpm, tee_pub, bind_nonce=None):
    st, b, cookie = base.kbs_auth(srv, tee="tpm")
    if st != 200:
        return st, b, cookie
    nonce = json.loads(b)["nonce"]
    binding = {"additional-evidence": "", "nonce": bind_nonce or nonce, "tee-pubkey": tee_pub}
    digest = hashlib.sha384(base.jcs(binding)).digest()
    body = {"runtime-data": {"nonce": nonce, "tee-pubkey": tee_pub},
            "tee-evidence": {"primary_evidence": tpm.evidence(digest),
                             "additional_evidence": ""}}
    st, b, _ = srv.req("POST", "/kbs/v0/attest", body, headers={"Cookie": cookie})
    return st, b, cookie


def run(tmp):
    if not shutil.which("swtpm") or not shutil.which("tpm2_quote"):
        if os.environ.get("CI") == "true":
            check("swtpm and tpm2-tools are installed (scripts/install-deps.sh)", False)
        else:
            print("# SKIP: swtpm or tpm2-tools missing (scripts/install-deps.sh installs them)")
        return
    tpm = Swtpm(tmp)
    try:
        tpm.provision()
        # custos-agent's own AK, at another handle: what it prints is what custosd pins
        r = subprocess.run([AGENT, "tpm-provision", "--tpm-tcti", tpm.tcti, "--tpm-ak",
                            "0x81010004", "--out", os.path.join(tmp, "agent-ak.pem")],
                           capture_output=True, text=True)
        check("custos-agent tpm-provision makes an AK and prints its key",
              r.returncode == 0 and "BEGIN PUBLIC KEY" in open(os.path.join(tmp, "agent-ak.pem")
                                                               ).read(), r.stderr)
        r = subprocess.run([AGENT, "tpm-provision", "--tpm-tcti", tpm.tcti, "--tpm-ak",
                            "0x81010004"], capture_output=True, text=True)
        check("provisioning again keeps the same AK",
              r.returncode == 0 and r.stdout == open(os.path.join(tmp, "agent-ak.pem")).read()
              and r.stderr == "", (r.returncode, r.stderr))
        tpm.measure(b"workload v1")
        good = tpm.pcr16()
        # a second TPM, manufactured with an EK certificate, for credential activation
        tpm2 = Swtpm(tmp, "swtpm-ek", ek_cert=True)
        try:
            r = subprocess.run([AGENT, "tpm-provision", "--tpm-tcti", tpm2.tcti],
                               capture_output=True, text=True)
            check("the second TPM has an AK too", r.returncode == 0, r.stderr)
            tpm2.measure(b"workload v1")
            with_tpm(tmp, tpm, good, tpm2)
        finally:
            tpm2.stop()
    finally:
        tpm.stop()


def with_tpm(tmp, tpm, good, tpm2):
    data = os.path.join(tmp, "data")
    subprocess.run([base.CUSTOSD, "init", data], check=True, capture_output=True)
    with open(os.path.join(data, "policies", "appraisal.json"), "w") as f:
        json.dump(APPRAISAL, f)
    with open(os.path.join(data, "refvalues.json"), "w") as f:
        json.dump({"version": 1, "sets": {"workloads": {"values": [good]}}}, f)
    keyfile = os.path.join(tmp, "tee.jwk")
    with open(keyfile, "wb") as f:
        f.write(subprocess.run([base.JWE_TOOL, "keygen", "EC"], capture_output=True,
                               check=True).stdout)
    tee_pub = json.loads(subprocess.run([base.JWE_TOOL, "pub"], input=open(keyfile, "rb").read(),
                                        capture_output=True, check=True).stdout)

    # An AK custosd does not know is refused (nothing in collateral/ yet).
    srv = base.Server(data)
    try:
        st, b, _ = attest(srv, tpm, tee_pub)
        check("an unknown AK is refused at ak-trust", st == 401 and b"not trusted" in b, (st, b))
    finally:
        srv.stop()

    shutil.copy(tpm.path("ak.pem"), os.path.join(data, "collateral", "tpm-ak.pem"))
    shutil.copy(os.path.join(tmp, "agent-ak.pem"), os.path.join(data, "collateral", "agent-ak.pem"))
    # the manufacturer's CA, which vouches for EKs (and could certify AKs)
    shutil.copy(tpm2.ca_root, os.path.join(data, "collateral", "tpm-vendor-root.pem"))
    shutil.copy(tpm2.ca_issuer, os.path.join(data, "collateral", "tpm-vendor-issuer.pem"))
    srv = base.Server(data)
    try:
        admin = base.admin_token(data, "admin")
        srv.req("PUT", "/v1/admin/tenants/vault", headers=base.bearer(admin))
        st, b, _ = srv.req("POST", "/v1/admin/tenants/vault/policies", RELEASE,
                           headers=base.bearer(admin))
        check("a release policy on the TPM's appraisal", st == 201, b)
        st, b, _ = srv.req("PUT", "/v1/admin/tenants/vault/resources/key/disk",
                           {"secret": base.b64u(SECRET), "policy": "tpm-key"},
                           headers=base.bearer(admin))
        check("a secret for the measured workload", st == 201, b)

        st, b, cookie = attest(srv, tpm, tee_pub)
        check("a live swtpm quote attests over KBS (tee tpm)", st == 200 and b"token" in b,
              (st, b))
        if st == 200:
            claims = json.loads(base64.urlsafe_b64decode(
                json.loads(b)["token"].split(".")[1] + "==="))
            sub = claims["submods"]["cpu0"]
            check("the workload is affirmed", sub["ear.status"] == "affirming", sub)
            ev = sub["ear.veraison.annotated-evidence"]
            check("the result carries the quoted PCR 16 and the AK's trust",
                  ev["tpm"]["sha256"]["pcr16"] == good and ev["tpm"]["ak"]["trust"] == "key",
                  ev.get("tpm"))
        st, b, _ = srv.req("GET", "/kbs/v0/resource/vault/key/disk", headers={"Cookie": cookie})
        check("the secret is released as a JWE to the TEE key",
              st == 200 and base.decrypt(keyfile, b) == SECRET, (st, b[:200]))

        # custos-agent's TPM attester: the whole KBS flow, the secret to a file
        secret_file = os.path.join(tmp, "agent-secret")
        r = subprocess.run([AGENT, "get-resource", "kbs:///vault/key/disk", "--url",
                            f"https://127.0.0.1:{srv.port}", "--ca",
                            os.path.join(data, "tls/cert.pem"), "--attester", "tpm",
                            "--tpm-tcti", tpm.tcti, "--tpm-ak", "0x81010004", "--tpm-pcrs",
                            "0-7,16", "--out", secret_file], capture_output=True, text=True)
        check("custos-agent --attester tpm fetches the secret",
              r.returncode == 0 and open(secret_file, "rb").read() == SECRET
              and oct(os.stat(secret_file).st_mode & 0o777) == "0o600", (r.returncode, r.stderr))
        # a measured boot: a synthetic firmware log the TPM's PCRs 8 and 9 now hold
        sysroot = os.path.join(tmp, "sysroot")
        synthetic_log(tpm, sysroot, [(8, "grub_cmd: linux /vmlinuz root=/dev/vda1 ro"),
                                     (8, "kernel_cmdline: /vmlinuz root=/dev/vda1 ro"),
                                     (9, "/boot/vmlinuz")])
        env = dict(os.environ, CUSTOS_AGENT_SYSROOT=sysroot)
        r = subprocess.run([AGENT, "token", "--url", f"https://127.0.0.1:{srv.port}", "--ca",
                            os.path.join(data, "tls/cert.pem"), "--attester", "tpm",
                            "--tpm-tcti", tpm.tcti, "--tpm-ak", "0x81010004", "--tpm-pcrs",
                            "0-9,16"], capture_output=True, text=True, env=env)
        claims = json.loads(base64.urlsafe_b64decode(r.stdout.strip().split(".")[1] + "===")) \
            if r.returncode == 0 else {}
        el = claims.get("submods", {}).get("cpu0", {}).get(
            "ear.veraison.annotated-evidence", {}).get("tpm", {}).get("eventlog", {})
        check("the agent sends the firmware's event log; custosd replays it into PCRs 8 and 9",
              8 in el.get("sha256", {}).get("replayed", []) and
              9 in el.get("sha256", {}).get("replayed", []) and
              el.get("kernel_cmdline") == "/vmlinuz root=/dev/vda1 ro", (r.stderr, el))
        log_path = os.path.join(sysroot, "sys/kernel/security/tpm0/binary_bios_measurements")
        log = bytearray(open(log_path, "rb").read())
        log[-20] ^= 1  # a byte of the last event's digest: the log no longer replays
        with open(log_path, "wb") as f:
            f.write(log)
        r = subprocess.run([AGENT, "token", "--url", f"https://127.0.0.1:{srv.port}", "--ca",
                            os.path.join(data, "tls/cert.pem"), "--attester", "tpm",
                            "--tpm-tcti", tpm.tcti, "--tpm-ak", "0x81010004", "--tpm-pcrs",
                            "0-9,16"], capture_output=True, text=True, env=env)
        check("a log that does not replay to the quoted PCRs is refused",
              r.returncode == 1 and "event log" in r.stderr, r.stderr)
        r = subprocess.run([AGENT, "evidence", "--attester", "tpm", "--tpm-tcti", tpm.tcti,
                            "--tpm-ak", "0x81010004", "--report-data", "c0ffee"],
                           capture_output=True, text=True)
        evfile = os.path.join(tmp, "agent-evidence.json")
        with open(evfile, "w") as f:
            f.write(r.stdout)
        v = subprocess.run([base.CUSTOS, "verify", "--report-data", "c0ffee", "--collateral",
                            os.path.join(tmp, "agent-ak.pem"), evfile], capture_output=True,
                           text=True)
        check("custos-agent evidence --attester tpm verifies with custos verify",
              r.returncode == 0 and v.returncode == 0 and '"pcr7"' in v.stdout,
              (r.stderr, v.stderr))
        r = subprocess.run([AGENT, "evidence", "--attester", "tpm", "--tpm-tcti", tpm.tcti,
                            "--tpm-ak", "0x81010006", "--report-data", "c0ffee"],
                           capture_output=True, text=True)
        check("no AK at the handle: the agent says to provision one",
              r.returncode == 2 and "tpm-provision" in r.stderr, r.stderr)

        st, b, _ = attest(srv, tpm, tee_pub, bind_nonce=base64.b64encode(b"x" * 32).decode())
        check("a quote bound to another nonce is refused", st == 401 and b"qualifying data" in b,
              (st, b))

        enrollment(srv, tmp, data, tpm, tpm2)

        # The workload changes: PCR 16 no longer holds the approved value.
        tpm.measure(b"workload v2, not approved")
        st, b, cookie = attest(srv, tpm, tee_pub)
        claims = json.loads(base64.urlsafe_b64decode(
            json.loads(b)["token"].split(".")[1] + "===")) if st == 200 else {}
        sub = claims.get("submods", {}).get("cpu0", {})
        check("a changed PCR is not affirmed", st == 200 and sub.get("ear.status") != "affirming",
              (st, sub.get("ear.status")))
        st, b, _ = srv.req("GET", "/kbs/v0/resource/vault/key/disk", headers={"Cookie": cookie})
        check("and the secret is not released", st in (401, 403) and SECRET not in b, (st, b))
    finally:
        srv.stop()
    # the explanation, from the same evidence through the CLI, names the PCR
    ev = tpm.evidence(b"\x01" * 48)
    evfile = os.path.join(tmp, "tpm-evidence.json")
    with open(evfile, "w") as f:
        json.dump(ev, f)
    pol = os.path.join(tmp, "appraisal.json")
    with open(pol, "w") as f:
        json.dump(APPRAISAL, f)
    r = subprocess.run([base.CUSTOS, "verify", "--collateral", tpm.path("ak.pem"), "--appraise",
                        "--policy", pol, "--refvalues", os.path.join(data, "refvalues.json"),
                        "--key", os.path.join(tmp, "ear.json"), "--explain", evfile],
                       capture_output=True, text=True)
    check("the explanation names tpm.sha256.pcr16",
          r.returncode == 1 and "tpm.sha256.pcr16" in r.stderr, (r.returncode, r.stderr[-600:]))


def enrollment(srv, tmp, data, tpm, tpm2):
    """AK registration by credential activation (the second TPM's AK is pinned nowhere)."""
    secret_file = os.path.join(tmp, "enrolled-secret")
    fetch = [AGENT, "get-resource", "kbs:///vault/key/disk", "--url",
             f"https://127.0.0.1:{srv.port}", "--ca", os.path.join(data, "tls/cert.pem"),
             "--attester", "tpm", "--tpm-tcti", tpm2.tcti, "--tpm-pcrs", "0-7,16",
             "--out", secret_file, "--force"]
    r = subprocess.run(fetch, capture_output=True, text=True)
    check("an AK that is neither pinned nor registered is refused",
          r.returncode == 1 and "not trusted" in r.stderr, r.stderr)
    r = subprocess.run([AGENT, "tpm-enroll", "--url", f"https://127.0.0.1:{srv.port}", "--ca",
                        os.path.join(data, "tls/cert.pem"), "--tpm-tcti", tpm2.tcti],
                       capture_output=True, text=True)
    check("custos-agent tpm-enroll registers the AK (EK certificate, ActivateCredential)",
          r.returncode == 0 and "registered" in r.stderr, (r.returncode, r.stderr))
    r = subprocess.run(fetch, capture_output=True, text=True)
    check("the registered AK's quote releases the secret",
          r.returncode == 0 and open(secret_file, "rb").read() == SECRET, r.stderr)
    tpm2.run("tpm2_readpublic", "-c", "0x81010002", "-f", "tss", "-o", "ak.tss")
    st, b, _ = attest(srv, tpm2, json.loads(subprocess.run(
        [base.JWE_TOOL, "pub"], input=open(os.path.join(tmp, "tee.jwk"), "rb").read(),
        capture_output=True, check=True).stdout))
    ak = json.loads(base64.urlsafe_b64decode(json.loads(b)["token"].split(".")[1] + "===")
                    )["submods"]["cpu0"]["ear.veraison.annotated-evidence"]["tpm"]["ak"] \
        if st == 200 else {}
    check("the result says the AK was trusted by registration", ak.get("trust") == "registered",
          (st, ak))

    # the server's side of it, by hand: the request as the agent makes it
    tpm2.run("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.tss", "-f", "tss")
    tpm2.run("tpm2_readpublic", "-c", "0x81010002", "-f", "tss", "-o", "ak.tss")
    tpm2.run("tpm2_nvread", "0x01c00002", "-o", "ek-cert.der")
    b64 = lambda p: base64.b64encode(open(p, "rb").read()).decode()  # noqa: E731
    req = {"ek_public": b64(tpm2.path("ek.tss")), "ek_cert": b64(tpm2.path("ek-cert.der")),
           "ak_public": b64(tpm2.path("ak.tss"))}
    st, b, _ = srv.req("POST", "/v1/tpm/enroll", req)
    check("enroll answers a credential and a session",
          st == 200 and b"credential_blob" in b and b"encrypted_secret" in b, (st, b))
    if st == 200:
        session = json.loads(b)["session"]
        st, b, _ = srv.req("POST", "/v1/tpm/activate",
                           {"session": session, "secret": base64.b64encode(b"x" * 32).decode()})
        check("a wrong secret does not register", st == 401 and b"credential" in b, (st, b))
    # an EK certificate of another TPM's EK
    tpm.run("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.tss", "-f", "tss")
    other = dict(req, ek_public=b64(tpm.path("ek.tss")))
    st, b, _ = srv.req("POST", "/v1/tpm/enroll", other)
    check("an EK certificate for another EK is refused",
          st == 401 and b"another key" in b, (st, b))
    st, b, _ = srv.req("POST", "/v1/tpm/enroll", dict(req, ek_cert=base64.b64encode(
        base.pem_to_der(tpm2.ca_issuer)).decode()))
    check("a certificate that is not the EK's is refused", st == 401, (st, b))
    st, b, _ = srv.req("POST", "/v1/tpm/enroll", dict(req, ak_public=req["ek_public"]))
    check("an AK that is not a restricted signing key is refused",
          st == 401 and b"restricted signing key" in b, (st, b))


def main():
    base.run_main(run, "custos-swtpm-")


if __name__ == "__main__":
    main()
