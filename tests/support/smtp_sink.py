"""An SMTP sink with nothing but the standard library, for the Compose tests: it runs inside the
stack on the app's own image (tests/support/compose.smtp.yaml mounts it), where neither a
registry nor aiosmtpd (a development dependency) is at hand. It takes every message on port 1025
and prints one JSON line per message on stdout: {"from": ..., "to": [...], "subject": ...}.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import socketserver

ADDRESS = re.compile(r"<([^>]*)>")


class Session(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 sink ESMTP")
        sender = ""
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            found = ADDRESS.search(command)
            if verb == "EHLO":
                self.reply("250-sink")
                self.reply("250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 sink")
            elif verb == "MAIL" and found:
                sender, recipients = found.group(1), []
                self.reply("250 OK")
            elif verb == "RCPT" and found:
                recipients.append(found.group(1))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                self.take(sender, recipients)
                sender, recipients = "", []
                self.reply("250 OK")
            elif verb in {"RSET", "NOOP"}:
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("500 Not understood")

    def take(self, sender: str, recipients: list[str]) -> None:
        lines = []
        while (line := self.rfile.readline()) not in {b".\r\n", b".\n", b""}:
            # A line the client started with a dot has a second one in front (RFC 5321 4.5.2).
            lines.append(line[1:] if line.startswith(b".") else line)
        message = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
        summary = {"from": sender, "to": recipients, "subject": str(message["Subject"])}
        print(json.dumps(summary, ensure_ascii=False), flush=True)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with Server(("0.0.0.0", 1025), Session) as server:  # noqa: S104 - the stack's network only
        print("smtp sink: listening on port 1025", flush=True)
        server.serve_forever()
