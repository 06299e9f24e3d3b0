#!/usr/bin/python3
"""A scripted FAKE of EJBCA's REST API for the integration tests (EJBCA
itself cannot run here). HTTPS that requires a client certificate signed
by --client-ca; it knows only what cabut's ejbca backend calls:

  PUT {prefix}/v1/certificate/{issuer_dn}/{serial_hex}/revoke
        ?reason=NAME[&invalidity_date=ISO8601][&date=ISO8601]
  GET {prefix}/v1/certificate/{issuer_dn}/{serial_hex}/revocationstatus

with the status codes and bodies EJBCA's REST resource gives: 200 and a
RevokeStatusRestResponse; 400 for a bad reason, serial or date; 404 for an
unknown CA or certificate; 409 for a certificate revoked before (unless
it is on hold, or the new reason is KEY_COMPROMISE and the CA allows
changing the reason); errors as {"error_code": N, "error_message": "..."}.
State is in memory; every request (method, raw path, query, client
certificate subject, status) is one JSON line in --log.

--certs FILE: one certificate a line, "SERIAL_HEX<TAB>ISSUER_DN[<TAB>REASON]"
(REASON: already revoked with it, e.g. CERTIFICATE_HOLD).
--control DIR: a file DIR/fail-NNN makes the next request answer NNN
(then the file is removed); DIR/allow-changing-reason switches the CA's
"Allow changing revocation reason" on.
"""

import argparse
import datetime
import json
import os
import socketserver
import ssl
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

REASONS = ["UNSPECIFIED", "KEY_COMPROMISE", "CA_COMPROMISE",
           "AFFILIATION_CHANGED", "SUPERSEDED", "CESSATION_OF_OPERATION",
           "CERTIFICATE_HOLD", "REMOVE_FROM_CRL", "PRIVILEGES_WITHDRAWN",
           "AA_COMPROMISE", "NOT_REVOKED"]


def norm_dn(dn):
    """EJBCA compares DNs normalised; here: no blanks around , and =."""
    parts = []
    for rdn in dn.split(","):
        k, _, v = rdn.partition("=")
        parts.append(k.strip().upper() + "=" + v.strip())
    return ",".join(parts)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s):
    try:
        d = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d


