"""Standard Webhooks signatures: the key a configured secret stands for, and the signed headers."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

SECRET_PREFIX = "whsec_"


def signing_key(secret: str) -> bytes:
    """The HMAC key: a `whsec_` secret is base64, any other secret is its UTF-8 bytes."""
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode("utf-8")
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        # Unpadded base64 is common in the wild; the spec's reference code accepts it too.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError("a whsec_ secret must be base64 after its prefix") from None
    if not key:
        raise ValueError("the webhook secret is empty")
    return key


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""
    signed = b".".join([message_id.encode("utf-8"), str(timestamp).encode("ascii"), body])
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def webhook_headers(
    key: bytes | None, message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The webhook-id/-timestamp headers, and webhook-signature when there is a key."""
    headers = {"webhook-id": message_id, "webhook-timestamp": str(timestamp)}
    if key is not None:
        headers["webhook-signature"] = signature(key, message_id, timestamp, body)
    return headers
