"""Which documents people may send: the kinds a report or an answer may carry, each known by
its name's extension, the type the sender's app declared, and its first bytes (no I/O).

A name is whatever the sender typed (`x.exe.pdf`), and a declared type is whatever their app
said; the first bytes are what the file is. All three must agree on an allowed kind."""

from __future__ import annotations

from dataclasses import dataclass

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word, Excel and PowerPoint before 2007
_ZIP = b"PK\x03\x04"  # Office Open XML and OpenDocument are ZIP archives
_ZIPPED = frozenset({"application/zip", "application/x-zip-compressed"})
# What an app declares when it does not know the type: the first bytes decide then.
UNKNOWN_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


@dataclass(frozen=True)
class Kind:
    types: frozenset[str]  # the declared MIME types that fit
    magic: tuple[bytes, ...]  # the file starts with one of these (none: plain text)


def _kind(*types: str, magic: tuple[bytes, ...] = ()) -> Kind:
    return Kind(frozenset(types), magic)


_OOXML = "application/vnd.openxmlformats-officedocument."
KINDS: dict[str, Kind] = {
    "pdf": _kind("application/pdf", magic=(b"%PDF-",)),
    "doc": _kind("application/msword", magic=(_OLE,)),
    "xls": _kind("application/vnd.ms-excel", magic=(_OLE,)),
    "ppt": _kind("application/vnd.ms-powerpoint", magic=(_OLE,)),
    "docx": _kind(_OOXML + "wordprocessingml.document", *_ZIPPED, magic=(_ZIP,)),
    "xlsx": _kind(_OOXML + "spreadsheetml.sheet", *_ZIPPED, magic=(_ZIP,)),
    "pptx": _kind(_OOXML + "presentationml.presentation", *_ZIPPED, magic=(_ZIP,)),
    "odt": _kind("application/vnd.oasis.opendocument.text", *_ZIPPED, magic=(_ZIP,)),
    "ods": _kind("application/vnd.oasis.opendocument.spreadsheet", *_ZIPPED, magic=(_ZIP,)),
    "txt": _kind("text/plain"),
    "jpg": _kind("image/jpeg", "image/pjpeg", magic=(b"\xff\xd8\xff",)),
    "jpeg": _kind("image/jpeg", "image/pjpeg", magic=(b"\xff\xd8\xff",)),
    "png": _kind("image/png", magic=(b"\x89PNG\r\n\x1a\n",)),
}
HEAD_BYTES = 4096  # as much of the file as the checks read


def _is_text(head: bytes) -> bool:
    """Plain text: UTF-8 (a character cut at the end of the head aside), or UTF-16 with its
    byte order mark; no NUL bytes in UTF-8, as no executable or archive lacks them."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # only a character cut at the end
    return True


def document_allowed(name: str | None, declared: str | None, head: bytes) -> bool:
    """Whether a document may be taken: its extension an allowed kind, its declared type
    that kind's (or none), and its first bytes that kind's."""
    extension = name.rsplit(".", 1)[-1].lower() if name and "." in name else ""
    kind = KINDS.get(extension)
    if kind is None:
        return False
    mime = (declared or "").split(";", 1)[0].strip().lower()
    if mime not in UNKNOWN_TYPES and mime not in kind.types:
        return False
    if not kind.magic:
        return _is_text(head[:HEAD_BYTES])
    return head.startswith(kind.magic)
