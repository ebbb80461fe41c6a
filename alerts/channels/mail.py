"""The email channel: the digest as multipart text + HTML, sent over SMTP (STARTTLS, TLS, auth)."""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from alerts.channels.base import Channel
from alerts.channels.settings import (
    DOMAIN_NAME,
    LINE_BREAK,
    EmailSettings,
)
from alerts.errors import DeliveryError
from alerts.records import Digest

log = logging.getLogger(__name__)


def message_id(delivery_id: str, sender: str) -> str:
    """A Message-ID that depends only on the delivery, so a resend carries the same one."""
    domain = parseaddr(sender)[1].rpartition("@")[2]
    if not DOMAIN_NAME.match(domain):
        domain = "news-monitor.invalid"
    token = hashlib.sha256(delivery_id.encode("utf-8")).hexdigest()[:40]
    return f"<digest.{token}@{domain}>"


def build_message(
    digest: Digest, delivery_id: str, settings: EmailSettings, now: datetime
) -> EmailMessage:
    """The mail for one delivery: a text part and an HTML alternative of the same digest."""
    from alerts.render import render_html, render_text, subject  # Jinja2: not with the config

    message = EmailMessage(policy=SMTP)
    headers = {
        "Subject": subject(digest),
        "From": settings.sender,
        "To": ", ".join(settings.to),
        "Date": format_datetime(now.astimezone(UTC)),
        "Message-ID": message_id(delivery_id, settings.sender),
        # RFC 3834: tells auto-responders (vacation replies) not to answer a digest.
        "Auto-Submitted": "auto-generated",
    }
    for name, value in headers.items():
        if LINE_BREAK.search(value):
            raise DeliveryError(f"refusing a {name} header with a line break")
        message[name] = value
    message.set_content(render_text(digest), cte="quoted-printable")
    message.add_alternative(render_html(digest), subtype="html", cte="quoted-printable")
    return message


class EmailChannel(Channel[EmailSettings]):
    """Sends each digest as one mail to every configured recipient."""

    settings_model = EmailSettings

    def send(self, digest: Digest, delivery_id: str) -> None:
        message = build_message(digest, delivery_id, self.settings, datetime.now(UTC))
        recipients = [parseaddr(address)[1] for address in self.settings.to]
        try:
            refused = self._submit(message, recipients)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"email {self.name}: {_describe(exc)}") from exc
        if refused:
            # Some recipients took it: a resend would duplicate their copy, so this counts
            # as delivered, and the refusals are left for the operator to see.
            log.warning("email %s: recipients refused: %s", self.name, ", ".join(sorted(refused)))

    def _submit(self, message: EmailMessage, recipients: list[str]) -> dict[str, object]:
        smtp = self.settings.smtp
        context = ssl.create_default_context(cafile=smtp.ca_file)
        client: smtplib.SMTP
        if smtp.tls:
            client = smtplib.SMTP_SSL(
                smtp.host, smtp.effective_port, timeout=smtp.timeout, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.effective_port, timeout=smtp.timeout)
        with client:
            if smtp.starttls:
                client.starttls(context=context)
            if smtp.username:
                password = smtp.password.get_secret_value() if smtp.password else ""
                client.login(smtp.username, password)
            sender = parseaddr(self.settings.sender)[1]
            return dict(client.send_message(message, from_addr=sender, to_addrs=recipients))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"every recipient refused ({', '.join(sorted(exc.recipients))})"
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"server said {exc.smtp_code} {reply}"
    return f"{type(exc).__name__}: {exc}"