class State:
    def __init__(self, certs_file, control):
        self.lock = threading.Lock()
        self.control = control
        self.cas = set()
        self.certs = {}         # (issuer, serial int) -> dict
        with open(certs_file, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line.startswith("#"):
                    continue
                fields = line.split("\t")
                issuer = norm_dn(fields[1])
                self.cas.add(issuer)
                c = {"reason": None, "date": None, "invalidity": None}
                if len(fields) > 2 and fields[2]:
                    c["reason"] = fields[2]
                    c["date"] = datetime.datetime.now(datetime.timezone.utc)
                self.certs[(issuer, int(fields[0], 16))] = c

    def injected(self):
        if not self.control:
            return None
        for name in sorted(os.listdir(self.control)):
            if name.startswith("fail-"):
                try:
                    os.unlink(os.path.join(self.control, name))
                except FileNotFoundError:
                    continue
                return int(name[5:])
        return None

    def allow_change(self):
        return bool(self.control) and os.path.exists(
            os.path.join(self.control, "allow-changing-reason"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-EJBCA"

    def setup(self):
        self.subject = None
        self.tls_ok = False
        self.request.settimeout(10)
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError) as e:
            self.server.log({"event": "tls-refused", "error": str(e)})
            raise
        self.tls_ok = True
        cert = self.request.getpeercert()
        if cert:
            self.subject = ",".join(
                "%s=%s" % (k, v) for rdn in cert.get("subject", ())
                for k, v in rdn)
        super().setup()

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj=None, text=None):
        if obj is not None:
            body = json.dumps(obj).encode()
            ctype = "application/json"
        else:
            body = (text or "").encode()
            ctype = "text/html"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.log({"method": self.command, "path": self.raw_path,
                         "query": self.raw_query, "client": self.subject,
                         "status": status})

    def error(self, status, message):
        self.reply(status, {"error_code": status, "error_message": message})

    def route(self):
        """(issuer, serial hex, action) of a certificate URL, or None."""
        raw, _, self.raw_query = self.path.partition("?")
        self.raw_path = raw
        prefix = self.server.prefix + "/v1/certificate/"
        if not raw.startswith(prefix):
            return None
        # Split before decoding: an encoded '/' stays inside its segment.
        segs = raw[len(prefix):].split("/")
        if len(segs) != 3:
            return None
        return (urllib.parse.unquote(segs[0]), urllib.parse.unquote(segs[1]),
                segs[2])

    def common(self, method):
        r = self.route()
        if r is None or r[2] != {"PUT": "revoke",
                                 "GET": "revocationstatus"}[method]:
            self.reply(404, text="<html><body>Not Found</body></html>")
            return None
        inj = self.server.state.injected()
        if inj is not None:
            self.error(inj, "injected failure")
            return None
        issuer, serial_hex, _ = r
        try:
            serial = int(serial_hex[2:] if serial_hex.lower().startswith(
                "0x") else serial_hex, 16)
        except ValueError:
            self.error(400, "Invalid serial number format. Should be HEX "
                       "encoded (optionally with '0x' prefix) e.g. "
                       "'0x10782a83eef170d4'")
            return None
        dn = norm_dn(issuer)
        if dn not in self.server.state.cas:
            self.error(404, "CA with DN: %s does not exist." % issuer)
            return None
        return dn, serial, serial_hex, issuer

    def status_body(self, c, issuer, serial_hex, reason=None, message=None):
        return {"issuer_dn": issuer, "serial_number": serial_hex,
                "revocation_reason": reason or c["reason"] or "NOT_REVOKED",
                "revocation_date": iso(c["date"]) if c["date"] else None,
                "invalidity_date":
                    iso(c["invalidity"]) if c["invalidity"] else None,
                "message": message, "revoked": c["reason"] is not None}

    def do_GET(self):
        r = self.common("GET")
        if r is None:
            return
        dn, serial, serial_hex, issuer = r
        with self.server.state.lock:
            c = self.server.state.certs.get((dn, serial))
            if c is None:
                self.error(404, "Certificate with serial number %s and "
                           "issuer DN %s was not found." % (serial_hex, issuer))
                return
            self.reply(200, self.status_body(c, issuer, serial_hex))

    def do_PUT(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        r = self.common("PUT")
        if r is None:
            return
        dn, serial, serial_hex, issuer = r
        q = urllib.parse.parse_qs(self.raw_query, keep_blank_values=True)
        reason = q.get("reason", [None])[0]
        inv = q.get("invalidity_date", [None])[0]
        now = datetime.datetime.now(datetime.timezone.utc)
        inv_t = None
        if inv is not None:
            inv_t = parse_iso(inv)
            if inv_t is None:
                self.error(400, "Invalid date: '%s'." % inv)
                return
            if inv_t > now:
                self.error(400, "Date in the future: '%s'." % inv)
                return
        with self.server.state.lock:
            c = self.server.state.certs.get((dn, serial))
            # (EJBCA also takes no reason with an invalidity date for a
            # revoked certificate; cabut always sends one.)
            if reason not in REASONS or reason == "NOT_REVOKED":
                self.error(400, "Invalid revocation reason.")
                return
            if c is None:
                self.error(404, "Certificate with serial number %s and "
                           "issuer DN %s was not found." % (serial_hex, issuer))
                return
            cur = c["reason"]
            if cur is not None and cur != "CERTIFICATE_HOLD" and not (
                    self.server.state.allow_change() and
                    reason == "KEY_COMPROMISE" and cur != "KEY_COMPROMISE"):
                self.error(409, "Certificate with serial number %s and "
                           "issuer DN %s is already revoked." %
                           (serial_hex, issuer))
                return
            c["reason"] = reason
            if cur is None or cur == "CERTIFICATE_HOLD":
                c["date"] = now
            c["invalidity"] = inv_t
            self.reply(200, self.status_body(c, issuer, serial_hex, reason,
                                             "Successfully revoked"))


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, ctx, state, prefix, logf):
        self.ctx = ctx
        self.state = state
        self.prefix = prefix
        self.logf = logf
        self.loglock = threading.Lock()
        super().__init__(addr, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # The handshake happens in the request's thread (Handler.setup).
        return self.ctx.wrap_socket(sock, server_side=True,
                                    do_handshake_on_connect=False), addr

    def log(self, entry):
        with self.loglock, open(self.logf, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")

    def handle_error(self, request, client_address):
        pass    # TLS refusals are logged in Handler.setup


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True, help="HOST:PORT")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca", required=True)
    ap.add_argument("--certs", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--control", default=None)
    ap.add_argument("--prefix", default="/ejbca/ejbca-rest-api")
    a = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.cert, a.key)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(a.client_ca)
    host, _, port = a.listen.rpartition(":")
    srv = Server((host, int(port)), ctx, State(a.certs, a.control),
                 a.prefix.rstrip("/"), a.log)
    print("fake EJBCA listening on %s" % a.listen, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
