"""The exception tree of the delivery side.

AlertError
├── RenderError       a digest could not be rendered
└── DeliveryError     a channel did not accept a digest
    (retry_after: seconds the receiver asked for; disable: stop using the channel, e.g. 410)
"""

from __future__ import annotations


class AlertError(Exception):
    """Base of every error the delivery side raises on purpose."""


class RenderError(AlertError):
    """A template failed to render a digest."""


class DeliveryError(AlertError):
    """A channel refused or failed to take a digest."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, disable: bool = False
    ) -> None:
        self.retry_after = retry_after
        self.disable = disable
        super().__init__(message)
