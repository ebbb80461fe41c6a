"""An outlet's furniture: lines repeated at the ends of its items are found and left out."""

from __future__ import annotations

from monitor.stories.boilerplate import repeated_lines, without_lines

FOOTER = "Sign up for our newsletter. © 2026 Steppe Daily. All rights reserved."


def test_a_footer_and_a_header_on_several_items_are_furniture() -> None:
    items = [
        f"By the Steppe Daily desk\nStory {n} happened today in the capital.\n{FOOTER}"
        for n in range(3)
    ]
    found = repeated_lines(items)
    assert found == {"by the steppe daily desk", FOOTER.casefold()}
    assert without_lines(items[1], found) == "Story 1 happened today in the capital."


def test_a_line_of_one_item_only_is_its_own() -> None:
    assert repeated_lines(["One story.\nIts end.", "Another story.\nIts own end."]) == frozenset()


def test_a_line_deep_inside_a_long_article_is_not_looked_at() -> None:
    body = [f"Paragraph {n} of the article." for n in range(10)]
    items = [
        "\n".join(body[:5] + ["A quote both share."] + body[5:]) + f"\nEnd {n}" for n in range(2)
    ]
    assert "a quote both share." not in repeated_lines(items)
