"""Which endings a name takes and stays the same name: the case endings, case and possessive
suffixes and place-name adjectives of Russian, Ukrainian, Belarusian, Tajik, Kazakh, Kyrgyz and
Uzbek, as skeletons (spelling.py), so one table serves Cyrillic and Latin text alike.

Written by hand: the stemmers and morphology libraries there are (Snowball's Russian, pymorphy3
for Russian and Ukrainian) cover two of the seven languages, cut words to stems without saying
whether what was cut is an inflection or a derivation, and guess at names they do not know
(a guess at Рахмонов is a word of its own, Rahmonov, not Rahmon's case). What matters here is the
opposite question, what may follow a given name, and that is a closed list of grammatical
endings. Derivational suffixes (-ов/-ев/-ин, -цев, -ali, -bek, -ка as a noun) are left out on
purpose: they make another name (Рахмонов, Путинцева, Rahmonali).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import product

from monitor.rules.entities.spelling import skeleton_of_suffix

# Russian, Ukrainian and Belarusian case endings after a name ending in a consonant, for nouns
# and for surnames in -ов/-ев/-ин (Рахмона, Путіну, Назарбаевым, Каримова, Пуціным).
_SLAVIC_NOUN = """
а у ом ем е ы и ой ою ым им ых их ыми ими ам ами ах ю я ей ею ові еві ові у і ої ою ах
аў ай аю ымі імі
"""
# Adjectives made from a name or place: Рогунская ГЭС, Рогунської ГЕС, Рагунскай ГЭС.
_ADJECTIVE = """
ий ый ой ая ое ие ые ого его ому ему им ым ом ем ую юю ой ей ою ею ими ыми их ых
а е і ої ою ього ьому ьої ьою ім ій ої ую
і ая ае ія ага аму ім ую ай аю імі іх
"""
_SK = ("ск", "sk")
# Where the name itself ends in a case ending (a phrase's words, feminine and adjectival names),
# the stem drops it and takes the rest of its paradigm: организация -> организации,
# Шанхайская -> Шанхайской, Москва -> Москве. Ordered: the first that fits is taken.
_PARADIGMS = (
    ("ия", "ия ии ию ией иею иям иями иях ие ій ії ією ію ія"),
    ("я", "я и е ю ей ею ям ями ях і ї єю"),
    ("а", "а ы и е у ой ою ей ею ам ами ах і ою"),
    # surnames in -ко: Ukrainian and Belarusian decline them (Лукашенка, Лукашэнку, Лукашенкові)
    ("о", "о а у і ы е ом ові"),
)
# Turkic suffixes: plural, then possessive, then case, each optional (Назарбаевтың,
# Рахмонро, Mirziyoyevning, Mirziyoyevga, Рогундағы, Президентининг). Vowel harmony is not
# enforced: a wrong-harmony suffix is a misspelling of the same name, not another name.
_TURKIC_PLURAL = "лар лер дар дер тар тер лор лөр дор дөр тор төр lar ҳо ho"
_TURKIC_POSSESSIVE = """
ы і сы сі ым ім м ымыз іміз лары лері
и си им имиз лари i si im imiz lari
ам ат аш амон атон ашон
"""
_TURKIC_CASE = """
ның нің дың дің тың тің нын нин дын дин тын тин нун нүн дун дүн тун түн нинг ning
ға ге қа ке на не а е га ка го гө ко кө о ө ga ka qa га ка қа
ды ді ты ті ны ні ди ду дү ти ту тү ни ну нү ni ни ро ro ра
да де та те нда нде до дө то тө ндо ндө da ta
дан ден тан тен нан нен дон дөн тон төн нон нөн dan tan
мен бен пен менен
дағы дегі тағы тегі ндағы ндегі дагы деги тагы теги даги тағи dagi tagi
гача gacha ча cha
"""
# Tajik izofa and adjective endings (Раҳмони, Роғунӣ), hyphenless Uzbek -mi/-ku questions.
_TAJIK = "и ӣ е ӣ и ву ю"


def _skeletons(words: str) -> set[str]:
    return {skeleton_of_suffix(w) for w in words.split()}


@cache
def slavic_endings() -> frozenset[str]:
    adjective = _skeletons(_ADJECTIVE)
    sk = {skeleton_of_suffix(s) for s in _SK}
    return frozenset({""} | _skeletons(_SLAVIC_NOUN) | {k + a for k in sk for a in adjective})


@cache
def turkic_endings() -> frozenset[str]:
    plural = [""] + sorted(_skeletons(_TURKIC_PLURAL))
    possessive = [""] + sorted(_skeletons(_TURKIC_POSSESSIVE))
    case = [""] + sorted(_skeletons(_TURKIC_CASE))
    found = {"".join(parts) for parts in product(plural, possessive, case)}
    return frozenset(found | _skeletons(_TAJIK))


@cache
def all_endings(*, after_voiced: bool = False) -> frozenset[str]:
    """Every ending a name may take, as skeletons. After a vowel or a voiced consonant the
    Turkic dative is -га/-ге, never -қа/-ке (Путинге), so -k- endings are left out there:
    Путинка is a brand of vodka, not Putin's dative."""
    found = slavic_endings() | turkic_endings()
    if after_voiced:
        slavic = slavic_endings()
        found = frozenset(e for e in found if not e.startswith("k") or e in slavic)
    return found


_VOICED = re.compile(r"[aeiouylmnrbdgzj]$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Stem:
    """A skeleton the text's word must begin with, and the endings that may follow it."""

    stem: str
    endings: frozenset[str]


_ADJECTIVE_BASE = re.compile(r"sk(aya|ii|i|oe|ie|oi|a|e|ae|aa|ogo)$")
_SHORT = 3  # a stem this short takes no endings: Си, ЕС, AU would catch every word near them


def stems(base: str) -> tuple[Stem, ...]:
    """The stems of one base word's skeleton and what may follow each."""
    if len(base) <= _SHORT:
        return (Stem(stem=base, endings=frozenset({""})),)
    found = [Stem(stem=base, endings=all_endings(after_voiced=bool(_VOICED.search(base))))]
    adjective = _ADJECTIVE_BASE.search(base)
    if adjective:
        cut = adjective.start() + 2
        tails = frozenset(e[2:] for e in slavic_endings() if e.startswith("sk"))
        found.append(Stem(stem=base[:cut], endings=tails))
        return tuple(found)
    for ending, paradigm in _paradigms():
        if base.endswith(ending) and len(base) - len(ending) > _SHORT:
            found.append(Stem(stem=base[: len(base) - len(ending)], endings=paradigm))
            break
    if re.search(r"[aeou]i$", base):  # Китай (normal form китаи): Китая, Китаю, Китаем
        found.append(Stem(stem=base[:-1], endings=frozenset(_skeletons("й я ю ем е ї єм"))))
    return tuple(found)


@cache
def _paradigms() -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple(
        (skeleton_of_suffix(ending), frozenset(_skeletons(paradigm)))
        for ending, paradigm in _PARADIGMS
    )
