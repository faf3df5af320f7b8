#!/usr/bin/env python3
"""A real SMTP server for the test suite (scripts/test starts it; Debian's python3-aiosmtpd).

    smtp_sink.py --port PORT --maildir DIR

Listens on 127.0.0.1:PORT and writes every message it accepts to
DIR/<envelope sender>/<time>-<random>.eml: the envelope as two headers
(X-Envelope-From, X-Envelope-To) and then the message exactly as received. A file
appears whole (written aside, then renamed), so a test never reads half a message.
Tests use a sender address of their own and read only their directory.

Recipients whose address contains `reject-temp` are refused with 451 (a transient
failure, retried by the client); `reject-perm`, with 550 (a permanent one). Prints
`ready` on stdout once it accepts connections; stops on SIGTERM or SIGINT.
"""

import argparse
import os
import re
import signal
import sys
import threading
import time
import uuid

from aiosmtpd.controller import Controller


def safe_name(address):
    """The sender address as a directory name."""
    name = re.sub(r"[^A-Za-z0-9@._+-]", "_", address or "unknown")
    return name.strip(".") or "unknown"


class Sink:
    def __init__(self, maildir):
        self.maildir = maildir

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        lowered = address.lower()
        if "reject-temp" in lowered:
            return "451 4.3.0 Mailbox temporarily unavailable (test sink)"
        if "reject-perm" in lowered:
            return "550 5.1.1 No such user here (test sink)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        folder = os.path.join(self.maildir, safe_name(envelope.mail_from))
        os.makedirs(folder, exist_ok=True)
        name = "%d-%s.eml" % (time.time_ns(), uuid.uuid4().hex)
        aside = os.path.join(folder, "." + name)
        with open(aside, "wb") as f:
            f.write(b"X-Envelope-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.rename(aside, os.path.join(folder, name))
        return "250 2.0.0 Message accepted for delivery (test sink)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    args = parser.parse_args()
    os.makedirs(args.maildir, exist_ok=True)
    controller = Controller(Sink(args.maildir), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
