"""Telegram's length of an HTML text, and cutting a long one into messages that each fit:
counted as Telegram counts (after parsing, in UTF-16 code units), cut where a reader would,
never inside a tag or an entity; generated texts check the promises over many shapes."""

from __future__ import annotations

import random

import pytest

from bot.domain.telegram_text import (
    MAX_CAPTION,
    MAX_TEXT,
    alert_text,
    fit_message,
    fits,
    plain_text,
    split_html,
    telegram_length,
    utf16_length,
)
from bot.fake_telegram.entities import EntityError, parse_html


def _check_html(text: str) -> str:
    """The text as Telegram shows it, parsed as the Bot API server parses it."""
    return parse_html(text)[0]


def test_length_is_counted_after_parsing_in_utf16_units() -> None:
    assert telegram_length("<b>bold</b> &amp; <i>it</i>") == len("bold & it")
    assert telegram_length("&lt;&gt;&quot;&#65;&#x42;") == 5
    assert telegram_length("😀") == 2 and telegram_length("&#128512;") == 2
    assert telegram_length("中文") == 2 and telegram_length("é") == 1
    assert telegram_length('<a href="https://x.org/?a=1&amp;b=2">link</a>') == 4
    assert plain_text("<b>a &amp; b</b>\n<code>&lt;x&gt;</code>") == "a & b\n<x>"
    assert fits("a" * 4096) and not fits("a" * 4097)
    assert fits("😀" * 2048) and not fits("😀" * 2049)
    assert fits("&amp;" * 1024, MAX_CAPTION) and not fits("&amp;" * 1024, MAX_CAPTION, 4096)


def test_a_text_that_fits_is_left_alone() -> None:
    text = "<b>Head</b>\n\nshort &amp; sweet"
    assert split_html(text) == [text]
    assert fit_message(text) == (None, [text])
    assert fit_message(text, with_file=True) == (text, [])


def test_the_cut_prefers_a_paragraph_then_a_line_then_a_word() -> None:
    paragraph = "a" * 60 + "\n\n" + "b" * 30 + "\n" + "c" * 20 + " " + "d" * 30
    assert split_html(paragraph, 100)[0] == "a" * 60 + "\n\n"
    line = "a" * 60 + "\n" + "b" * 20 + " " + "c" * 30
    assert split_html(line, 100)[0] == "a" * 60 + "\n"
    word = "a" * 60 + " " + "b" * 50
    assert split_html(word, 100) == ["a" * 60 + " ", "b" * 50]
    # A boundary early in the piece gives way to a lesser one later: no tiny pieces.
    early = "Head\n\n" + " ".join(["word"] * 40)
    first = split_html(early, 100)[0]
    assert telegram_length(first) > 50 and first.startswith("Head\n\nword")
    assert split_html("x" * 250, 100) == ["x" * 100, "x" * 100, "x" * 50]


def test_tags_open_at_a_cut_are_closed_and_reopened() -> None:
    text = '<b>bold <a href="https://e.org/?q=1&amp;r=2">' + "link " * 30 + "</a> end</b>"
    pieces = split_html(text, 60)
    assert len(pieces) > 2
    assert pieces[0].startswith('<b>bold <a href="https://e.org/?q=1&amp;r=2">')
    assert pieces[0].endswith("</a></b>")
    assert pieces[1].startswith('<b><a href="https://e.org/?q=1&amp;r=2">')
    assert pieces[-1].endswith("</a> end</b>")
    for piece in pieces:
        _check_html(piece)
    assert "".join(plain_text(p) for p in pieces) == plain_text(text)


def test_never_inside_an_entity_or_an_emoji() -> None:
    text = "&amp;" * 10 + "😀" * 10
    pieces = split_html(text, 7)
    assert pieces[0] == "&amp;" * 7
    assert all(telegram_length(p) <= 7 for p in pieces)
    assert "".join(plain_text(p) for p in pieces) == "&" * 10 + "😀" * 10
    family = "👨\u200d👩\u200d👧"  # one emoji of joined code points
    pieces = split_html("x" + family * 3, 10)
    assert all(family in p or p == "x" for p in pieces) and len(pieces) > 1


def test_html_length_bound_for_a_column() -> None:
    text = "<b>" + "&lt;tag&gt; " * 800 + "</b>"  # 8,800 shown, 9,607 characters of HTML
    pieces = split_html(text, MAX_TEXT, max_chars=1000)
    assert all(len(p) <= 1000 and telegram_length(p) <= MAX_TEXT for p in pieces)
    assert all(p.startswith("<b>") and p.endswith("</b>") for p in pieces)
    assert "".join(plain_text(p) for p in pieces) == plain_text(text)


