"""The prompt generator writing a motion prompt: the vision model looks at the image and describes
how it should move over the clip (PRODUCT.md §5).

Adult wording is asked for only when the request is adult and the character allows it (the NSFW
routing: such a clip's motion is always written by the model), and what comes back is screened for
minors like a typed prompt. The answer is a JSON array of one string, read by the same parser as the
Studio's prompts.
"""

from __future__ import annotations

from generation import prompt_writer
from providers.adapters.xai import vision_message

MAX_MOTION = 1000
DEFAULT_DIRECTION = "natural, subtle motion; a slow cinematic camera move"

SYSTEM = (
    "You write motion prompts for an image-to-video model that animates one still photo of an adult "
    "character. Never describe children, teenagers or anyone under 18, and never name real people. "
    "Describe what moves and how (the person, their hair and clothes, the scene) and what the camera "
    "does, in one paragraph of at most 60 words, present tense. Keep the person, outfit and place the "
    "photo shows. Answer with a JSON array of strings and nothing else."
)
SFW_LINE = prompt_writer.SFW_LINE
NSFW_LINE = (
    "Adult (NSFW) content is allowed for this adult character: the motion may be sensual and the clip "
    "may show adult nudity, tastefully."
)


def motion_request(*, image_marker: dict, seconds: int, direction: str, nsfw: bool) -> dict:
    """The vision request for one motion prompt for the image at ``image_marker``."""
    text = "\n".join(
        [
            "Write 1 motion prompt for this photo.",
            f"Base prompt: {direction or DEFAULT_DIRECTION}",
            f"The clip lasts {seconds} seconds: describe one continuous movement that fits it.",
            NSFW_LINE if nsfw else SFW_LINE,
            "Answer with a JSON array of 1 string.",
        ]
    )
    return {
        "messages": [{"role": "system", "content": SYSTEM}, vision_message(text, image_marker)],  # type: ignore[arg-type]
        "temperature": 0.7,
        "max_tokens": 200,
    }


def parse_motion(text: str) -> str:
    """The motion prompt in the model's answer. Raises ``ProviderError`` when there is none."""
    return prompt_writer.parse_prompts(text, expected=1)[0][:MAX_MOTION]
