"""The fake Bot API server's forum topics behave as Telegram's, checked through a real PTB
`Bot` over HTTP: topics are threads named by their creation message, a send goes to the
topic it names or that of the message it replies to (else General), and a thread that is not
a topic answers 400."""

from __future__ import annotations

import pytest
from telegram import Bot, Message, ReplyParameters, Update
from telegram.error import BadRequest

from bot.fake_telegram import FakeTelegram, SentMessage


async def _updates(api: Bot) -> list[Message]:
    """The messages the bot has been sent so far, as PTB reads them."""
    updates: list[Update] = list(await api.get_updates())
    if updates:
        await api.get_updates(offset=updates[-1].update_id + 1)
    return [u.message for u in updates if u.message is not None]


async def test_people_post_in_topics_as_telegram_delivers_them(tg: FakeTelegram, api: Bot) -> None:
    ann = tg.user(20, "Ann")
    group = tg.group(-100777, "Forum")
    group.add_bot(by=ann)
    group.turn_on_topics()
    visas = group.create_topic("Visas", by=ann)
    ann.send("/ask nbu When?", chat=visas)
    hello = ann.send("hello all", chat=group)
    ann.send("and again", chat=group, reply_to=SentMessage(group.id, hello["message_id"], hello))

    created, asked, general, chain = await _updates(api)
    assert created.forum_topic_created is not None and created.forum_topic_created.name == "Visas"
    assert created.message_thread_id == created.message_id == visas.thread_id
    assert created.chat.is_forum
    assert asked.is_topic_message and asked.message_thread_id == visas.thread_id
    assert asked.reply_to_message is not None  # Telegram's way: the topic's creation message
    assert asked.reply_to_message.message_id == visas.thread_id
    assert not general.is_topic_message and general.message_thread_id is None
    # A reply in General carries its reply chain as message_thread_id, but it is no topic.
    assert chain.message_thread_id == hello["message_id"] and not chain.is_topic_message


async def test_sends_go_to_the_topic_named_or_replied_to_else_general(
    tg: FakeTelegram, api: Bot
) -> None:
    ann = tg.user(21, "Ann")
    group = tg.group(-100778, "Forum")
    group.add_bot(by=ann)
    group.turn_on_topics()
    visas = group.create_topic("Visas", by=ann)
    question = ann.send("a question", chat=visas)

    in_topic = await api.send_message(group.id, "to the topic", message_thread_id=visas.thread_id)
    assert in_topic.is_topic_message and in_topic.message_thread_id == visas.thread_id
    replied = await api.send_message(
        group.id, "a reply", reply_parameters=ReplyParameters(question["message_id"])
    )
    assert replied.is_topic_message and replied.message_thread_id == visas.thread_id
    general = await api.send_message(group.id, "to General")
    assert (
        not general.is_topic_message and tg.message(group.id, general.message_id).thread_id is None
    )

    topic = await api.create_forum_topic(group.id, "Reports")
    assert topic.message_thread_id not in (None, visas.thread_id)
    poll = await api.send_poll(
        group.id, "How is it going?", ["well", "badly"], message_thread_id=topic.message_thread_id
    )
    assert poll.message_thread_id == topic.message_thread_id and poll.is_topic_message


async def test_a_thread_that_is_not_a_topic_is_refused(tg: FakeTelegram, api: Bot) -> None:
    ann = tg.user(22, "Ann")
    group = tg.group(-100779, "Forum")
    group.add_bot(by=ann)
    plain = tg.group(-100780, "No topics")
    plain.add_bot(by=ann)
    with pytest.raises(BadRequest, match=r"(?i)not a forum"):
        await api.create_forum_topic(plain.id, "Visas")
    group.turn_on_topics()
    visas = group.create_topic("Visas", by=ann)
    first = ann.send("first", chat=group)
    chain = ann.send(
        "a reply", chat=group, reply_to=SentMessage(group.id, first["message_id"], first)
    )
    for thread in (chain["message_thread_id"], 999):
        with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
            await api.send_message(group.id, "lost", message_thread_id=thread)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await api.send_message(plain.id, "lost", message_thread_id=visas.thread_id)

    question = ann.send("a question", chat=visas)
    ann.delete(question)
    with pytest.raises(BadRequest, match=r"(?i)replied not found"):  # not in a topic
        await api.send_message(
            group.id,
            "an answer",
            message_thread_id=visas.thread_id,
            reply_parameters=ReplyParameters(
                question["message_id"], allow_sending_without_reply=True
            ),
        )
    visas.delete()
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await api.send_message(group.id, "lost", message_thread_id=visas.thread_id)
    assert tg.errors[-1] == ("sendMessage", 400, "Bad Request: message thread not found")
