"""What every channel shares: the `Channel` interface and the base of channel settings."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Generic, TypeVar

from alerts.channels.settings import ChannelSettingsBase, Seconds, Secret
from alerts.records import Digest

__all__ = ["Channel", "ChannelSettingsBase", "Secret", "Seconds", "SettingsT"]


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
