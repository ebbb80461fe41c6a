"""Extraction quality on the article-extraction benchmark: token precision, recall, F1, ms/page.

Run from the repository root: ``python -m bench.extraction`` (``make eval``). Compares
``monitor.extract.page.extract_text`` with trafilatura's defaults and its precision/speed modes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trafilatura

from monitor.errors import ExtractError
from monitor.extract.page import extract_text

BENCHMARK = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "corpus"
    / "articles"
    / "article-extraction-benchmark"
)
_TOKEN = re.compile(r"\w+")

Extractor = Callable[[bytes, str], str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    page_id: str
    url: str
    html: bytes
    expected: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Score:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    name: str
    precision: float
    recall: float
    f1: float
    empty: int
    last_paragraph_kept: float
    ms_per_page: float


def load_pages(root: Path = BENCHMARK) -> list[Page]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(
            page_id=page_id,
            url=item["url"],
            html=gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes()),
            expected=item["articleBody"],
        )
        for page_id, item in sorted(truth.items())
    ]


def tokens(text: str) -> Counter[str]:
    return Counter(token.casefold() for token in _TOKEN.findall(text))


def score(extracted: str, expected: str) -> Score:
    """Bag-of-tokens overlap: shared tokens over extracted (precision), over expected (recall)."""
    got, want = tokens(extracted), tokens(expected)
    shared = sum((got & want).values())
    return Score(
        precision=shared / sum(got.values()) if got else 0.0,
        recall=shared / sum(want.values()) if want else 0.0,
    )


def token_sequence(text: str) -> str:
    return " ".join(_TOKEN.findall(text.casefold()))


def keeps_last_paragraph(extracted: str, expected: str) -> bool | None:
    """Whether the expected text's last real paragraph (over 80 characters) was extracted,
    compared as word sequences; None when the page has no such paragraph."""
    paragraphs = [line for line in expected.split("\n") if len(line.strip()) > 80]
    if not paragraphs:
        return None
    return token_sequence(paragraphs[-1]) in token_sequence(extracted)


def evaluate(name: str, extractor: Extractor, pages: Iterable[Page]) -> Report:
    scores: list[Score] = []
    last_kept: list[bool] = []
    empty = 0
    elapsed = 0.0
    for page in pages:
        started = time.perf_counter()
        try:
            text = extractor(page.html, page.url)
        except ExtractError:
            text = ""
        elapsed += time.perf_counter() - started
        empty += not text
        scores.append(score(text, page.expected))
        kept = keeps_last_paragraph(text, page.expected)
        if kept is not None:
            last_kept.append(kept)
    return Report(
        name=name,
        precision=statistics.fmean(s.precision for s in scores),
        recall=statistics.fmean(s.recall for s in scores),
        f1=statistics.fmean(s.f1 for s in scores),
        empty=empty,
        last_paragraph_kept=statistics.fmean(last_kept),
        ms_per_page=1000 * elapsed / len(scores),
    )


def _trafilatura(**options: Any) -> Extractor:
    def extract(html: bytes, url: str) -> str:
        return trafilatura.extract(html, url=url, **options) or ""

    return extract


def _ours(html: bytes, url: str) -> str:
    return extract_text(html, url=url)


EXTRACTORS: dict[str, Extractor] = {
    "extract_text (ours)": _ours,
    "trafilatura defaults": _trafilatura(),
    "trafilatura favor_precision": _trafilatura(favor_precision=True),
    "trafilatura fast": _trafilatura(fast=True),
}


def format_report(reports: list[Report], pages: int) -> str:
    lines = [
        f"article-extraction-benchmark: {pages} pages; mean per-page token scores; "
        "last para = share of pages whose final paragraph was extracted",
        f"{'extractor':30} {'precision':>9} {'recall':>7} {'F1':>6} {'empty':>6} "
        f"{'last para':>9} {'ms/page':>8}",
    ]
    lines += [
        f"{r.name:30} {r.precision:9.3f} {r.recall:7.3f} {r.f1:6.3f} {r.empty:6d} "
        f"{r.last_paragraph_kept:9.1%} {r.ms_per_page:8.1f}"
        for r in reports
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only-ours", action="store_true", help="skip the comparison runs")
    args = parser.parse_args()
    pages = load_pages()
    names = ["extract_text (ours)"] if args.only_ours else list(EXTRACTORS)
    reports = [evaluate(name, EXTRACTORS[name], pages) for name in names]
    print(format_report(reports, len(pages)))


if __name__ == "__main__":
    main()
