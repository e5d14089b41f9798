#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The Clevis pin "custos" end to end: clevis encrypt and decrypt against a
live custosd, the key released to custos-agent attesting a simulated SEV-SNP
guest (the KBS trusts the simulator's test root, INSECURE, for the test).

Data encrypted with `clevis encrypt custos CONFIG` decrypts with `clevis
decrypt` while the guest attests as the release policy requires; a guest
with another measurement can neither encrypt nor decrypt; a JWE of another
pin and a configuration without a resource are refused.

usage: test_clevis.py CUSTOSD CUSTOS CUSTOS_SNP_SIM JWE_TOOL
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_custosd as base  # noqa: E402

check = base.check
PIN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                       "clevis")


def run(tmp):
    if not shutil.which("clevis") or not shutil.which("jose"):
        if os.environ.get("CI") == "true":
            check("clevis and jose are installed (scripts/install-deps.sh)", False)
        else:
            print("# SKIP: clevis or jose missing (scripts/install-deps.sh installs them)")
        return
    data, pki = base.affirmed_sim_data(tmp)
    srv = base.Server(data, ["--insecure-test-root", os.path.join(pki, "ark.pem")])
    env = dict(os.environ, PATH=os.pathsep.join(
        [os.path.abspath(PIN_DIR), os.path.dirname(base.CUSTOS), os.environ["PATH"]]))
    try:
        admin = base.admin_token(data, "admin")
        srv.req("PUT", "/v1/admin/tenants/disks", headers=base.bearer(admin))
        srv.req("POST", "/v1/admin/tenants/disks/policies", base.RELEASE_POLICY,
                headers=base.bearer(admin))
        st, b, _ = srv.req("PUT", "/v1/admin/tenants/disks/resources/key/root",
                           {"secret": base.b64u(os.urandom(32)), "policy": "payments-key"},
                           headers=base.bearer(admin))
        check("a disk key in the KBS", st == 201, b)
        opts = f"--attester sim --sim-pki {pki} --sim-tool {base.SIM}"
        cfg = {"url": f"https://127.0.0.1:{srv.port}", "resource": "kbs:///disks/key/root",
               "ca": os.path.join(data, "tls/cert.pem"), "options": opts}
        plaintext = b"the LUKS passphrase of the root disk\n"
        r = subprocess.run(["clevis", "encrypt", "custos", json.dumps(cfg)], input=plaintext,
                           capture_output=True, env=env)
        jwe = r.stdout
        check("clevis encrypt custos: a compact JWE naming the pin",
              r.returncode == 0 and jwe.count(b".") == 4, r.stderr.decode()[-400:])
        r = subprocess.run(["clevis", "decrypt"], input=jwe, capture_output=True, env=env)
        check("clevis decrypt: the attested guest gets the data back",
              r.returncode == 0 and r.stdout == plaintext, r.stderr.decode()[-400:])

        other = dict(cfg, options=opts + " --sim-measurement " + "ab" * 48)
        r = subprocess.run(["clevis", "encrypt", "custos", json.dumps(other)],
                           input=plaintext, capture_output=True, env=env)
        check("a guest with another measurement cannot even encrypt (no key released)",
              r.returncode != 0 and not r.stdout, r.stderr.decode()[-400:])
        # the same JWE, its pin configuration swapped for the other guest's: refused
        r = subprocess.run(["clevis-decrypt-custos"], input=swap_cfg(jwe, other),
                           capture_output=True, env=env)
        check("a guest with another measurement cannot decrypt",
              r.returncode != 0 and plaintext not in r.stdout, r.stderr.decode()[-400:])
        r = subprocess.run(["clevis", "encrypt", "null", "{}"], input=plaintext,
                           capture_output=True, env=env)
        r = subprocess.run(["clevis-decrypt-custos"], input=r.stdout, capture_output=True,
                           env=env)
        check("a JWE of another pin is refused", r.returncode != 0 and b"pin" in r.stderr,
              r.stderr)
        r = subprocess.run(["clevis", "encrypt", "custos", '{"url": "https://x"}'],
                           input=plaintext, capture_output=True, env=env)
        check("a configuration without the resource is refused, saying so",
              r.returncode != 0 and b"resource" in r.stderr, r.stderr)
        luks(tmp, cfg, env)
    finally:
        srv.stop()


