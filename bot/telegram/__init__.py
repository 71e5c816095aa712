"""The Bot API edge: how the bot talks to Telegram (`request`, `ratelimit`), how updates come
in (`updates`), and what the bot puts on Telegram's screens (`callbacks`, `menus`)."""
