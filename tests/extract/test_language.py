"""An article's language, detected when its source does not say: the region's languages told
apart on news-style sentences, and no guess on too little text."""

from __future__ import annotations

import pytest

from monitor.extract.language import detect_language

SENTENCES = [
    ("ru", "Правительство сообщило о запуске третьего агрегата Рогунской ГЭС в понедельник."),
    ("uk", "Будівництво Рогунської ГЕС фінансує Світовий банк, повідомили в уряді."),
    ("be", "Прэзідэнт наведаў будаўніцтва станцыі і сустрэўся з рабочымі ў панядзелак."),
    ("kk", "Қазақстанның тұңғыш президенті Нұрсұлтан Назарбаевтың жаңа кітабы жарық көрді."),
    ("ky", "Кыргызстандын президенти Садыр Жапаров Бишкекте маалымат жыйынын өткөрдү."),
    ("tg", "Президенти Тоҷикистон рӯзи душанбе аз сохтмони нерӯгоҳи Роғун дидан кард."),
    (
        "uz",
        "Oʻzbekiston Prezidenti Shavkat Mirziyoyev Toshkentda xorijiy investorlar bilan uchrashdi.",
    ),
    ("en", "The president visited the construction site on Monday and met the engineers there."),
    ("zh", "上海合作组织成员国元首理事会会议在阿斯塔纳举行，各方讨论了地区安全问题。"),
]


@pytest.mark.parametrize(("expected", "sentence"), SENTENCES)
def test_the_regions_languages_are_told_apart(expected: str, sentence: str) -> None:
    assert detect_language("", sentence) == expected


def test_too_little_text_is_no_guess() -> None:
    assert detect_language("Рогун", None) is None
    assert detect_language("", "2026-12-08 12:00") is None


def test_a_text_made_mostly_of_names_is_no_guess_rather_than_a_wrong_one() -> None:
    # CLD3 reads these names as Uzbek at probability 0.3: better no language than a wrong one
    text = "Tajik President Emomali Rahmon visited the Rogun dam construction site on Monday."
    assert detect_language("", text) in (None, "en")
