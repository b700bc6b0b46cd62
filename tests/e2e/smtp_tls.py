"""A real SMTP server for the mail test of STARTTLS and AUTH: aiosmtpd, which requires
STARTTLS before anything else and AUTH (PLAIN or LOGIN, over TLS only) before a mail,
and delivers to a Maildir.

    python smtp_tls.py PORT MAILDIR CERT KEY USER PASSWORD

It runs until it is killed.
"""

import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

port, maildir, cert, key, user, password = sys.argv[1:]


def authenticate(server, session, envelope, mechanism, data):
    good = (
        isinstance(data, LoginPassword)
        and data.login == user.encode()
        and data.password == password.encode()
    )
    return AuthResult(success=good)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(
    Mailbox(maildir),
    hostname="127.0.0.1",
    port=int(port),
    tls_context=context,
    require_starttls=True,
    authenticator=authenticate,
    auth_require_tls=True,
)
controller.start()
print("ready", flush=True)
signal.sigwait([signal.SIGTERM, signal.SIGINT])
controller.stop()
