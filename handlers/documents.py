"""Documents people send are looked at before anything takes them: a report's files and the
answers and follow-ups of the liaison. A name, a declared type and the first bytes must agree
on an allowed kind (`bot.domain.files`), so `x.exe.pdf` declared as a program is refused."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.domain.files import HEAD_BYTES, document_allowed
from bot.domain.reports import InputProblem
from bot.renderers.reports import render_problem
from handlers.base import Reply, Request, deliver, in_transaction

log = logging.getLogger(__name__)
MAX_DOWNLOAD = 20 * 1024 * 1024  # the largest file the Bot API lets a bot download


async def _problem(context: BotContext, message: Message) -> InputProblem | None:
    """Why this message's document may not be taken (None: it may, or there is none). The
    file is read before the update's transaction, so no download holds the database."""
    document = message.document
    if document is None:
        return None
    if document.file_size is not None and document.file_size > MAX_DOWNLOAD:
        return InputProblem("file_too_big", MAX_DOWNLOAD // (1024 * 1024))
    try:
        file = await context.bot.get_file(document.file_id)
        head = bytes(await file.download_as_bytearray())[:HEAD_BYTES]
    except TelegramError as exc:
        log.warning("could not read a document to check it: %s", exc)
        return InputProblem("file_type")
    if not document_allowed(document.file_name, document.mime_type, head):
        return InputProblem("file_type")
    return None


async def refused(update: Update, context: BotContext) -> bool:
    """True when the message carries a document that may not be taken: the sender has been
    told so, in their language, and nothing else handles the message."""
    message = update.effective_message
    problem = await _problem(context, message) if message is not None else None
    if problem is None:
        return False

    async def run(request: Request) -> Reply:
        return Reply(text=render_problem(problem, request.t))

    await deliver(update, context, await in_transaction(update, context, [], run))
    return True
