"""A real SMTP server on a local port, standing in for the mail provider's edge.

It speaks enough SMTP for Django's SMTP backend (EHLO, MAIL, RCPT, DATA, RSET,
NOOP, QUIT) and keeps a message only when it answers ``250`` to its DATA, as a
real relay does: a client that dies before that answer sent nothing. ``hang``
makes the next DATA block without answering (a slow provider), so a worker can be
killed in the middle of a send; ``down`` answers every DATA with ``451``.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from email import message_from_bytes
from email.message import Message


class _Session(socketserver.StreamRequestHandler):
    timeout = 120

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        fake: FakeSmtp = self.server.fake  # type: ignore[attr-defined]
        self._say("220 fake-smtp.test ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.strip().split(b" ", 1)[0].upper()
            if verb in (b"EHLO", b"HELO"):
                self._say("250 fake-smtp.test")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self._say("250 OK")
            elif verb == b"DATA":
                self._say("354 go ahead")
                chunks = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    chunks.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                if not chunk:
                    return
                with fake.lock:
                    fake.data_attempts += 1
                    hang, down = fake.hang > 0, fake.down
                    if hang:
                        fake.hang -= 1
                if hang:
                    fake.hanging.set()
                    # Never answer: the client waits until it is killed (the connection then closes) or gives up.
                    self.rfile.read()
                    return
                if down:
                    self._say("451 4.3.0 try again later")
                    continue
                with fake.lock:
                    fake.messages.append(message_from_bytes(b"".join(chunks)))
                self._say("250 2.0.0 queued")
            elif verb == b"QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeSmtp:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[Message] = []
        self.data_attempts = 0
        self.hang = 0
        self.down = False
        self.hanging = threading.Event()
        self._server: _Server | None = None
        self.port = 0

    def start(self, port: int = 0) -> FakeSmtp:
        self._server = _Server(("127.0.0.1", port), _Session)
        self._server.fake = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def recipients(self) -> list[str]:
        with self.lock:
            return [str(message["To"]) for message in self.messages]


def closed_port() -> int:
    """A local port nobody listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
