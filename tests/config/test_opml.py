"""OPML import and export on real subscription lists and the listparser edge cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS

from monitor.cli.main import main
from monitor.config.load import load_config
from monitor.config.opml import Outline, read_opml, write_opml
from monitor.config.opml_edit import add_feeds_to_config, feed_entries_yaml

OPML_CORPUS = CORPUS / "opml"
LISTPARSER = OPML_CORPUS / "listparser-tests"

# --- listparser's own expectations ------------------------------------------------------------
# Each listparser test file carries `Eval:` lines over listparser's result. We check the ones
# about feeds that our flat model can express: the feed count, url, title, and that every tag
# and every segment of a category path ends up among the feed's categories.

EVAL = re.compile(r"^\s*Eval:\s*(.+?)\s*$", re.MULTILINE)
FEED = r"result\[['\"]feeds['\"]\]"
COUNT = re.compile(rf"^len\({FEED}\) == (\d+)$")
FIELD = re.compile(rf"^{FEED}\[(\d+)\]\[['\"](url|title)['\"]\] == ['\"](.*)['\"]$")
SAME_TITLE = re.compile(rf"^{FEED}\[(\d+)\]\['title'\] == {FEED}\[(\d+)\]\['title'\]$")
TAG = re.compile(rf"^['\"](.+)['\"] in {FEED}\[(\d+)\]\['tags'\]$")
CATEGORY = re.compile(rf"^\[(.+)\] in {FEED}\[(\d+)\]\['categories'\]$")
CATEGORY_AT = re.compile(rf"^{FEED}\[(\d+)\]\['categories'\]\[\d+\] == \[(.+)\]$")
TAGS_ARE = re.compile(rf"^{FEED}\[(\d+)\]\['tags'\] == \[(.+)\]$")
# A second <opml> document glued after the first: we read the first one only.
NOT_CLAIMED = {"concatenated-documents.xml"}


def quoted(items: str) -> list[str]:
    return re.findall(r"['\"]([^'\"]+)['\"]", items)


def listparser_cases() -> list[Path]:
    # rdf/ holds FOAF and Yandex lists, which are not OPML (test_not_opml_... covers them)
    files = [*(LISTPARSER / "opml").rglob("*.xml"), *(LISTPARSER / "malformed").rglob("*.xml")]
    return sorted(p for p in files if re.search(r"Eval:.*feeds", p.read_text()))


@pytest.mark.parametrize("path", listparser_cases(), ids=lambda p: str(p.relative_to(LISTPARSER)))
def test_listparser_expectations_about_feeds(path: Path) -> None:
    if path.name in NOT_CLAIMED:
        pytest.skip("concatenated documents: only the first is read")
    feeds = read_opml(path.read_bytes())
    checked = 0
    for expression in EVAL.findall(path.read_text()):
        if m := COUNT.match(expression):
            assert len(feeds) == int(m[1]), expression
        elif m := FIELD.match(expression):
            assert getattr(feeds[int(m[1])], m[2]) == m[3], expression
        elif m := SAME_TITLE.match(expression):
            assert feeds[int(m[1])].title == feeds[int(m[2])].title, expression
        elif m := TAG.match(expression):
            assert m[1] in feeds[int(m[2])].categories, expression
        elif m := CATEGORY.match(expression):
            assert set(quoted(m[1])) <= set(feeds[int(m[2])].categories), expression
        elif m := CATEGORY_AT.match(expression):
            assert set(quoted(m[2])) <= set(feeds[int(m[1])].categories), expression
        elif m := TAGS_ARE.match(expression):
            assert feeds[int(m[1])].categories == tuple(quoted(m[2])), expression
        else:
            continue
        checked += 1
    assert checked, "no feed expectation understood in this file"


def test_listparser_category_paths_and_folders_become_flat_tags() -> None:
    cases = {
        "opml/categories/hier-2-nested.xml": ("grouping1", "grouping2"),
        "opml/categories/cats-2-single_hierarchy.xml": ("root", "parent", "child"),
        "opml/categories/cats-4-bad.xml": ("root1", "root2", "node2", "root3", "node 3"),
        "opml/categories/tags-3-cats_mixed.xml": ("news", "sports"),
        "opml/outline-duplication-2.xml": ("hier1", "hier2"),
    }
    for name, tags in cases.items():
        (feed,) = read_opml((LISTPARSER / name).read_bytes())
        assert feed.categories == tags, name


def test_html_entities_in_attributes_are_decoded_not_dropped() -> None:
    first, second = read_opml((LISTPARSER / "malformed/html-entity-attribute.xml").read_bytes())
    assert first.title == second.title == "archæology"
    (unknown,) = read_opml((LISTPARSER / "malformed/undefined-entity-attribute.xml").read_bytes())
    assert unknown.title == "arch&egregiouslyundefined;ology"


def test_bidi_controls_in_a_label_never_reach_a_feed_name() -> None:
    opml = (
        '<opml version="2.0"><body><outline text="Invoices \u202egpj.exe\u2069" type="rss" '
        'xmlUrl="https://e.org/rss"/></body></opml>'
    ).encode()
    [outline] = read_opml(opml)
    assert outline.title == "Invoices gpj.exe"


def test_outlines_that_are_not_feeds_are_skipped() -> None:
    # a subscription list (type=source), an empty xmlUrl, an include/link list of their own
    for name in (
        "opml/outline_type-source.xml",
        "opml/outline_xmlUrl-empty.xml",
        "opml/include/outline_url.xml",
    ):
        assert read_opml((LISTPARSER / name).read_bytes()) == [], name
    # newsboat's piped command and relative garbage are not URLs we can poll
    piped = read_opml((OPML_CORPUS / "newsboat-tests/piped.opml").read_bytes())
    assert [f.url for f in piped] == ["https://example.com/feed.atom"]


def test_not_opml_is_an_error_with_a_reason() -> None:
    for path in (
        OPML_CORPUS / "newsboat-tests/opml-element-missing.opml",
        LISTPARSER / "rdf/foaf_group-1.xml",
    ):
        with pytest.raises(ValueError, match="not an OPML file"):
            read_opml(path.read_bytes())
    with pytest.raises(ValueError, match="not an OPML file"):
        read_opml(b"")
    assert read_opml((OPML_CORPUS / "newsboat-tests/body-element-missing.opml").read_bytes()) == []


# --- real subscription lists -----------------------------------------------------------------


def real_lists() -> list[Path]:
    return sorted(p for p in OPML_CORPUS.rglob("*.opml") if "newsboat" not in str(p))


def declared_feed_urls(data: bytes) -> set[str]:
    """Every http(s) xmlUrl written in the file, read with a plain regex as an independent count."""
    urls = re.findall(rb"""xmlUrl=(?:"([^"]*)"|'([^']*)')""", data)
    found = {(a or b).decode().strip().replace("&amp;", "&") for a, b in urls}
    return {u for u in found if u.startswith(("http://", "https://"))}


