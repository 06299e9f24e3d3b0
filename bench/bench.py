#!/usr/bin/python3
"""Helpers for bench/run (Debian's /usr/bin/python3, standard library only).

  bench.py pdf FILE [KB]
      A valid one-page PDF letter padded to about KB kilobytes (default
      100) with an unreferenced stream object of random bytes, correct
      xref table.

  bench.py maildir DIR SERIALS FIRST COUNT PDF [UID GID]
      COUNT request mails (holder FIRST .. FIRST+COUNT-1, serials from the
      file SERIALS, lines "INDEX SERIAL") written straight into the
      Maildir DIR/new with S= and W= in their names, as Dovecot's own
      delivery writes them. Prints the total bytes.

  bench.py idlefloor IMAP_PORT LMTP_PORT USER PASSWORD [COUNT]
      Dovecot's own share of the latency: LMTP delivery -> "* N EXISTS"
      to an IMAP client that is idling (IDLE) and does nothing else.

  bench.py stamp OUT
      Copies stdin to OUT, each line prefixed with the wall-clock time
      (seconds since the epoch, 6 decimals) at which it was read.

  bench.py latency LMTP_PORT USER SERIALS FIRST COUNT PDF SINKDIR OUT [GAP]
      Delivers COUNT requests over LMTP one at a time. For each: t_deliv =
      when Dovecot's LMTP answered 250 (the mail is in the mailbox), then
      waits for the first approval mail for it (Subject "[cabut #ID] ...
      SERIAL", to an OP) in smtp-sink's dump directory SINKDIR; its receive
      time is the dump file's mtime. Then it waits for the rest of that
      request's mail (2 approvals + the applicant's receipt, at most 5 s)
      and GAP seconds (default 0.1) before the next. Writes one line per
      request to OUT: "serial id t_deliv t_first_approval latency" and
      prints p50/p90/p99/max.
"""
import base64
import email.utils
import os
import random
import re
import smtplib
import sys
import time

DOMAIN = "example.test"
AR = ("Authentication-Results: mx.example.test; dmarc=pass "
      "header.from=example.test")


def make_pdf(path, kb=100):
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Contents 4 0 R /Resources << /Font << /F1 6 0 R >> >> >>"]
    text = (b"BT /F1 12 Tf 72 770 Td (Surat keterangan alasan pencabutan "
            b"sertifikat elektronik) Tj ET")
    rnd = random.Random(7)
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, o)
    offs.append(len(out))
    out += (b"4 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n"
            % (len(text), text))
    # Padding: an unreferenced stream of incompressible bytes (a scanned
    # letter is incompressible too), so the PDF is about kb KB.
    pad = max(0, kb * 1024 - len(out) - 400)
    blob = bytes(rnd.getrandbits(8) for _ in range(pad))
    offs.append(len(out))
    out += (b"5 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n"
            % (len(blob), blob))
    offs.append(len(out))
    out += (b"6 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
            b"\nendobj\n")
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offs)
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(offs) + 1, xref))
    with open(path, "wb") as f:
        f.write(out)


def pdf_b64(pdf):
    with open(pdf, "rb") as f:
        data = f.read()
    b = base64.b64encode(data)
    return b"\n".join(b[i:i + 76] for i in range(0, len(b), 76)) + b"\n"


def read_serials(path):
    s = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) == 2:
                s[int(p[0])] = p[1]
    return s


def request_mail(i, serial, b64, tag):
    """Request i of holder pemohon-i, LF line ends."""
    sender = "pemohon-%d@%s" % (i, DOMAIN)
    body = ("Yth. Admin,\n\nMohon dicabut sertifikat elektronik saya.\n\n"
            "Nama: Pemohon Bench %d\nNomor Seri: %s\nAlasan: perubahan data\n\n"
            "Terima kasih.\n" % (i, serial))
    head = ("From: Pemohon Bench %d <%s>\nTo: cabut@%s\n"
            "Subject: Permohonan pencabutan sertifikat\n"
            "Message-ID: <bench-%s-%d.%d@%s>\nDate: %s\nMIME-Version: 1.0\n"
            "%s\n"
            "Content-Type: multipart/mixed; boundary=\"b1\"\n\n"
            "--b1\nContent-Type: text/plain; charset=utf-8\n\n%s\n"
            "--b1\nContent-Type: application/pdf\n"
            "Content-Disposition: attachment; filename=\"surat.pdf\"\n"
            "Content-Transfer-Encoding: base64\n\n"
            % (i, sender, DOMAIN, tag, i, random.getrandbits(48), DOMAIN,
               email.utils.formatdate(localtime=True), AR, body))
    return head.encode() + b64 + b"--b1--\n"


def cmd_pdf(args):
    make_pdf(args[0], int(args[1]) if len(args) > 1 else 100)


