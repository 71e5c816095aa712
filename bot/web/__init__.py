"""The Mini App: a page opened inside Telegram, and the JSON API it reads, served by the bot.

`server.py` builds the aiohttp application (security headers, the per-person limit of
`limit.py`, the page under `/app/`); `auth.py` checks Telegram's signed launch data; `api/`
holds one module per view, each handing requests to the services in one transaction, as
`handlers/` does for updates; `static/` is the page itself (HTML, ES modules, CSS; no build
step).
"""
