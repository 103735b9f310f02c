"""A real SMTP server (aiosmtpd) for the AssayCurl tests.

Stores every accepted message in --directory as NAME.eml (the bytes as received, after
SMTP dot-unstuffing) next to NAME.json ({"mail_from": ..., "rcpt_tos": [...]}); the .eml
appears last, atomically, so a reader that sees it also finds the envelope. Recipients
whose local part starts with "rejected" are refused with 550.

Optional: --tls-cert/--tls-key offer STARTTLS and require it before any mail command;
--user/--password require AUTH (PLAIN or LOGIN), only over TLS when TLS is offered.

Prints "READY <port>" on stdout once it accepts connections. Stops on SIGTERM or when
stdin reaches end of file (so it does not outlive a test process that died).
"""

import argparse
import json
import os
import socket
import ssl
import sys
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class CaptureHandler:
    def __init__(self, directory):
        self.directory = directory

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].startswith("rejected"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = uuid.uuid4().hex
        envelope_path = os.path.join(self.directory, name + ".json")
        with open(envelope_path, "w") as file:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, file)
        partial = os.path.join(self.directory, name + ".partial")
        with open(partial, "wb") as file:
            file.write(envelope.original_content)
        os.rename(partial, os.path.join(self.directory, name + ".eml"))
        return "250 Message accepted"


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        accepted = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=accepted, handled=False)

    return authenticate


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--directory", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()

    options = {}
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        options.update(tls_context=context, require_starttls=True)
    if args.user:
        options.update(
            authenticator=make_authenticator(args.user, args.password or ""),
            auth_required=True,
            auth_require_tls=bool(args.tls_cert),
        )

    # aiosmtpd's Controller checks readiness by connecting to its port, so it needs a real one.
    for attempt in range(5):
        controller = Controller(
            CaptureHandler(args.directory), hostname="127.0.0.1", port=free_port(), **options
        )
        try:
            controller.start()
            break
        except OSError:
            if attempt == 4:
                raise
    print(f"READY {controller.port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
