"""The address guard for tests whose servers listen on 127.0.0.1: that one address counts as
public, so hops between the test's servers are followed while every other forbidden address
(::1, 127.0.0.2, private ranges, the metadata address, their encodings) is still refused.
A name the machine cannot resolve (the tests have no network) resolves to a public address."""

from __future__ import annotations

import ipaddress
import socket

from monitor.sources.fetch import FetchSession, make_session
from monitor.sources.netguard import (
    AddressGuard,
    IPAddress,
    is_forbidden_address,
    system_resolver,
)

LOOPBACK = ipaddress.ip_address("127.0.0.1")


def loopback_is_public(ip: IPAddress) -> bool:
    """The real policy, except for the test servers' own address."""
    return ip != LOOPBACK and is_forbidden_address(ip)


def offline_resolver(host: str, port: int) -> list[str]:
    try:
        return system_resolver(host, port)
    except socket.gaierror:
        return ["93.184.216.34"]


LOOPBACK_GUARD = AddressGuard(resolve=offline_resolver, forbidden=loopback_is_public)


def loopback_session(user_agent: str = "test") -> FetchSession:
    return make_session(user_agent, address_guard=LOOPBACK_GUARD)
