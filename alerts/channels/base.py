"""What every channel shares: the `Channel` interface and the base of channel settings."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Annotated, ClassVar, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr

from alerts.records import Digest

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def _seconds(value: object) -> object:
    """`30s`, `2m`, `1.5`, 20 -> seconds; anything else is left for pydantic to refuse."""
    if isinstance(value, str) and (found := _DURATION.match(value)):
        return float(found.group(1)) * _UNIT_SECONDS[found.group(2)]
    return value


# A positive timeout, written as a number of seconds or a duration like `20s` or `2m`.
Seconds = Annotated[float, BeforeValidator(_seconds), Field(gt=0, le=3600)]


def _scalar_as_text(value: object) -> object:
    # YAML reads `password: 123456` as a number; refusing it would echo the secret in the error.
    if isinstance(value, bool):
        return value
    return str(value) if isinstance(value, int | float) else value


# A password, token or signing secret: never shown in repr, dumps, logs or errors.
Secret = Annotated[SecretStr, BeforeValidator(_scalar_as_text)]


class ChannelSettingsBase(BaseModel):
    """Settings of one configured channel: frozen, and unknown keys are errors."""

    # Inputs stay out of error messages: a mistyped secret or webhook URL is still a secret.
    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, hide_input_in_errors=True
    )


SettingsT = TypeVar("SettingsT", bound=ChannelSettingsBase)


class Channel(ABC, Generic[SettingsT]):
    """Delivers digests to one configured receiver; `send` returns only once it was accepted."""

    settings_model: ClassVar[type[ChannelSettingsBase]]

    def __init__(self, name: str, settings: SettingsT) -> None:
        self.name = name
        self.settings = settings

    @abstractmethod
    def send(self, digest: Digest, delivery_id: str) -> None:
        """Deliver the digest; raises `DeliveryError` when the receiver did not accept it.

        A resend of the same delivery carries the same `delivery_id`, so that a receiver can
        recognise the repeat.
        """

    def __repr__(self) -> str:
        # Settings hold secrets as SecretStr, so even their repr is safe; the name is enough.
        return f"{type(self).__name__}({self.name!r})"
