"""An SMTP sink in its own process, for the worker benchmark.

By default a lean asyncio SMTP server (below): it speaks real SMTP on loopback
(greeting, EHLO/HELO, MAIL, RCPT, DATA with a dot-terminated body, RSET, NOOP,
QUIT, 503 on a bad sequence, 500 on an unknown command), accepts every message
and throws it away, counting them. `kind="aiosmtpd"` runs aiosmtpd's `Sink`
handler instead, the reference implementation.

Why not aiosmtpd for the benchmark: measured alone (smtplib sending prebuilt
messages over one connection), aiosmtpd's Sink accepts about 2,000 messages/s
on this machine at roughly 300-370 us of CPU per message, and since SMTP without
pipelining waits for every reply, that CPU sits on the worker's critical path:
at 1,000 emails/s it would take a third of the budget. This server needs a few
tens of microseconds per message. Several sink processes behind SO_REUSEPORT
would not help: a batch is one connection, and one connection is served by one
process.

    python bench/smtp_sink.py --port 2525     # serve until SIGTERM/SIGINT
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

MAX_LINE = 1000  # RFC 5321 4.5.3.1.4: a command line is at most 1,000 octets
MAX_MESSAGE = 32 * 1024 * 1024

EHLO_REPLY = (
    b"250-sink.localhost\r\n250-8BITMIME\r\n250-PIPELINING\r\n250-SMTPUTF8\r\n"
    b"250 SIZE %d\r\n" % MAX_MESSAGE
)


class Stats:
    messages = 0
    connections = 0


class SmtpSink(asyncio.Protocol):
    """One SMTP session. Commands may arrive pipelined; they are answered in order."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.greeted = False
        self.sender = False
        self.recipients = 0
        self.in_data = False
        self.scan_from = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        Stats.connections += 1
        transport.write(b"220 sink.localhost ESMTP sink ready\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out: list[bytes] = []
        while self.transport is not None:
            if self.in_data:
                if not self._take_body(out):
                    break
                continue
            end = self.buffer.find(b"\n")
            if end < 0:
                if len(self.buffer) > MAX_LINE:
                    out.append(b"500 5.5.2 Line too long\r\n")
                    self.buffer.clear()
                break
            line = bytes(self.buffer[:end]).rstrip(b"\r")
            del self.buffer[: end + 1]
            if not self._command(line, out):
                break
        if out and self.transport is not None:
            self.transport.write(b"".join(out))

    def _take_body(self, out: list[bytes]) -> bool:
        """Consume the message up to the lone dot; False if it has not all arrived."""
        if self.buffer[:3] == b".\r\n":  # an empty body
            end, skip = 0, 3
        else:
            end = self.buffer.find(b"\r\n.\r\n", self.scan_from)
            if end < 0:
                if len(self.buffer) > MAX_MESSAGE:
                    out.append(b"552 5.3.4 Message too big\r\n")
                    self._close(out)
                    return False
                self.scan_from = max(len(self.buffer) - 4, 0)
                return False
            skip = end + 5
        del self.buffer[:skip]
        self.in_data = False
        self.scan_from = 0
        self.sender = False
        self.recipients = 0
        Stats.messages += 1
        out.append(b"250 2.0.0 OK queued as %d\r\n" % Stats.messages)
        return True

    def _command(self, line: bytes, out: list[bytes]) -> bool:
        verb, _, arg = line.partition(b" ")
        verb = verb.upper()
        if verb == b"MAIL":
            if not self.greeted:
                out.append(b"503 5.5.1 Say EHLO first\r\n")
            elif self.sender:
                out.append(b"503 5.5.1 Sender already given\r\n")
            elif not arg.upper().startswith(b"FROM:"):
                out.append(b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n")
            else:
                self.sender = True
                out.append(b"250 2.1.0 OK\r\n")
        elif verb == b"RCPT":
            if not self.sender:
                out.append(b"503 5.5.1 Need MAIL first\r\n")
            elif not arg.upper().startswith(b"TO:") or b"@" not in arg:
                out.append(b"501 5.5.4 Syntax: RCPT TO:<address>\r\n")
            else:
                self.recipients += 1
                out.append(b"250 2.1.5 OK\r\n")
        elif verb == b"DATA":
            if not self.recipients:
                out.append(b"503 5.5.1 Need RCPT first\r\n")
            else:
                self.in_data = True
                out.append(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"EHLO":
            self.greeted, self.sender, self.recipients = True, False, 0
            out.append(EHLO_REPLY)
        elif verb == b"HELO":
            self.greeted, self.sender, self.recipients = True, False, 0
            out.append(b"250 sink.localhost\r\n")
        elif verb == b"RSET":
            self.sender, self.recipients = False, 0
            out.append(b"250 2.0.0 OK\r\n")
        elif verb == b"NOOP":
            out.append(b"250 2.0.0 OK\r\n")
        elif verb == b"QUIT":
            out.append(b"221 2.0.0 Bye\r\n")
            self._close(out)
            return False
        elif verb == b"VRFY":
            out.append(b"252 2.1.5 Cannot VRFY user\r\n")
        else:
            out.append(b"500 5.5.2 Command not recognized\r\n")
        return True

    def _close(self, out: list[bytes]) -> None:
        if self.transport is not None:
            self.transport.write(b"".join(out))
            out.clear()
            self.transport.close()
            self.transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(SmtpSink, host, port, reuse_address=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    print(f"sink received {Stats.messages} messages on {Stats.connections} connections", flush=True)


def start_sink(kind: str = "lean") -> tuple[subprocess.Popen[bytes], int]:
    """Start a sink process on a free loopback port; returns (process, port).
    Stop it with `stop_sink`, which also says how many messages it accepted."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    if kind == "aiosmtpd":
        command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                   "-c", "aiosmtpd.handlers.Sink"]  # fmt: skip
    else:
        command = [sys.executable, str(Path(__file__).resolve()), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("SMTP sink did not start")


def stop_sink(process: subprocess.Popen[bytes]) -> int | None:
    """Stop the sink; the number of messages it accepted (None for aiosmtpd's Sink)."""
    process.terminate()
    try:
        output, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    words = output.decode(errors="replace").split()
    if len(words) >= 3 and words[:2] == ["sink", "received"]:
        return int(words[2])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
