"""Libraries only the analytics commands need, loaded when first used rather than when the
bot starts: pandas and numpy through `load`; openpyxl and XlsxWriter, first used in worker
threads, by imports inside the functions that use them.

Together they take about 0.8 s to import, a quarter of the bot's start-up, and a restarted
bot should be polling again as soon as it can; the first /progress, /cohort or /export after
a start pays the import once. `load` is the standard library's lazy-import recipe
(`importlib.util.LazyLoader`): the module object exists at once and its code runs at the
first attribute read. Modules use it as

    if TYPE_CHECKING:
        import pandas as pd
    else:
        pd = lazy.load("pandas")

so that type checkers see the real module. Python 3.11's lazy modules are not safe to load
from two threads at once: a module first used in a worker thread (a file built with
`asyncio.to_thread`) imports its library in the function instead. pandas and numpy are first
used on the event loop's thread, where the analytics services build their frames before any
chart or file is made in a worker.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def load(name: str) -> ModuleType:
    """The module `name`: the loaded one if it is loaded, else one that loads on first use."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
