"""One spelling for the many ways a name is written: the skeleton both sides are compared in.

A word's skeleton is its normal form (tokens.normal: case, accents, ё/й folded) written in Latin
letters by anyascii's transliteration tables, then folded by hand where the region's alphabets
and the usual romanisations write one sound several ways. No library does that folding, so it
is written here: Cyrillic letter variants (ҳ/х/һ, ғ/г, қ/к, ү/ұ/ў/у, ө/о, ә/а, ң/н, і/ї/и,
є/е, Belarusian ц for т before a soft vowel), romanisations (kh/h/x, q/k, gh/g, zh/j/dzh,
-yo-/-ye-/-e-, -iy/-i, ng/ñ/ң), Uzbek Latin apostrophes (oʻ = ў, gʻ = ғ; ʻ ʼ ' ` ’ dropped) and
British -isation. Both the entity's forms and the article's words go through the same function,
so only agreement matters, not phonetic truth.

``prefixes`` goes the other way for the rule index: from a skeleton, the first three letters an
article's word may start with (in normal form, either script), so an entity costs the matcher
nothing on articles that cannot mention it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from anyascii import anyascii

from monitor.rules.tokens import normal

# Before anyascii: the letters whose table entry does not suit the folding below.
_BEFORE = str.maketrans(
    {"є": "ye", "ь": "", "ъ": "", "х": "h", "щ": "sh", "ғ": "g", "ʻ": "'", "ʼ": "'"}
)
_APOSTROPHES = re.compile("['`’‘]")
# After transliteration, in order: each rule sees the result of the ones before it.
_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"o['`’‘]", "u"),  # Uzbek Latin oʻ is Cyrillic ў
        (r"['`’‘]", ""),
        (r"shch", "sh"),
        (r"dzh|dj", "j"),
        (r"zh", "j"),
        # ң, ñ, ng: before gh (Shanghai = Шанхай); not before a vowel, where it is more often
        # a name's n and a suffix's g (Рахмонға, Rahmonga)
        (r"ng(?![aeiouy])", "n"),
        (r"kh|x", "h"),
        (r"gh", "g"),
        (r"q", "k"),
        (r"w", "v"),
        (r"yo|ye", "e"),  # Mirziyoyev = Мирзиёев (ё folds to е), Nazarbayev = Назарбаев
        (r"iy(?![aeiou])", "i"),  # -iy / -ий (normal form -ии) / -i
        (r"iio", "ie"),  # Ukrainian ійо for иё: Мірзійоєв = Мирзиёев
        (r"ii", "i"),
        (r"ts(?=[iey])", "t"),  # Belarusian Пуцін for Путин; consistent on both sides
        (r"dz(?=[iey])", "d"),
        (r"(?<=[aeo])u$", "v"),  # Belarusian final ў for в: Назарбаеў
        (r"isat", "izat"),  # British Organisation
    )
)
_NOT_LETTER = re.compile(r"[^a-z]")


@lru_cache(maxsize=200_000)
def skeleton(word: str) -> str:
    """The folded Latin skeleton of one word as written or in normal form: Раҳмон -> rahmon."""
    text = anyascii(normal(word).translate(_BEFORE)).lower()
    for pattern, replacement in _FOLDS:
        text = pattern.sub(replacement, text)
    return _NOT_LETTER.sub("", text)


def skeleton_of_suffix(suffix: str) -> str:
    """A suffix's skeleton as it reads after a consonant (ending tables are written bare)."""
    return skeleton("b" + suffix)[1:] if suffix else ""


# -- the way back: which letters an article's word may begin with --------------------------

# Skeleton unit -> how a Latin text and a Cyrillic text may spell it, in normal form (that is,
# as tokens.normal leaves it: no ё, й, ў, ї, ӣ, ӯ, which fold to е, и, у, і, и, у).
_LATIN = {
    "a": ("a",), "b": ("b",), "d": ("d",), "e": ("e", "ye", "yo"), "f": ("f",),
    "g": ("g", "gʻ", "gʼ", "g'", "gh"), "h": ("h", "kh", "x"), "i": ("i", "iy", "ı"),
    "j": ("j", "zh", "dj", "dzh"), "k": ("k", "q"), "l": ("l",), "m": ("m",), "n": ("n", "ng"),
    "o": ("o",), "p": ("p",), "r": ("r",), "s": ("s",), "t": ("t", "ts"),
    "u": ("u", "oʻ", "oʼ", "w"), "v": ("v", "w"), "y": ("y", "i"), "z": ("z",),
    "c": ("c",), "sh": ("sh",), "ch": ("ch",), "ya": ("ya", "ia"), "yu": ("yu", "iu"),
    "ts": ("ts", "c"),
}  # fmt: skip
_CYRILLIC = {
    "a": ("а", "ә"), "b": ("б",), "d": ("д", "дз"), "e": ("е", "э", "є"), "f": ("ф",),
    "g": ("г", "ғ", "ґ"), "h": ("х", "ҳ", "һ", "г"), "i": ("и", "і", "ы"), "j": ("ж", "ҷ", "дж"),
    "k": ("к", "қ"), "l": ("л",), "m": ("м",), "n": ("н", "ң"), "o": ("о", "ө"),
    "p": ("п",), "r": ("р",), "s": ("с",), "t": ("т", "ц"), "u": ("у", "ү", "ұ"),
    "v": ("в", "у"), "y": ("ы", "и", "і"), "z": ("з",), "c": ("ц", "к", "с"),
    "sh": ("ш", "щ"), "ch": ("ч",), "ya": ("я",), "yu": ("ю",), "ts": ("ц",),
}  # fmt: skip
_UNITS = re.compile(r"sh|ch|ya|yu|ts|[a-z]")
from monitor.rules.stemindex import PREFIX_LETTERS  # noqa: E402 - as the rule index cuts words