def cmd_maildir(args):
    d, serials, first, count, pdf = args[:5]
    uid = int(args[5]) if len(args) > 5 else -1
    gid = int(args[6]) if len(args) > 6 else -1
    first, count = int(first), int(count)
    ser = read_serials(serials)
    b64 = pdf_b64(pdf)
    host = "bench"
    t = int(time.time())
    total = 0
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
        if uid >= 0:
            os.chown(os.path.join(d, sub), uid, gid)
    if uid >= 0:
        os.chown(d, uid, gid)
    for k, i in enumerate(range(first, first + count)):
        m = request_mail(i, ser[i], b64, "m")
        vsize = len(m) + m.count(b"\n")     # with CRLF, as IMAP sees it
        name = "%d.M%dP%dQ%d.%s,S=%d,W=%d" % (t, k, os.getpid(), k, host,
                                             len(m), vsize)
        tmp = os.path.join(d, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(m)
        if uid >= 0:
            os.chown(tmp, uid, gid)
        os.rename(tmp, os.path.join(d, "new", name))
        total += len(m)
    print(total)


def cmd_stamp(args):
    with open(args[0], "w") as out:
        for line in sys.stdin:
            out.write("%.6f %s" % (time.time(), line))
            out.flush()


SUBJ = re.compile(rb"^Subject: \[cabut #(\d+)\] (.*)$", re.M)
RCPT = re.compile(rb"^X-Rcpt-Args: <([^>]*)>", re.M)


def scan_sink(sinkdir, seen, mails):
    """New complete dump files -> mails[id] = [(mtime, kind, subject)]."""
    for e in os.scandir(sinkdir):
        if e.name in seen:
            continue
        try:
            with open(e.path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        # smtp-sink writes the file while the DATA arrives; it is complete
        # once the message and the empty line after it are there.
        if not data.endswith(b"\n\n"):
            continue
        st = os.stat(e.path)
        head = data.split(b"\n\n", 1)[0]
        head = re.sub(rb"\n[ \t]+", b" ", head)     # unfold
        m = SUBJ.search(head)
        seen.add(e.name)
        if not m:
            continue
        rc = RCPT.findall(head)
        kind = "approval" if any(r.startswith(b"op") for r in rc) else "other"
        mails.setdefault(int(m.group(1)), []).append(
            (st.st_mtime_ns / 1e9, kind, m.group(2).decode(errors="replace")))


def pct(v, p):
    v = sorted(v)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def cmd_latency(args):
    port, user, serials, first, count, pdf, sinkdir, outp = args[:8]
    gap = float(args[8]) if len(args) > 8 else 0.1
    first, count = int(first), int(count)
    ser = read_serials(serials)
    b64 = pdf_b64(pdf)
    seen = set(os.listdir(sinkdir))
    mails = {}
    lat = []
    timeouts = 0
    out = open(outp, "w")
    lmtp = smtplib.LMTP("127.0.0.1", int(port))
    for i in range(first, first + count):
        serial = ser[i]
        m = request_mail(i, serial, b64, "lat")
        rcpt = "%s@%s" % (user, DOMAIN)
        r = lmtp.sendmail("pemohon-%d@%s" % (i, DOMAIN), [rcpt], m)
        t_deliv = time.time()
        if r:
            sys.exit("LMTP refused: %r" % (r,))
        rid = None
        t_first = None
        deadline = t_deliv + 30
        while time.time() < deadline:
            scan_sink(sinkdir, seen, mails)
            if rid is None:
                for k, v in mails.items():
                    if any(kind == "approval" and s.endswith(serial)
                           for _, kind, s in v):
                        rid = k
            if rid is not None:
                if t_first is None:
                    t_first = min(t for t, kind, _ in mails[rid]
                                  if kind == "approval")
                # the request's other mails: 2 approvals + the receipt
                if len(mails[rid]) >= 3 or time.time() > t_first + 5:
                    break
            time.sleep(0.002)
        if t_first is None:
            timeouts += 1
            out.write("%s - %.6f - timeout\n" % (serial, t_deliv))
        else:
            lat.append(t_first - t_deliv)
            out.write("%s %d %.6f %.6f %.6f\n" % (serial, rid, t_deliv, t_first,
                                                 t_first - t_deliv))
        out.flush()
        time.sleep(gap)
    lmtp.quit()
    out.close()
    print("samples=%d timeouts=%d p50=%.3f p90=%.3f p99=%.3f max=%.3f min=%.3f"
          % (len(lat), timeouts, pct(lat, 50), pct(lat, 90), pct(lat, 99),
             max(lat) if lat else float("nan"),
             min(lat) if lat else float("nan")))


def cmd_idlefloor(args):
    """Dovecot's part of the latency: LMTP delivery -> untagged EXISTS."""
    import imaplib
    import ssl
    imap_port, lmtp_port, user, password = args[:4]
    count = int(args[4]) if len(args) > 4 else 20
    m = imaplib.IMAP4("127.0.0.1", int(imap_port))
    m.starttls(ssl_context=ssl._create_unverified_context())
    m.login(user, password)
    m.select("INBOX", readonly=True)
    lmtp = smtplib.LMTP("127.0.0.1", int(lmtp_port))
    lat = []
    for _ in range(count):
        tag = m._new_tag().decode()
        m.send(("%s IDLE\r\n" % tag).encode())
        m.readline()                        # "+ idling"
        time.sleep(0.2)
        lmtp.sendmail("floor@%s" % DOMAIN, ["%s@%s" % (user, DOMAIN)],
                      b"Subject: idle floor\r\n\r\nx\r\n")
        t0 = time.time()
        while b"EXISTS" not in m.readline():
            pass
        lat.append(time.time() - t0)
        m.send(b"DONE\r\n")
        while not m.readline().startswith(tag.encode()):
            pass
    lmtp.quit()
    m.logout()
    print("p50=%.3f p99=%.3f max=%.3f" % (pct(lat, 50), pct(lat, 99), max(lat)))


if __name__ == "__main__":
    cmds = {"pdf": cmd_pdf, "maildir": cmd_maildir, "stamp": cmd_stamp,
            "latency": cmd_latency, "idlefloor": cmd_idlefloor}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])
