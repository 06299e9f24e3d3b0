#!/usr/bin/python3
"""SMTP server for the integration tests: accepts mail with aiosmtpd and
hands each recipient to Dovecot's LMTP listener (one LMTP transaction per
recipient), keeping an exact copy of every accepted message in a spool.

Started by smtp_start in tests/lib/harness.sh; run with Debian's
/usr/bin/python3 (it has aiosmtpd).

Spool (DIR/spool): NNNN.eml holds the message bytes as received (after
dot-unstuffing); NNNN.env beside it holds the envelope, one item a line:
    mail_from <addr>
    rcpt_to <addr>                  (one line per accepted recipient)
    auth <user>|-
    tls starttls|implicit|none
    helo <name>
    lmtp <addr> <code> <text>       (Dovecot's answer for each recipient)
NNNN.env is written before NNNN.eml appears, both atomically (rename).

Failure injection, files in DIR, looked at for every transaction:
    fail-4xx, fail-5xx              every RCPT of the transaction gets
                                    "451 4.3.0 try later" / "554 5.7.1 ..."
    fail-4xx.USER, fail-5xx.USER    only RCPTs to USER (local part without
                                    +detail)
    fail-data-4xx, fail-data-5xx    RCPTs pass; the end of DATA gets 451/554
                                    (nothing delivered, nothing spooled)
    delay-data                      seconds (a number in the file) to wait
                                    before answering the end of DATA
An empty fail-* file acts every time; one holding a number N acts the next
N times and is then removed.

Unknown recipients (not a Dovecot user, with optional +detail, at the test
domain) get 550 at RCPT.  If Dovecot's LMTP cannot be reached, DATA gets
451 and nothing is kept (a client must retry, as with a real relay that
cannot queue); if some recipients were delivered, DATA gets 250.  Lines
longer than 1000 bytes get aiosmtpd's "500 Line too long".
"""

import argparse
import asyncio
import logging
import os
import signal
import smtplib
import socket
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

log = logging.getLogger("smtp_lmtp")

R_OK = "250 2.0.0 OK"
R_TEMP = "451 4.3.0 try later"
R_PERM = "554 5.7.1 rejected by test server"
R_UNKNOWN = "550 5.1.1 no such user here"


class Injector:
    """Reads the fail-* files in the control directory."""

    def __init__(self, ctl_dir):
        self.ctl_dir = ctl_dir

    def take(self, name):
        """True when failure file NAME is active (and uses up one count)."""
        path = os.path.join(self.ctl_dir, name)
        try:
            with open(path, "r+") as f:
                text = f.read().strip()
                if not text:
                    return True
                try:
                    left = int(text)
                except ValueError:
                    log.warning("%s: not a number, acting every time", path)
                    return True
                if left <= 1:
                    os.unlink(path)
                    return left == 1
                f.seek(0)
                f.truncate()
                f.write("%d\n" % (left - 1))
                return True
        except FileNotFoundError:
            return False

    def delay(self):
        path = os.path.join(self.ctl_dir, "delay-data")
        try:
            with open(path) as f:
                return float(f.read().strip() or "0")
        except (FileNotFoundError, ValueError):
            return 0.0


