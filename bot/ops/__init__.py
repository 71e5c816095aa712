"""The operator's tools, run from the command line or scraped: `admin_cli`, `backup`,
`doctor`, `metrics`. The bot's runtime uses only `metrics` (the /metrics endpoint)."""
