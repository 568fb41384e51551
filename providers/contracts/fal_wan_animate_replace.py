"""fal-ai/wan/v2.2-14b/animate/replace (Wan 2.2 Animate): the person in ``image_url`` replaces the
one in ``video_url``, in that video's scene, light and colour. Same fields as ``move``."""

from providers.contracts import Contract
from providers.contracts.fal_wan_animate_move import Input, sample_output

CONTRACT = Contract("fal", "fal-ai/wan/v2.2-14b/animate/replace", Input, sample_output)