class Handler:
    def __init__(self, args):
        self.domain = args.domain.lower()
        self.users = set(u.lower() for u in args.users.split())
        self.lmtp = args.lmtp
        self.spool = os.path.join(args.dir, "spool")
        self.inject = Injector(args.dir)
        self.login, _, self.password = args.auth.partition(":")
        os.makedirs(self.spool, exist_ok=True)
        self.seq = 0
        for name in os.listdir(self.spool):
            stem = name.split(".")[0]
            if stem.isdigit():
                self.seq = max(self.seq, int(stem))

    # --- AUTH -----------------------------------------------------------
    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == self.login.encode()
              and auth_data.password == self.password.encode())
        log.info("AUTH %s %s: %s", mechanism,
                 getattr(auth_data, "login", b"?").decode(errors="replace"),
                 "ok" if ok else "refused")
        return AuthResult(success=ok, handled=False,
                          auth_data=auth_data if ok else None)

    # --- envelope -------------------------------------------------------
    def user_of(self, address):
        """The Dovecot user an address delivers to, or None."""
        local, at, domain = address.rpartition("@")
        if not at or domain.lower() != self.domain:
            return None
        user = local.split("+", 1)[0].lower()
        return user if user in self.users else None

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        try:
            if not hasattr(envelope, "cbt_fail"):
                # Decided once per transaction, at its first RCPT.
                envelope.cbt_fail = (R_TEMP if self.inject.take("fail-4xx")
                                     else R_PERM if self.inject.take("fail-5xx")
                                     else None)
            if envelope.cbt_fail:
                log.info("RCPT %s: injected %s", address, envelope.cbt_fail)
                return envelope.cbt_fail
            user = self.user_of(address)
            if user is None:
                log.info("RCPT %s: unknown", address)
                return R_UNKNOWN
            for code, reply in (("4xx", R_TEMP), ("5xx", R_PERM)):
                if self.inject.take("fail-%s.%s" % (code, user)):
                    log.info("RCPT %s: injected %s", address, reply)
                    return reply
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.append(rcpt_options)
            return R_OK
        except Exception:
            log.exception("RCPT %s", address)
            return R_TEMP

    async def handle_DATA(self, server, session, envelope):
        try:
            return await self.data(server, session, envelope)
        except Exception:
            log.exception("DATA")
            return R_TEMP

    async def data(self, server, session, envelope):
        delay = self.inject.delay()
        if delay > 0:
            log.info("DATA: delaying %.1f s", delay)
            await asyncio.sleep(delay)
        if self.inject.take("fail-data-4xx"):
            log.info("DATA: injected %s", R_TEMP)
            return R_TEMP
        if self.inject.take("fail-data-5xx"):
            log.info("DATA: injected %s", R_PERM)
            return R_PERM
        content = envelope.original_content
        results = []
        if self.lmtp:
            loop = asyncio.get_running_loop()
            results = await loop.run_in_executor(
                None, self.deliver, envelope.mail_from, envelope.rcpt_tos,
                content)
            if results is None:
                return R_TEMP
            if not any(code == 250 for _, code, _ in results):
                temp = any(400 <= code < 500 for _, code, _ in results)
                return R_TEMP if temp else R_PERM
        self.spool_write(server, session, envelope, content, results)
        return R_OK

    def deliver(self, mail_from, rcpt_tos, content):
        """One LMTP transaction per recipient: [(rcpt, code, text)], or
        None when Dovecot cannot be reached at all (nothing delivered)."""
        host, _, port = self.lmtp.rpartition(":")
        results = []
        for i, rcpt in enumerate(rcpt_tos):
            try:
                with smtplib.LMTP(host, int(port), timeout=30) as lmtp:
                    lmtp.sendmail(mail_from, [rcpt], content)
                results.append((rcpt, 250, "delivered"))
            except smtplib.SMTPRecipientsRefused as e:
                code, text = e.recipients[rcpt]
                results.append((rcpt, code, text.decode(errors="replace")))
            except smtplib.SMTPResponseException as e:
                results.append((rcpt, e.smtp_code,
                                e.smtp_error.decode(errors="replace")))
            except (OSError, smtplib.SMTPException) as e:
                if i == 0:
                    log.warning("LMTP %s unreachable: %s", self.lmtp, e)
                    return None
                results.append((rcpt, 451, str(e)))
            log.info("LMTP %s: %d %s", *results[-1])
        return results

    def spool_write(self, server, session, envelope, content, results):
        self.seq += 1
        stem = os.path.join(self.spool, "%04d" % self.seq)
        if server._tls_protocol is not None:
            tls = "starttls"
        elif server.transport.get_extra_info("ssl_object") is not None:
            tls = "implicit"
        else:
            tls = "none"
        auth = session.auth_data.login.decode(errors="replace") \
            if session.authenticated and session.auth_data else "-"
        sender = "" if envelope.mail_from == "<>" else envelope.mail_from
        lines = ["mail_from <%s>" % sender]
        lines += ["rcpt_to <%s>" % r for r in envelope.rcpt_tos]
        lines += ["auth %s" % auth, "tls %s" % tls,
                  "helo %s" % session.host_name]
        lines += ["lmtp <%s> %d %s" % r for r in results]
        with open(stem + ".env.tmp", "w") as f:
            f.write("\n".join(lines) + "\n")
        os.rename(stem + ".env.tmp", stem + ".env")
        with open(stem + ".eml.tmp", "wb") as f:
            f.write(content)
        os.rename(stem + ".eml.tmp", stem + ".eml")
        log.info("spooled %s.eml from <%s> to %s", stem, envelope.mail_from,
                 ", ".join(envelope.rcpt_tos))


def hostport(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


async def serve(args):
    loop = asyncio.get_running_loop()
    handler = Handler(args)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)

    def starttls_session():
        return SMTP(handler, hostname="localhost", ident="cabut-test-smtp",
                    tls_context=ctx, require_starttls=not args.tls_optional,
                    auth_required=not args.auth_optional,
                    auth_require_tls=True,
                    authenticator=handler.authenticate, loop=loop)

    def implicit_tls_session():
        # The transport is TLS already; aiosmtpd 1.4 does not know that,
        # so its "AUTH needs TLS" check is off here.
        return SMTP(handler, hostname="localhost", ident="cabut-test-smtp",
                    auth_required=not args.auth_optional,
                    auth_require_tls=False,
                    authenticator=handler.authenticate, loop=loop)

    servers = [await loop.create_server(starttls_session,
                                        *hostport(args.listen))]
    if args.smtps:
        servers.append(await loop.create_server(implicit_tls_session,
                                                *hostport(args.smtps),
                                                ssl=ctx))
    log.info("listening on %s%s, LMTP %s", args.listen,
             " and %s (TLS)" % args.smtps if args.smtps else "",
             args.lmtp or "off")
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("stopping")
    for s in servers:
        s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--listen", required=True, help="HOST:PORT (STARTTLS)")
    p.add_argument("--smtps", help="HOST:PORT for implicit TLS")
    p.add_argument("--lmtp", help="HOST:PORT of Dovecot's LMTP; none: spool only")
    p.add_argument("--dir", required=True, help="spool and control directory")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--domain", default="example.test")
    p.add_argument("--users", default="cabut op1 op2 pemohon admin")
    p.add_argument("--auth", default="cabut:secret-smtp", help="USER:PASSWORD")
    p.add_argument("--auth-optional", action="store_true")
    p.add_argument("--tls-optional", action="store_true")
    p.add_argument("--log", help="log file (default: stderr)")
    args = p.parse_args()

    logging.basicConfig(
        filename=args.log, level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # aiosmtpd 1.4 warns about its own deprecated attribute on every AUTH
    # and about the implicit-TLS listener (see implicit_tls_session).
    logging.getLogger("mail.log").addFilter(
        lambda r: not r.getMessage().startswith(
            ("Session.login_data is deprecated", "auth_required == True")))
    warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
    # Name lookups of the peer would only slow the tests down.
    socket.getfqdn = lambda name="": name or "localhost"
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