@pytest.mark.parametrize("path", real_lists(), ids=lambda p: str(p.relative_to(OPML_CORPUS)))
def test_real_lists_lose_no_feed(path: Path) -> None:
    # Several of these lists are broken XML (bare & in URLs, raw quotes and <a href> inside
    # description attributes); every feed they name must still come out, URL intact.
    data = path.read_bytes()
    assert {f.url for f in read_opml(data)} == declared_feed_urls(data)


def test_real_lists_keep_titles_and_folders() -> None:
    feeds = read_opml(
        (
            OPML_CORPUS / "plenaryapp-awesome-rss-feeds/countries/with_category/Russia.opml"
        ).read_bytes()
    )
    by_url = {f.url: f for f in feeds}
    assert by_url["https://lenta.ru/rss"].title == "Lenta.ru : Новости"
    assert by_url["https://www.kommersant.ru/RSS/main.xml"].title == 'Газета "Коммерсантъ". Главное'
    assert all(f.categories == ("Russia",) for f in feeds)
    flat = read_opml(
        (
            OPML_CORPUS / "plenaryapp-awesome-rss-feeds/countries/without_category/Russia.opml"
        ).read_bytes()
    )
    assert [f.url for f in flat] == [f.url for f in feeds]
    assert all(f.categories == () for f in flat)
    bare_ampersand = read_opml(
        (
            OPML_CORPUS / "plenaryapp-awesome-rss-feeds/countries/with_category/Italy.opml"
        ).read_bytes()
    )
    assert "https://www.ilmattino.it/?sez=XML&args&p=search&args[box]=Home&limit=20&layout=rss" in {
        f.url for f in bare_ampersand
    }


