"""The email channel against a real SMTP server (aiosmtpd) on 127.0.0.1: AUTH, STARTTLS, TLS."""

from __future__ import annotations

import email
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import ValidationError

from alerts.channels import EmailChannel, EmailSettings, make_channel
from alerts.errors import DeliveryError
from alerts.records import Digest, digest_from_json
from alerts.render import render_text

# Plain AUTH on loopback is what the plain-server tests exercise on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

GOLDEN = Path(__file__).resolve().parent / "golden"
USER, PASSWORD = "monitor", "s3cret-pass"


def sample_digest() -> Digest:
    return digest_from_json((GOLDEN / "sample_digest.json").read_text(encoding="utf-8"))


class Inbox:
    """An aiosmtpd handler keeping every accepted envelope; refuses one chosen recipient."""

    refused = "nobody@example.org"

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == self.refused:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(e.original_content or b"", policy=default_policy)  # type: ignore[misc]
            for e in self.envelopes
        ]


def authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(inbox: Inbox, **options: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl tool."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def plain_server(inbox: Inbox) -> Iterator[Controller]:
    controller = start(
        inbox, authenticator=authenticate, auth_required=True, auth_require_tls=False
    )
    yield controller
    controller.stop()


def channel(port: int, **smtp: Any) -> EmailChannel:
    settings = EmailSettings.model_validate(
        {
            "type": "email",
            "to": ["analysts@example.org", "Desk <desk@example.org>"],
            "from": "News Monitor <monitor@example.org>",
            "smtp": {"host": "127.0.0.1", "port": port, "timeout": "5s", **smtp},
        }
    )
    made = make_channel("team", settings)
    assert isinstance(made, EmailChannel)
    return made


def test_digest_arrives_as_text_and_html_for_every_recipient(
    plain_server: Controller, inbox: Inbox
) -> None:
    channel(plain_server.port, username=USER, password=PASSWORD).send(sample_digest(), "dlv-1")
    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "monitor@example.org"
    assert envelope.rcpt_tos == ["analysts@example.org", "desk@example.org"]
    (message,) = inbox.messages()
    assert message["Subject"] == "[news-monitor] daily: 6 new for SCO, Rogun"
    assert message["To"] == "analysts@example.org, Desk <desk@example.org>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().replace("\r\n", "\n") == render_text(sample_digest())
    html_body = html.get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_body and "<script>" not in html_body
    assert "<mark" in html_body


def test_resend_carries_the_same_message_id(plain_server: Controller, inbox: Inbox) -> None:
    team = channel(plain_server.port, username=USER, password=PASSWORD)
    team.send(sample_digest(), "dlv-1")
    team.send(sample_digest(), "dlv-1")
    team.send(sample_digest(), "dlv-2")
    first, again, other = (m["Message-ID"] for m in inbox.messages())
    assert first == again != other
    assert first.endswith("@example.org>")


def test_wrong_password_is_refused_without_revealing_it(plain_server: Controller) -> None:
    with pytest.raises(DeliveryError) as refused:
        channel(plain_server.port, username=USER, password="wrong-horse").send(
            sample_digest(), "dlv-1"
        )
    assert "535" in str(refused.value)
    assert "wrong-horse" not in str(refused.value)
    assert refused.value.disable is False


def test_a_refused_recipient_does_not_stop_the_others(
    plain_server: Controller, inbox: Inbox
) -> None:
    settings = channel(plain_server.port, username=USER, password=PASSWORD).settings
    team = EmailChannel(
        "team", settings.model_copy(update={"to": ("analysts@example.org", Inbox.refused)})
    )
    team.send(sample_digest(), "dlv-1")
    assert [e.rcpt_tos for e in inbox.envelopes] == [["analysts@example.org"]]


def test_unreachable_server_is_a_delivery_error() -> None:
    with pytest.raises(DeliveryError, match="email team"):
        channel(free_port()).send(sample_digest(), "dlv-1")


def test_starttls_upgrades_before_auth(certificate: tuple[Path, Path], inbox: Inbox) -> None:
    controller = start(
        inbox,
        tls_context=server_tls(certificate),
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    try:
        secure = channel(
            controller.port, starttls=True, username=USER, password=PASSWORD,
            ca_file=str(certificate[0]),
        )  # fmt: skip
        secure.send(sample_digest(), "dlv-1")
        with pytest.raises(DeliveryError):  # the server insists on STARTTLS first
            channel(controller.port, username=USER, password=PASSWORD).send(
                sample_digest(), "dlv-2"
            )
    finally:
        controller.stop()
    assert len(inbox.envelopes) == 1


def test_starttls_refuses_an_untrusted_certificate(
    certificate: tuple[Path, Path], inbox: Inbox
) -> None:
    controller = start(inbox, tls_context=server_tls(certificate), require_starttls=True)
    try:
        with pytest.raises(DeliveryError, match="SSL|certificate"):
            channel(controller.port, starttls=True).send(sample_digest(), "dlv-1")
    finally:
        controller.stop()
    assert inbox.envelopes == []


def test_implicit_tls(certificate: tuple[Path, Path], inbox: Inbox) -> None:
    controller = start(
        inbox, ssl_context=server_tls(certificate), authenticator=authenticate,
        auth_required=True, auth_require_tls=False,  # aiosmtpd sees only STARTTLS as TLS
    )  # fmt: skip
    try:
        channel(
            controller.port, tls=True, username=USER, password=PASSWORD,
            ca_file=str(certificate[0]),
        ).send(sample_digest(), "dlv-1")  # fmt: skip
    finally:
        controller.stop()
    assert len(inbox.envelopes) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"to": ["analysts@example.org\r\nBcc: victim@example.org"]},
        {"from": "monitor@example.org\nX-Evil: 1"},
        {"to": []},
        {"to": ["not-an-address"]},
        {"smtp": {"host": "h", "starttls": True, "tls": True}},
        {"smtp": {"host": "h", "password": "p"}},
        {"smtp": {"host": "h", "timeout": "forever"}},
        {"smtp": {"host": "h", "pasword": "typo"}},
    ],
)
def test_bad_settings_are_refused(change: dict[str, Any]) -> None:
    settings = {"type": "email", "to": ["a@example.org"], "from": "m@example.org"}
    settings["smtp"] = {"host": "h"}
    with pytest.raises(ValidationError):
        EmailSettings.model_validate(settings | change)


def test_password_stays_out_of_repr() -> None:
    team = channel(25, username=USER, password=PASSWORD)
    assert PASSWORD not in repr(team.settings)
    assert PASSWORD not in str(team.settings.model_dump())


def test_numeric_password_from_yaml_is_accepted_and_hidden() -> None:
    settings = EmailSettings.model_validate(
        {
            "type": "email",
            "to": ["a@example.org"],
            "from": "m@example.org",
            "smtp": {"host": "h", "username": "u", "password": 734512},
        }
    )
    assert settings.smtp.password is not None
    assert settings.smtp.password.get_secret_value() == "734512"
    assert "734512" not in repr(settings)
