"""The outbox: messages that must arrive, written as rows in the caller's transaction and
sent after commit, in order, whatever Telegram answers.

`writer` writes the rows in each recipient's language; one module per feature says what its
messages are (`liaison`, `checkin`, `reports`, `topics`, `achievements`, `digest`); `sender`
delivers them."""