def test_lists_with_and_without_title_attributes_agree() -> None:
    with_titles = read_opml((OPML_CORPUS / "netnewswire/Subs.opml").read_bytes())
    text_only = read_opml((OPML_CORPUS / "netnewswire/SubsNoTitleAttributes.opml").read_bytes())
    assert len(with_titles) > 150
    assert [(f.url, f.title) for f in with_titles] == [(f.url, f.title) for f in text_only]


# --- encodings and hostile input -------------------------------------------------------------


def opml(outlines: str, declaration: str = '<?xml version="1.0"?>') -> str:
    return f'{declaration}<opml version="2.0"><head/><body>{outlines}</body></opml>'


def test_declared_legacy_encodings_are_decoded() -> None:
    cyrillic = opml(
        '<outline text="Новости Душанбе" xmlUrl="http://x.example/a"/>',
        '<?xml version="1.0" encoding="windows-1251"?>',
    )
    assert read_opml(cyrillic.encode("cp1251"))[0].title == "Новости Душанбе"
    utf16 = opml(
        '<outline text="Рогун" xmlUrl="http://x.example/a"/>',
        '<?xml version="1.0" encoding="UTF-16"?>',
    )
    assert read_opml(utf16.encode("utf-16"))[0].title == "Рогун"


def test_undeclared_latin1_bytes_are_read_as_windows_1252() -> None:
    latin1 = opml('<outline text="Café Europe" xmlUrl="http://x.example/a"/>').encode("latin-1")
    assert read_opml(latin1)[0].title == "Café Europe"
    # one stray byte must not garble the valid UTF-8 around it
    mixed = opml(
        '<outline text="Новости" xmlUrl="http://x.example/a"/><outline text="Café" xmlUrl="http://x.example/b"/>'
    )
    data = mixed.encode("utf-8").replace("Café".encode(), "Café".encode("latin-1"))
    assert [f.title for f in read_opml(data)] == ["Новости", "Café"]


def test_entity_expansion_bomb_is_not_expanded() -> None:
    levels = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {n} "{("&" + p + ";") * 10}">' for p, n in zip("abcdefg", "bcdefgh", strict=True)
    )
    bomb = f'<?xml version="1.0"?><!DOCTYPE opml [{levels}]>' + opml(
        '<outline text="&h;" xmlUrl="http://x.example/a"/>', ""
    )
    (feed,) = read_opml(bomb.encode())
    assert len(feed.title or "") < 100  # 10^8 characters had it been expanded


# --- YAML entries, --write, export/import round trip -----------------------------------------


def write_config(path: Path, feeds_yaml: str) -> Path:
    path.write_text(
        "# my monitor: keep this comment\n"
        f"database: {path.parent / 'data' / 'monitor.db'}\n"
        "feeds:\n"
        f"{feeds_yaml}"
        "  # a comment inside the feeds list\n"
        "\n"
        "# rules follow\n"
        "rules: []\n",
        encoding="utf-8",
    )
    return path


def test_printed_entries_load_as_the_same_feeds(tmp_path: Path) -> None:
    outlines = read_opml(
        (
            OPML_CORPUS / "plenaryapp-awesome-rss-feeds/countries/with_category/Russia.opml"
        ).read_bytes()
    )
    config = load_config(write_config(tmp_path / "monitor.yaml", feed_entries_yaml(outlines)))
    assert [(f.url, f.name, f.tags) for f in config.feeds] == [
        (o.url, o.title, o.categories) for o in outlines
    ]


def test_write_adds_only_new_feeds_and_keeps_comments(tmp_path: Path) -> None:
    path = write_config(
        tmp_path / "monitor.yaml", "  - url: https://lenta.ru/rss\n    name: Lenta (mine)\n"
    )
    outlines = read_opml(
        (
            OPML_CORPUS / "plenaryapp-awesome-rss-feeds/countries/with_category/Russia.opml"
        ).read_bytes()
    )
    added = add_feeds_to_config(path, outlines)
    assert added == len(outlines) - 1
    text = path.read_text(encoding="utf-8")
    for comment in (
        "# my monitor: keep this comment",
        "# a comment inside the feeds list",
        "# rules follow",
    ):
        assert comment in text
    feeds = load_config(path).feeds
    assert feeds[0].name == "Lenta (mine)"  # the operator's entry is untouched
    assert {f.url for f in feeds} == {o.url for o in outlines}
    assert add_feeds_to_config(path, outlines) == 0  # idempotent