def luks(tmp, cfg, env):
    """clevis luks bind and unlock of a LUKS2 volume on a loop device, where allowed."""
    why = None
    if os.geteuid() != 0:
        why = "not root (loop devices and LUKS need it)"
    elif not shutil.which("cryptsetup") or not shutil.which("clevis-luks-bind"):
        why = "cryptsetup or clevis-luks missing"
    img, kf = os.path.join(tmp, "luks.img"), os.path.join(tmp, "initial.key")
    loop = None
    if not why:
        with open(img, "wb") as f:
            f.truncate(40 << 20)
        r = subprocess.run(["losetup", "-f", "--show", img], capture_output=True, text=True)
        loop = r.stdout.strip() if r.returncode == 0 else None
        if not loop:
            why = "no loop device: " + r.stderr.strip()
    if why:
        print(f"# SKIP the LUKS part: {why}")
        return
    try:
        with open(kf, "w") as f:
            f.write("initial passphrase")
        subprocess.run(["cryptsetup", "luksFormat", "--type", "luks2", "-q", "--pbkdf", "pbkdf2",
                        "--pbkdf-force-iterations", "1000", "--key-file", kf, loop],
                       check=True, capture_output=True)
        r = subprocess.run(["clevis", "luks", "bind", "-d", loop, "-k", kf, "custos",
                            json.dumps(cfg)], capture_output=True, text=True, env=env)
        check("clevis luks bind -d LOOP custos: a key slot bound to the KBS",
              r.returncode == 0, r.stderr[-400:])
        r = subprocess.run(["clevis", "luks", "list", "-d", loop], capture_output=True,
                           text=True, env=env)
        slot = r.stdout.split(":")[0].strip() if "custos" in r.stdout else None
        check("clevis luks list shows the custos pin", slot is not None, r.stdout + r.stderr)
        if slot is None:
            return
        # the slot's passphrase, decrypted by the pin (attesting), opens the volume
        p = subprocess.run(["clevis", "luks", "pass", "-d", loop, "-s", slot],
                           capture_output=True, env=env)
        t = subprocess.run(["cryptsetup", "open", "--test-passphrase", "--key-file", "-", loop],
                           input=p.stdout, capture_output=True)
        check("the attested machine unlocks the volume (clevis luks pass, cryptsetup)",
              p.returncode == 0 and t.returncode == 0, (p.stderr[-300:], t.stderr[-300:]))
        r = subprocess.run(["clevis", "luks", "unlock", "-d", loop, "-n", "custos-clevis-test"],
                           capture_output=True, text=True, env=env)
        if os.path.exists("/dev/mapper/custos-clevis-test"):
            check("clevis luks unlock maps the volume", True)
            subprocess.run(["cryptsetup", "close", "custos-clevis-test"], capture_output=True)
        else:
            print("# SKIP clevis luks unlock's mapping: no device-mapper here "
                  f"({(r.stderr.strip().splitlines() or ['?'])[-1]})")
    finally:
        subprocess.run(["losetup", "-d", loop], capture_output=True)


def swap_cfg(jwe, cfg):
    """The JWE with another pin configuration in its protected header (the tag no
    longer matches, but the pin fetches its key first: that is what is refused)."""
    import base64
    parts = jwe.strip().split(b".")
    hdr = json.loads(base64.urlsafe_b64decode(parts[0] + b"==="))
    hdr["clevis"]["custos"] = cfg
    parts[0] = base64.urlsafe_b64encode(json.dumps(hdr).encode()).rstrip(b"=")
    return b".".join(parts)


def main():
    base.run_main(run, "custos-clevis-")


if __name__ == "__main__":
    main()
