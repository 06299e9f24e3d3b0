#!/usr/bin/python3
"""A small HTTP(S) server for the integration tests (standard library only).

Serves the files of --dir with ETag and Last-Modified, answers 304 to a
matching If-None-Match (or, without one, If-Modified-Since), and logs one
line per request to --log, flushed at once:

    METHOD PATH STATUS if-none-match=VALUE if-modified-since=VALUE

(VALUE "-" when the header was not sent).  Only 127.0.0.1.

GET PATH?nolength sends the file without Content-Length (the body ends when
the connection closes).  POST and PUT echo the request body back with
status 200, the request's Content-Type and an X-Method header.
--tls CERT KEY serves HTTPS; --client-ca FILE then also requires a client
certificate signed by FILE.
"""

import argparse
import email.utils
import hashlib
import http.server
import os
import ssl
import sys
import threading
import urllib.parse

BODY_MAX = 16 << 20  # bytes of a request body we read


def etag_of(st):
    h = hashlib.sha256(("%d:%d" % (st.st_size, st.st_mtime_ns)).encode())
    return '"' + h.hexdigest()[:32] + '"'


def etag_matches(header, etag):
    if header.strip() == "*":
        return True
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "cabut-test-http/1"

    def log_message(self, fmt, *args):  # no stderr chatter
        pass

    def log_request_line(self, status):
        inm = self.headers.get("If-None-Match") or "-"
        ims = self.headers.get("If-Modified-Since") or "-"
        line = "%s %s %d if-none-match=%s if-modified-since=%s\n" % (
            self.command, self.path, status, inm, ims)
        self.server.log(line)

    def answer(self, status, body=b"", headers=(), length=True):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        self.log_request_line(status)

    def file_path(self):
        path = urllib.parse.urlsplit(self.path).path
        path = urllib.parse.unquote(path)
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if ".." in parts:
            return None
        return os.path.join(self.server.root, *parts)

    def do_GET(self):
        query = urllib.parse.urlsplit(self.path).query
        path = self.file_path()
        if path is None or not os.path.isfile(path):
            self.answer(404, b"not found\n")
            return
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            data = f.read()
        etag = etag_of(st)
        lastmod = email.utils.formatdate(st.st_mtime, usegmt=True)
        headers = [("ETag", etag), ("Last-Modified", lastmod),
                   ("Content-Type", "application/octet-stream")]
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        # RFC 9110 13.2.2: If-Modified-Since only without If-None-Match.
        if inm is not None:
            if etag_matches(inm, etag):
                self.answer(304, headers=headers[:2])
                return
        elif ims is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                since = None
            if since is not None and int(st.st_mtime) <= since:
                self.answer(304, headers=headers[:2])
                return
        self.answer(200, data, headers, length=(query != "nolength"))

    def do_HEAD(self):
        self.do_GET()

    def echo(self):
        try:
            n = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            n = -1
        if n < 0 or n > BODY_MAX:
            self.answer(413, b"too large\n")
            return
        body = self.rfile.read(n)
        ctype = self.headers.get("Content-Type") or "application/octet-stream"
        self.answer(200, body, [("Content-Type", ctype),
                                ("X-Method", self.command)])

    do_POST = echo
    do_PUT = echo


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, root, logfile):
        super().__init__(addr, Handler)
        self.root = root
        self.logfile = logfile
        self.lock = threading.Lock()

    def log(self, line):
        if self.logfile is None:
            return
        with self.lock:
            self.logfile.write(line)
            self.logfile.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--client-ca")
    ap.add_argument("--log")
    args = ap.parse_args()

    logfile = open(args.log, "a") if args.log else None
    srv = Server(("127.0.0.1", args.port), os.path.abspath(args.dir), logfile)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        if args.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.client_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    elif args.client_ca:
        ap.error("--client-ca needs --tls")
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