def test_cli_export_then_import_gives_the_same_feeds(tmp_path: Path) -> None:
    source = write_config(
        tmp_path / "source.yaml",
        "  - url: https://eurasianet.org/rss\n    name: Eurasianet\n    tags: [central-asia]\n"
        "  - url: https://www.nato.int/rss.xml?a=1&b=2\n    name: NATO & partners\n"
        "    tags: [security, world]\n"
        "  - url: https://rus.ozodi.org/api/zrqiteuuir\n    name: Радио Озоди\n",
    )
    runner = CliRunner()
    exported = runner.invoke(main, ["feeds", "export", "--config", str(source)])
    assert exported.exit_code == 0, exported.output
    opml_file = tmp_path / "feeds.opml"
    opml_file.write_bytes(exported.stdout_bytes)

    target = write_config(tmp_path / "target.yaml", "")
    imported = runner.invoke(
        main, ["feeds", "import", str(opml_file), "--write", "--config", str(target)]
    )
    assert imported.exit_code == 0, imported.output
    assert "added 3 feeds" in imported.output

    def feeds(path: Path) -> list[tuple[str, str, tuple[str, ...]]]:
        return [(f.url, f.name, f.tags) for f in load_config(path).feeds]

    assert feeds(target) == feeds(source)


def test_cli_import_prints_entries_without_touching_the_config(tmp_path: Path) -> None:
    config = write_config(tmp_path / "monitor.yaml", "")
    before = config.read_text()
    result = CliRunner().invoke(
        main,
        [
            "feeds",
            "import",
            str(OPML_CORPUS / "netnewswire-defaults/DefaultFeeds.opml"),
            "--config",
            str(config),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("- url: ") == 10
    assert "  - url: https://jvns.ca/atom.xml\n    name: Julia Evans\n" in result.output
    assert config.read_text() == before


def test_cli_import_of_a_file_that_is_not_opml_fails_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["feeds", "import", str(OPML_CORPUS / "newsboat-tests/opml-element-missing.opml")]
    )
    assert result.exit_code == 1
    assert "not an OPML file" in result.output


def test_config_opml_entry_brings_in_feeds_with_folder_and_entry_tags(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    russia = OPML_CORPUS / "plenaryapp-awesome-rss-feeds/countries/with_category/Russia.opml"
    path.write_text(
        f"database: {tmp_path / 'm.db'}\nfeeds:\n  - opml: {russia}\n    tags: [imported]\n"
    )
    feeds = load_config(path).feeds
    assert len(feeds) == len(read_opml(russia.read_bytes()))
    assert all(f.tags == ("imported", "Russia") for f in feeds)


def test_write_opml_escapes_and_reads_back() -> None:
    data = write_opml([("https://x.example/?a=1&b=2", 'Q "quoted" <tag>', ("a", "b"))])
    assert read_opml(data) == [
        Outline(url="https://x.example/?a=1&b=2", title='Q "quoted" <tag>', categories=("a", "b"))
    ]


def test_write_changes_no_byte_of_what_was_there(tmp_path: Path) -> None:
    path = write_config(
        tmp_path / "monitor.yaml",
        '  - url: https://lenta.ru/rss\n    headers: {Authorization: "Bearer ${LENTA_TOKEN}",\n'
        "              X-Desk: central-asia}   # a flow mapping over two lines\n",
    )
    before = path.read_text(encoding="utf-8")
    outlines = read_opml(
        (
            OPML_CORPUS / "plenaryapp-awesome-rss-feeds/countries/with_category/Russia.opml"
        ).read_bytes()
    )
    add_feeds_to_config(path, outlines)
    after = path.read_text(encoding="utf-8")
    head, tail = before.split("  # a comment inside the feeds list\n")
    assert after.startswith(head) and after.endswith("  # a comment inside the feeds list\n" + tail)
    assert "${LENTA_TOKEN}" in after
