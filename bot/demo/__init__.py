"""`python -m bot demo`: one month of a consortium's life, played by the real bot against the
project's own fake Telegram, printed as a chat transcript.

No token, no network, no configuration: the fake Bot API server listens on 127.0.0.1, the
database is a SQLite file in the output folder, and a clock the demo moves on plays four weeks
in well under a minute. What the people do is scripted; everything the bot says is the bot's
own, in English or (`--lang zh`) Chinese. Charts and export files land in the folder.

The package: `cast.py` (the consortium and its month), `script.py` (what people do, step by
step), `transcript.py` (the chat log), `runner.py` (the bot, the fake Telegram and the clock
around the script) and `playground.py` (`--serve`: the page to talk to the bot afterwards).
"""

from bot.demo.runner import main

__all__ = ["main"]
