"""Hostile feed payloads and a raw loopback server that can misbehave in every way HTTP allows."""

from __future__ import annotations

import socket
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

Serve = Callable[[socket.socket, threading.Event], None]

FEED_TYPE = "application/rss+xml"


def rss_document(items: list[str], *, prolog: str = "", encoding: str = "utf-8") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>{prolog}'
        '<rss version="2.0"><channel><title>Hostile</title><link>https://example.org/</link>'
        + "".join(items)
        + "</channel></rss>"
    )


def item_xml(n: int, title: str, *, host: str = "hostile.example.org") -> str:
    return (
        f"<item><title>{title}</title><link>https://{host}/story/{n}</link>"
        f"<guid>{host}-{n}</guid><description>Story number {n}.</description></item>"
    )


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol "lol">']
    for level in range(1, 10):
        previous = f"&lol{level - 1 if level > 1 else ''};" * 10
        entities.append(f'<!ENTITY lol{level} "{previous}">')
    prolog = "<!DOCTYPE rss [" + "".join(entities) + "]>"
    return rss_document([item_xml(1, "&lol9;")], prolog=prolog).encode()


def quadratic_blowup(entity_kb: int = 50, references: int = 5_000) -> bytes:
    """One 50 KB entity referenced thousands of times: ~250 MB once expanded."""
    prolog = f'<!DOCTYPE rss [<!ENTITY big "{"B" * entity_kb * 1024}">]>'
    return rss_document([item_xml(1, "&big;" * references)], prolog=prolog).encode()


def xxe(local_file: str) -> bytes:
    prolog = f'<!DOCTYPE rss [<!ENTITY secret SYSTEM "file://{local_file}">]>'
    return rss_document(
        [item_xml(1, "leak &secret;"), item_xml(2, "&secret;")], prolog=prolog
    ).encode()


@cache
def gzip_bomb(megabytes: int = 300) -> bytes:
    """A feed head followed by hundreds of MB of spaces, gzip-compressed to a few hundred KB."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    out = [squeeze.compress(b'<?xml version="1.0"?><rss version="2.0"><channel><title>')]
    spaces = b" " * (1024 * 1024)
    out += [squeeze.compress(spaces) for _ in range(megabytes)]
    out.append(squeeze.compress(b"</title></channel></rss>"))
    out.append(squeeze.flush())
    return b"".join(out)


def oversized(megabytes: int) -> bytes:
    filler = "x" * 1000
    count = megabytes * 1000
    return rss_document([item_xml(n, f"{filler}") for n in range(count)]).encode()


def invalid_utf8() -> bytes:
    good = rss_document([item_xml(1, "Valid title"), item_xml(2, "BROKEN"), item_xml(3, "Tail")])
    return good.encode().replace(b"BROKEN", b"Broken \xff\xfe\xc3\x28 bytes \xed\xa0\x80")


def lying_encoding() -> bytes:
    """Declares UTF-16 in the prolog but is windows-1251 bytes (Russian text)."""
    doc = rss_document(
        [item_xml(1, "Рогунская ГЭС"), item_xml(2, "Новости Таджикистана")], encoding="utf-16"
    )
    return doc.encode("cp1251")


def attribute_flood(count: int = 200_000) -> bytes:
    """One element with 200,000 attributes: over a minute of CPU in feedparser's loose parser."""
    attributes = " ".join(f'a{i}="1"' for i in range(count))
    return rss_document([item_xml(1, f"<x {attributes}/>")]).encode()


def unclosed_tags(count: int = 1_000_000) -> bytes:
    """A million unclosed tags in a title: 30 s and ~480 MB in feedparser's fallback."""
    return rss_document([item_xml(1, "<x>" * count)]).encode()


def nested_html_summary(depth: int = 300_000) -> bytes:
    """2.6 MB of nested HTML in a summary: ~570 MB to turn into text."""
    html = "<p><b><i>" * depth
    return rss_document(
        [f"<item><title>t</title><description><![CDATA[{html}]]></description></item>"]
    ).encode()


def many_items(count: int = 10_000) -> bytes:
    return rss_document(
        [item_xml(n, f"Item {n}", host="big.example.org") for n in range(count)]
    ).encode()


# Raw server ----------------------------------------------------------------------------------


def respond(body: bytes, *, headers: dict[str, str] | None = None, length: bool = True) -> Serve:
    """A complete answer; without ``length`` the body is delimited by closing the connection."""

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        head = ["HTTP/1.1 200 OK", f"Content-Type: {FEED_TYPE}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if length:
            head.append(f"Content-Length: {len(body)}")
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        conn.sendall(body)

    return serve


def trickle(conn: socket.socket, stop: threading.Event) -> None:
    """One byte a second, forever (a declared length it will never reach)."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n")
    conn.sendall(b"Content-Length: 100000\r\n\r\n")
    for byte in rss_document([item_xml(1, "slow")]).encode() * 100:
        if stop.wait(1.0):
            return
        conn.sendall(bytes([byte]))


def never_answer(conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(600)


@dataclass
class RawServer:
    """HTTP on 127.0.0.1 answered by hand, one ``Serve`` per path, each connection on a thread."""

    routes: dict[str, Serve]

    def __post_init__(self) -> None:
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.served: dict[str, int] = {}
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                path = _request_path(conn)
                self.served[path] = self.served.get(path, 0) + 1
                serve = self.routes.get(path)
                if serve is None:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    return
                serve(conn, self.stop)
            except OSError:
                pass  # the client hung up, which is what most of these routes wait for

    def close(self) -> None:
        self.stop.set()
        self._thread.join()
        self.sock.close()


def _request_path(conn: socket.socket) -> str:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    request_line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = request_line.split(" ")
    return parts[1] if len(parts) > 1 else "/"
