"""An article's language when its source does not say: py3langid's naive Bayes model, which
ships inside its wheel (nothing is downloaded) and tells apart the region's languages (Russian,
Ukrainian, Belarusian, Kazakh, Kyrgyz, Tajik, Uzbek in both scripts, Chinese, English...).

The model takes about a second to load, so it is loaded on the first article that needs it,
once per process; a guess then costs about 0.2 ms for an article's opening.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

_SAMPLE_CHARS = 1500  # the title and the text's opening say enough, and cost stays flat
_MIN_LETTERS = 12  # fewer letters than this are a name or a date, not a language
# Labels finer than a reader filters by, as the tags a feed would have written.
_TAGS = {"wuu": "zh", "yue": "zh", "uzs": "uz"}
_LOADING = threading.Lock()


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE)


def detect_language(*texts: str | None) -> str | None:
    """The language tag (ISO 639-1 where there is one) of the texts read together; None when
    there are too few letters to tell."""
    sample = "\n".join(t for t in texts if t)[:_SAMPLE_CHARS]
    if sum(c.isalpha() for c in sample) < _MIN_LETTERS:
        return None
    with _LOADING:  # several pollers may ask first at once: load the model once
        identifier = _identifier()
    label, _ = identifier.classify(sample)
    return _TAGS.get(label, label)
