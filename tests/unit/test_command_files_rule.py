"""The tracer's rule for shared files (`benchmarks.command_files.split`): a file is taken out
of a command's count only by a stated rule (runtime, a layer's package, every traced command
passes it, the outbox probe passes it); a file two commands of three pass still counts for
both."""

from __future__ import annotations

from benchmarks.command_files import PROBE, split


def test_only_the_stated_rules_make_a_file_shared() -> None:
    found = {
        "/a": ["bot/app.py", "handlers/base.py", "handlers/a.py", "db/repositories/x.py"],
        "/b": ["handlers/base.py", "handlers/b.py", "db/repositories/x.py", "bot/outbox/w.py"],
        "/c": ["handlers/base.py", "bot/renderers/__init__.py", "handlers/c.py"],
        PROBE: ["bot/outbox/w.py", "handlers/base.py"],
    }
    shared, own = split(found)
    assert shared == {
        "bot/app.py": "runtime",
        "bot/renderers/__init__.py": "package",
        "handlers/base.py": "every command",
        "bot/outbox/w.py": "outbox",
    }
    assert own == {
        "/a": ["handlers/a.py", "db/repositories/x.py"],
        "/b": ["handlers/b.py", "db/repositories/x.py"],
        "/c": ["handlers/c.py"],
    }
