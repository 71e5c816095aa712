"""Telegram's HTML parse mode as the Bot API server parses it, for the fake server.

The Bot API server hands `parse_mode=HTML` texts to TDLib, which turns them into plain text
and entities (offsets and lengths in UTF-16 code units) or refuses the whole message with
"can't parse entities: ...". This module does the same, with TDLib's rules and messages:
- only `<` starts markup; `>` outside a tag is a plain character;
- `&lt;` `&gt;` `&amp;` `&quot;` and numeric references decode (the `;` may be left out);
  any other `&...` stays as written;
- the tags `a b strong i em u ins s strike del span(class="tg-spoiler") tg-spoiler tg-emoji
  code pre blockquote`, attribute values quoted or bare, end tags matching (`</>` closes any);
- an entity is made only for a tag that encloses text.

`to_html` writes text and entities back as markup, the way PTB's `Message.text_html` does,
so tests can read what the bot sent in the form it was written.
"""

from __future__ import annotations

import html
from typing import Any

JSON = dict[str, Any]

_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "a": "text_link",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\f\v"


class EntityError(ValueError):
    """The markup cannot be parsed; the text is TDLib's reason."""


def utf16_length(text: str) -> int:
    """The length Telegram counts: UTF-16 code units (a character outside the BMP is 2)."""
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """The character an HTML entity at `pos` stands for and where it ends, or None when
    TDLib keeps the `&` as written."""
    end = pos + 1
    n = len(text)
    if end < n and text[end] == "#":
        end += 1
        base = 10
        if end < n and text[end] in "xX":
            base, end = 16, end + 1
        digits = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
        start, code = end, 0
        while end < n and text[end] in digits:
            code = code * base + int(text[end], base)
            end += 1
            if code > 0x10FFFF:
                return None
        if end == start or code == 0:
            return None
        if 0xD800 <= code <= 0xDFFF:
            raise EntityError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        char = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < n and text[end] == ";":
        end += 1
    return char, end


def _bare(char: str) -> bool:
    """A character of an unquoted attribute value."""
    return (char.isascii() and char.isalnum()) or char in ".-"


