"""An article's language when its source does not say: Google's CLD3 neural model, compiled
into the cld3-py wheel (nothing is downloaded, about 3 MB in memory, a few hundredths of a
millisecond an article). It tells apart the region's languages: Russian, Ukrainian,
Belarusian, Kazakh, Kyrgyz, Tajik, Uzbek, Chinese, English...

Chosen over py3langid, which told Uzbek in Cyrillic apart where CLD3 takes it for Tajik or
Kyrgyz, but holds some 75 MB of model in every process: a poll run's memory budget comes first.
Where CLD3 is unsure (a short text made mostly of names) no language is guessed.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

_SAMPLE_CHARS = 1500  # the title and the text's opening say enough, and cost stays flat
_MIN_LETTERS = 12  # fewer letters than this are a name or a date, not a language
_MIN_PROBABILITY = 0.5  # below this CLD3's guess is a name's look, not the text's language
_LOADING = threading.Lock()


@cache
def _identifier() -> Any:
    import gcld3

    return gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=_SAMPLE_CHARS * 4)


def detect_language(*texts: str | None) -> str | None:
    """The language tag (ISO 639-1 where there is one) of the texts read together; None when
    there are too few letters to tell or the model is unsure."""
    sample = "\n".join(t for t in texts if t)[:_SAMPLE_CHARS]
    if sum(c.isalpha() for c in sample) < _MIN_LETTERS:
        return None
    with _LOADING:  # pollers run in threads: one identifier, used one at a time
        found = _identifier().FindLanguage(sample)
    if found.language == "und" or found.probability < _MIN_PROBABILITY:
        return None
    return str(found.language).split("-")[0]
