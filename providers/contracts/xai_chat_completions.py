"""xAI chat completions (OpenAI-compatible): text and image messages, for the model in ``XAI_MODEL``;
answered whole, or streamed as server-sent events with ``stream`` (``providers.streaming``)."""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Literal

from django.conf import settings
from pydantic import Field, field_validator

from providers.contracts import Contract, OutputFiles
from providers.contracts.shapes import Strict


class ImageUrl(Strict):
    url: str
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(Strict):
    type: Literal["image_url"]
    image_url: ImageUrl


class TextPart(Strict):
    type: Literal["text"]
    text: str


class Message(Strict):
    role: Literal["system", "user", "assistant"]
    content: str | list[Annotated[TextPart | ImagePart, Field(discriminator="type")]]


class ResponseFormat(Strict):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: dict | None = None


class StreamOptions(Strict):
    include_usage: bool | None = None


class Input(Strict):
    model: str
    messages: Annotated[list[Message], Field(min_length=1)]
    response_format: ResponseFormat | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    max_tokens: Annotated[int, Field(gt=0)] | None = None
    # Server-sent events, one ``chat.completion.chunk`` per delta, then ``data: [DONE]`` (projects' chat).
    stream: bool | None = None
    stream_options: StreamOptions | None = None

    @field_validator("model")
    @classmethod
    def _configured_model(cls, model: str) -> str:
        if model != settings.XAI_MODEL:
            raise ValueError(f"the model is {settings.XAI_MODEL!r} (XAI_MODEL), not {model!r}")
        return model


def sample_output(arguments: dict, files: OutputFiles, text: str = "A sample answer.") -> dict:
    return {
        "id": str(uuid.uuid4()),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": arguments.get("model", ""),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text, "refusal": None}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
    }


CONTRACT = Contract("xai", "chat/completions", Input, sample_output)