def _decoded(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        decoded = _decode_entity(value, i) if value[i] == "&" else None
        if decoded is None:
            out.append(value[i])
            i += 1
        else:
            out.append(decoded[0])
            i = decoded[1]
    return "".join(out)


def parse_html(markup: str) -> tuple[str, list[JSON]]:
    """Plain text and entities, as TDLib parses HTML; EntityError as TDLib refuses it."""
    out: list[str] = []
    units = 0  # UTF-16 length of `out`
    stack: list[tuple[str, JSON, int]] = []  # tag, attributes, offset where it began
    entities: list[JSON] = []
    i, n = 0, len(markup)

    def offset(at: int) -> int:
        return len(markup[:at].encode())

    def add(chars: str) -> None:
        nonlocal units
        out.append(chars)
        units += utf16_length(chars)

    def skip_spaces(at: int) -> int:
        while at < n and markup[at] in _SPACES:
            at += 1
        return at

    while i < n:
        char = markup[i]
        if char == "&":
            decoded = _decode_entity(markup, i)
            if decoded is None:
                add("&")
                i += 1
            else:
                add(decoded[0])
                i = decoded[1]
            continue
        if char != "<":
            add(char)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and markup[i] == "/":  # an end tag
            if not stack:
                raise EntityError(f"Unexpected end tag at byte offset {offset(begin)}")
            i += 1
            start = i
            while i < n and markup[i] not in _SPACES and markup[i] != ">":
                i += 1
            name = markup[start:i].lower()
            i = skip_spaces(i)
            if i >= n or markup[i] != ">":
                raise EntityError(f"Unclosed end tag at byte offset {offset(begin)}")
            i += 1
            tag, opened_with, began = stack.pop()
            if name and name != tag:
                raise EntityError(
                    f"Unmatched end tag at byte offset {offset(begin)}, "
                    f'expected "</{tag}>", found "</{name}>"'
                )
            if units > began:
                entities.append(_entity(tag, opened_with, began, units - began, "".join(out)))
            continue
        start = i
        while i < n and markup[i] not in _SPACES and markup[i] != ">":
            i += 1
        if i >= n:
            raise EntityError(f"Unclosed start tag at byte offset {offset(begin)}")
        tag = markup[start:i].lower()
        if tag not in _TAGS:
            raise EntityError(f'Unsupported start tag "{tag}" at byte offset {offset(begin)}')
        attributes: JSON = {}
        while True:
            i = skip_spaces(i)
            if i >= n:
                raise EntityError(f'Unclosed start tag "{tag}" at byte offset {offset(begin)}')
            if markup[i] == ">":
                i += 1
                break
            start = i
            while i < n and markup[i] not in _SPACES and markup[i] not in "=>":
                i += 1
            attribute = markup[start:i].lower()
            if not attribute:
                raise EntityError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {offset(begin)}'
                )
            i = skip_spaces(i)
            if i >= n:
                raise EntityError(f'Unclosed start tag "{tag}" at byte offset {offset(begin)}')
            if markup[i] != "=":
                attributes[attribute] = ""
                continue
            i = skip_spaces(i + 1)
            if i >= n:
                raise EntityError(f'Unclosed start tag "{tag}" at byte offset {offset(begin)}')
            if markup[i] in "\"'":
                quote = markup[i]
                close = markup.find(quote, i + 1)
                if close < 0:
                    raise EntityError(f"Unclosed start tag at byte offset {offset(begin)}")
                attributes[attribute] = _decoded(markup[i + 1 : close])
                i = close + 1
            else:
                start = i
                while i < n and _bare(markup[i]):
                    i += 1
                if i >= n or (markup[i] not in _SPACES and markup[i] != ">"):
                    raise EntityError(
                        f"Unexpected end of name token at byte offset {offset(start)}"
                    )
                attributes[attribute] = markup[start:i]
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset(begin)}'
            )
        if tag == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
            raise EntityError(f"Custom emoji identifier expected at byte offset {offset(begin)}")
        stack.append((tag, attributes, units))
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    # TDLib lists entities by offset, the longer first where two begin together.
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _entity(tag: str, attributes: JSON, offset: int, length: int, text: str) -> JSON:
    entity: JSON = {"type": _TYPES[tag], "offset": offset, "length": length}
    if tag == "a":
        entity["url"] = attributes.get("href") or text[-length:]
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attributes["emoji-id"]
    elif tag == "blockquote" and "expandable" in attributes:
        entity["type"] = "expandable_blockquote"
    elif tag in ("code", "pre") and attributes.get("class", "").startswith("language-"):
        entity["language"] = attributes["class"].removeprefix("language-")
    return entity


_OPEN = {
    "bold": "<b>",
    "italic": "<i>",
    "underline": "<u>",
    "strikethrough": "<s>",
    "spoiler": "<tg-spoiler>",
    "code": "<code>",
    "pre": "<pre>",
    "blockquote": "<blockquote>",
    "expandable_blockquote": "<blockquote expandable>",
}


def _tags(entity: JSON) -> tuple[str, str]:
    kind = entity["type"]
    if kind == "text_link":
        return f'<a href="{html.escape(entity["url"])}">', "</a>"
    if kind == "custom_emoji":
        return f'<tg-emoji emoji-id="{entity["custom_emoji_id"]}">', "</tg-emoji>"
    opening = _OPEN.get(kind)
    if opening is None:
        return "", ""
    name = opening[1:].split(">")[0].split(" ")[0]
    return opening, f"</{name}>"


def to_html(text: str, entities: list[JSON] | None) -> str:
    """The text with its entities written as HTML (characters escaped as Telegram needs)."""
    if not entities:
        return html.escape(text, quote=False)
    opens: dict[int, list[JSON]] = {}
    closes: dict[int, list[JSON]] = {}
    for entity in entities:
        opens.setdefault(entity["offset"], []).append(entity)
        closes.setdefault(entity["offset"] + entity["length"], []).append(entity)
    out: list[str] = []
    units = 0
    open_now: list[JSON] = []

    def at(position: int) -> None:
        for entity in reversed(list(open_now)):
            if entity in closes.get(position, []):
                out.append(_tags(entity)[1])
                open_now.remove(entity)
        for entity in sorted(opens.get(position, []), key=lambda e: -e["length"]):
            out.append(_tags(entity)[0])
            open_now.append(entity)

    for char in text:
        at(units)
        out.append(html.escape(char, quote=False))
        units += utf16_length(char)
    at(units)
    return "".join(out)
