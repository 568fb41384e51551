"""Project tasks: ids in, the service does the work."""

from __future__ import annotations

from celery import shared_task

from projects import chat


@shared_task(time_limit=300, soft_time_limit=290)
def chat_answer(message_id: int) -> None:
    chat.chat_answer(message_id)