def prefixes(skel: str) -> frozenset[str]:
    """Normal-form beginnings (three letters, or the whole word if shorter) of the words whose
    skeleton may start with ``skel``, in Latin and in Cyrillic text: what the rule index cuts
    an article's words to. A Latin word cut by an ASCII apostrophe (O'zbekiston) is two words,
    and where the first is too short to say anything, the second's beginning is given."""
    found = spellings(_UNITS.findall(skel), cut=PREFIX_LETTERS)
    return frozenset(b.rstrip("'")[:PREFIX_LETTERS] for b in found)


def stem_anchors(
    skel: str, letters: int, *, whole: bool = False
) -> frozenset[tuple[str, str]] | None:
    """Rule-index keys for words whose skeleton starts with ``skel`` (is ``skel``, if
    ``whole``): ("stem", first ``letters`` letters) for each spelling, ("word", w) where an
    ASCII apostrophe leaves a shorter whole word (Rog'un: rog) or a whole word is shorter;
    None when some spelling is too short to say that much."""
    found: set[tuple[str, str]] = set()
    for spelled in spellings(_UNITS.findall(skel), cut=letters):
        if spelled.endswith("'"):
            found.add(("word", spelled[:-1]))
        elif len(spelled) >= letters:
            found.add(("stem", spelled[:letters]))
        elif whole:
            found.add(("word", spelled))
        elif len(spelled) >= PREFIX_LETTERS:  # Cyrillic ш, ч, я for sh, ch, ya: fewer letters
            found.add(("stem", spelled[:PREFIX_LETTERS]))
        else:
            return None
    return frozenset(found)


def search_prefixes(skel: str, limit: int = 64) -> frozenset[str]:
    """The longest normal-form beginnings, at most about ``limit`` of them, that every word
    whose skeleton starts with ``skel`` begins with: what a search index is asked for."""
    units = _UNITS.findall(skel)
    latin = cyrillic = 1
    for taken, unit in enumerate(units):
        latin *= len(_LATIN.get(unit, (unit,)))
        cyrillic *= len(_CYRILLIC.get(unit, (unit,)))
        if taken >= 2 and latin + cyrillic > limit:
            units = units[:taken]
            break
    return frozenset(s.rstrip("'") for s in spellings(units, cut=None))


def spellings(units: list[str], *, cut: int | None) -> set[str]:
    """Each way the units may be written in either script, up to ``cut`` visible letters."""
    found: set[str] = set()
    if units[:1] == ["u"] and len(units) > 1:
        # O'zbekiston with an ASCII apostrophe is two words, o and zbekiston: the second shows
        found |= spellings(units[1:], cut=cut)

    def walk(table: dict[str, tuple[str, ...]], at: int, text: str) -> None:
        shown = _beginning(text)
        if shown.endswith("'"):  # a whole word, cut off by an apostrophe: nothing more shows
            found.add(shown)
            return
        if at == len(units) or (cut is not None and len(shown) >= cut):
            found.add(shown[:cut] if cut is not None else shown)
            return
        for option in table.get(units[at], (units[at],)):
            walk(table, at + 1, text + option)

    walk(_LATIN, 0, "")
    walk(_CYRILLIC, 0, "")
    return found


def _beginning(text: str) -> str:
    if "'" not in text:
        return text
    first, _, rest = text.partition("'")
    # A first part shorter than the index's cut (o' of O'zbekiston) is a word of its own that
    # says nothing; the word after the apostrophe is where the name shows.
    # A longer first part is a whole word: it keeps the apostrophe to say so (rog').
    return f"{first}'" if len(first) >= PREFIX_LETTERS else rest