def test_a_caption_too_long_for_a_file_follows_it_as_messages() -> None:
    caption = "<b>Answer:</b>\n" + "x &lt; y " * 180  # 1,088 shown, over 1,024
    assert fit_message(caption, with_file=True) == (None, [caption])
    short = "<b>Answer:</b>\n" + "x &lt; y " * 160  # 968 shown, 1,455 characters of HTML
    assert fit_message(short, with_file=True) == (short, [])
    long = "para " * 2000
    caption_of, messages = fit_message(long, with_file=True)
    assert caption_of is None and len(messages) == 3
    assert "".join(messages) == long


def test_whitespace_only_pieces_are_left_out() -> None:
    text = "a" * 5 + " " * 30 + "b" * 5
    pieces = split_html(text, 10)
    assert all(p.strip() for p in pieces)
    assert "".join(pieces).replace(" ", "") == "a" * 5 + "b" * 5
    assert split_html(" " * 20, 10) == [" " * 20]  # never an empty list


WORDS = ["a", "word", "Übung", "中文字", "&amp;", "&lt;tag&gt;", "&quot;", "😀", "&#128512;"]
WORDS.append("x" * 40)  # a word longer than the smallest pieces
TAGS = ["b", "i", "u", "s", "code", "tg-spoiler", "blockquote"]


def _generated(rng: random.Random) -> str:
    """A text of words, spaces, line breaks and blank lines, in nested tags."""
    out: list[str] = []
    open_tags: list[str] = []
    for _ in range(rng.randint(1, 400)):
        roll = rng.random()
        if roll < 0.06 and len(open_tags) < 3:
            tag = rng.choice(TAGS)
            out.append(f"<{tag}>" if tag != "tg-spoiler" else '<span class="tg-spoiler">')
            open_tags.append(tag if tag != "tg-spoiler" else "span")
        elif roll < 0.11 and open_tags:
            out.append(f"</{open_tags.pop()}>")
        elif roll < 0.15:
            out.append(rng.choice(["\n", "\n\n"]))
        else:
            out.append(rng.choice(WORDS) + (" " if rng.random() < 0.8 else ""))
    out.extend(f"</{tag}>" for tag in reversed(open_tags))
    return "".join(out) + "end"


@pytest.mark.parametrize("seed", range(60))
def test_generated_texts_split_into_pieces_telegram_takes(seed: int) -> None:
    rng = random.Random(seed)
    text = _generated(rng)
    _check_html(text)  # the generator writes valid HTML
    limit = rng.choice([16, 50, 200, 1024])
    max_chars = rng.choice([None, limit * 4 + 200])  # room for the tags reopened
    pieces = split_html(text, limit, max_chars=max_chars)
    for piece in pieces:
        shown = _check_html(piece)  # parses: no tag or entity cut in half
        assert telegram_length(piece) == utf16_length(shown)  # counted as the server counts
        assert telegram_length(piece) <= limit and shown.strip()
        assert max_chars is None or len(piece) <= max_chars
    assert "".join(plain_text(p) for p in pieces) == plain_text(text)
    if len(pieces) > 1:  # cut on a boundary whenever the piece has one
        for piece in pieces[:-1]:
            if " " in plain_text(piece)[limit // 2 :]:
                assert plain_text(piece)[-1].isspace()


def test_a_malformed_text_is_still_cut_safely() -> None:
    text = "1 < 2 & 3 " * 50  # unescaped: Telegram refuses it whole, split or not
    pieces = split_html(text, 100)
    assert all(telegram_length(p) <= 100 for p in pieces)
    assert "".join(pieces) == text
    with pytest.raises(EntityError):
        _check_html(pieces[0])


def test_a_report_sized_text_fits_in_messages() -> None:
    body = ("<b>What I did</b>\n" + "Lessons &amp; labs. " * 150 + "\n") * 3
    pieces = split_html(body, MAX_TEXT, max_chars=MAX_TEXT)
    assert len(pieces) == 3
    assert all(p.endswith("\n") for p in pieces[:-1])  # each cut at a line's end


def test_a_button_answer_fits_in_200_utf16_units() -> None:
    assert alert_text("short") == "short"
    long = "名" * 150 + "🏟" * 60  # 270 units
    cut = alert_text(long)
    assert utf16_length(cut) <= 200 and cut.endswith("…") and cut.startswith("名" * 150)
    assert alert_text("🏟" * 100) == "🏟" * 100  # exactly 200
