#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A PCCS on loopback that answers with recorded Intel collateral.

    pccs_server.py SAMPLE_DIR PORT_FILE LOG_FILE [garbage]

Serves the Intel PCS / PCCS API v4 paths custos collateral fetch asks for,
from a corpus sample's PCS-form files (the issuer chains in the headers,
URL-encoded, as Intel sends them; the root CA CRL in hex, as a PCCS does).
Writes its port to PORT_FILE once listening and one line per request to
LOG_FILE. With "garbage", the TCB info reply is not JSON.
"""
import http.server
import os
import sys
import urllib.parse

sample, port_file, log_file = sys.argv[1:4]
garbage = len(sys.argv) > 4 and sys.argv[4] == "garbage"


def read(name, mode="rb"):
    with open(os.path.join(sample, name), mode) as f:
        return f.read()


def chain(name):
    return urllib.parse.quote(read(name, "r"), safe="")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        with open(log_file, "a") as log:
            log.write(self.path + "\n")
        tee = url.path.split("/")[1]
        if url.path == f"/{tee}/certification/v4/tcb":
            fmspc = q.get("fmspc", [""])[0].upper()
            body = read("tcb_info.json")
            if fmspc.encode() not in body:
                return self.answer(404, b"", {})
            if garbage:
                body = b"<html>maintenance</html>"
            return self.answer(200, body, {"TCB-Info-Issuer-Chain": chain("tcb_info_issuer_chain.pem")})
        if url.path == f"/{tee}/certification/v4/qe/identity":
            return self.answer(200, read("qe_identity.json"),
                               {"SGX-Enclave-Identity-Issuer-Chain": chain("qe_identity_issuer_chain.pem")})
        if url.path == "/sgx/certification/v4/pckcrl" and q.get("ca") == ["platform"]:
            return self.answer(200, read("pck_crl.der"),
                               {"SGX-PCK-CRL-Issuer-Chain": chain("pck_crl_issuer_chain.pem")})
        if url.path == "/sgx/certification/v4/rootcacrl":
            return self.answer(200, read("root_ca_crl.der").hex().encode(), {})
        return self.answer(404, b"", {})

    def answer(self, status, body, headers):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
