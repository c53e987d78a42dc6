"""E-mail through an SMTP server: the alerts' `Mailer` (services/alerts/port.py)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage


@dataclass(frozen=True)
class SmtpMailer:
    """Plain SMTP (STARTTLS when asked), one connection per e-mail: notifications are
    few, and a connection held open would only time out between them. A refused or
    unreachable server raises an OSError (smtplib's errors are OSErrors)."""

    host: str
    port: int = 25
    sender: str = "trueup@localhost"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    timeout: float = 10.0

    def send(self, to: str, subject: str, body: str) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = to
        mail["Subject"] = subject
        mail.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as server:
            if self.starttls:
                server.starttls()
            if self.username:
                server.login(self.username, self.password or "")
            server.send_message(mail)
