"""A real SMTP server for the mail test of permanent refusals: aiosmtpd, delivering to a
Maildir, that logs each recipient it is asked for (one a line, in LOG) and refuses for
good (550) those listed in REFUSED, a file read at each recipient.

    python smtp_refusing.py PORT MAILDIR LOG REFUSED

It runs until it is killed.
"""

import signal
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

port, maildir, log, refused = sys.argv[1:]


class Refusing(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with open(log, "a") as f:
            f.write(address + "\n")
        try:
            with open(refused) as f:
                names = {line.strip() for line in f}
        except FileNotFoundError:
            names = set()
        if address in names:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


controller = Controller(Refusing(maildir), hostname="127.0.0.1", port=int(port))
controller.start()
print("ready", flush=True)
signal.sigwait([signal.SIGTERM, signal.SIGINT])
controller.stop()
