"""The posts the blog launches with, written by the Personae team, as data for ``seed_site``.

Bodies use the block types of ``blog.blocks.BodyBlock`` in Wagtail's JSON form. Figures name an
artwork from ``blog.illustrations``; the command swaps in the image's id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Artwork:
    name: str  # a key of blog.illustrations.ARTWORK
    title: str
    alt: str


@dataclass(frozen=True)
class LaunchPost:
    slug: str
    title: str
    lead: str
    date: date
    tags: list[str]
    hero: Artwork
    body: list[dict] = field(default_factory=list)


def heading(text: str) -> dict:
    return {"type": "heading", "value": text}


def paragraph(html: str) -> dict:
    return {"type": "paragraph", "value": html}


def code(text: str, language: str = "text") -> dict:
    return {"type": "code", "value": {"language": language, "code": text}}


def callout(title: str, html: str) -> dict:
    return {"type": "callout", "value": {"title": title, "text": html}}


def figure(artwork: Artwork, caption: str) -> dict:
    return {"type": "figure", "value": {"artwork": artwork, "caption": caption}}


DATASET_TILES = Artwork(
    "dataset-tiles",
    "Illustration: a 30-photo training set sorted 12-9-6-3",
    "Thirty photo tiles in four groups — twelve close-ups, nine half-body, six full-body and three variety shots",
)
CONSISTENCY_ORBITS = Artwork(
    "consistency-orbits",
    "Illustration: many images orbiting one identity",
    "Hundreds of small points on orbits around one bright centre",
)
PHOTO_TO_CLIP = Artwork(
    "photo-to-clip",
    "Illustration: a still frame becoming a clip",
    "A row of portrait frames along a curved motion path, shifting from coral to violet",
)
PIPELINE_STEPS = Artwork(
    "pipeline-steps",
    "Illustration: base image, face swap, character sheet, face model, clip",
    "Five tiles on a line: a portrait, a second portrait, a sheet of four small portraits, a portrait and a portrait with a play button",
)

LAUNCH_POSTS = [
    LaunchPost(
        slug="how-many-photos-to-train-a-face-lora",
        title="How many photos to train a face LoRA, and which",
        lead=(
            "Twenty to thirty good photos beat a hundred random ones. Here is the 12-9-6-3 rule we use for "
            "every character, what each kind of shot teaches the model, and the checks a photo has to pass."
        ),
        date=date(2026, 10, 28),
        tags=["LoRA training", "Datasets", "Guides"],
        hero=DATASET_TILES,
        body=[
            heading("Why 20 to 30 photos"),
            paragraph(
                "<p>A face LoRA learns what stays the same across your photos — the shape of the face, the eyes, "
                "the hairline — and learns to ignore what changes. With too few photos it memorises the photos "
                "themselves: the same jacket, the same wall and the same head tilt turn up in everything you "
                "generate. Past about thirty, quality rarely improves. Training takes longer, and any weak shot "
                "that slips in gets more say.</p>"
                "<p>That's why Personae asks for <b>between 20 and 30 images</b> of one person, and checks each "
                "one before you spend a credit.</p>"
            ),
            heading("The 12-9-6-3 rule"),
            paragraph(
                "<p>For thirty photos, sort them into four groups:</p>"
                "<ul><li><b>12 close-ups</b> — head and shoulders, face filling most of the frame. These carry "
                "the identity: eyes, nose, mouth, skin, the exact hairline.</li>"
                "<li><b>9 half-body</b> — waist up. They teach how the face sits on the body: neck, shoulders, "
                "posture.</li>"
                "<li><b>6 full-body</b> — head to toe. Proportions and build, so wide shots don't borrow someone "
                "else's body.</li>"
                "<li><b>3 variety shots</b> — a profile, a three-quarter view, a strong expression or a very "
                "different light. They stop the model from only knowing one angle and one smile.</li></ul>"
                "<p>That is 40%, 30%, 20% and 10% of the set. The proportions matter more than the exact "
                "numbers.</p>"
            ),
            heading("Fewer than 30 photos? Scale the rule"),
            paragraph(
                "<p>For <i>N</i> photos, each group needs at least <code>floor(N × share)</code> images, with "
                "shares of 40%, 30%, 20% and 10%. Rounding down leaves a few photos over; they can go in any "
                "group. This is the check the upload screen runs as you drag photos into the four buckets:</p>"
            ),
            code(
                "# Each bucket's share of the set, in percent.\n"
                'SHARES = {"close-up": 40, "half-body": 30, "full-body": 20, "variety": 10}\n'
                "\n"
                "def minimum_per_bucket(n: int) -> dict[str, int]:\n"
                "    # Whole numbers only, so 30 × 30% is exactly 9.\n"
                "    return {bucket: n * share // 100 for bucket, share in SHARES.items()}\n"
                "\n"
                "minimum_per_bucket(24)\n"
                "# {'close-up': 9, 'half-body': 7, 'full-body': 4, 'variety': 2}\n"
                "# 22 placed; the other 2 can go in any bucket",
                language="python",
            ),
            paragraph("<p>The minimums for the sizes people use most:</p>"),
            code(
                "photos  close-up  half-body  full-body  variety  anywhere\n"
                "    20         8          6          4        2         0\n"
                "    22         8          6          4        2         2\n"
                "    24         9          7          4        2         2\n"
                "    25        10          7          5        2         1\n"
                "    26        10          7          5        2         2\n"
                "    28        11          8          5        2         2\n"
                "    30        12          9          6        3         0"
            ),
            heading("The checks every photo has to pass"),
            paragraph(
                "<p>Before anything is paid for, the dataset check looks at each image and reports what it "
                "finds:</p>"
                "<ul><li>It opens, and it's an allowed type.</li>"
                "<li>It is at least <b>768 pixels on its short side</b>. Smaller photos teach blur.</li>"
                "<li>It shows <b>exactly one face</b>. Group shots confuse whose face is being learned.</li>"
                "<li>It is <b>the same person</b> as the rest. Faces that sit far from the others are flagged — "
                "usually a sibling, a friend, or a heavily filtered selfie.</li>"
                "<li>It isn't a near-duplicate of another photo in the set, and it isn't blurred.</li></ul>"
                "<p>Blocking problems stop training until you replace the photo. Warnings, such as a slightly "
                "soft image, you can accept if you know the shot is worth keeping.</p>"
            ),
            callout(
                "Consent comes first",
                "<p>Only train on photos of yourself, or of an adult who has given you written permission. "
                "Personae asks you to confirm this before training and records who confirmed it and when.</p>",
            ),
            heading("A checklist before you upload"),
            paragraph(
                "<ol><li>20–30 photos of one adult, all recent, so the face is consistent.</li>"
                "<li>Sorted 40/30/20/10 into close-ups, half-body, full-body and variety.</li>"
                "<li>Different clothes, places and light, so only the face repeats.</li>"
                "<li>No sunglasses, heavy filters or hands over the face in the close-ups.</li>"
                "<li>At least 768 px on the short side: originals, not screenshots or chat-app copies.</li></ol>"
            ),
        ],
    ),
    LaunchPost(
        slug="keeping-a-character-consistent-across-1000-images",
        title="Keeping a character consistent across 1,000 images",
        lead=(
            "Consistency isn't one trick. It's a trained face, a trigger word used the same way every time, "
            "presets that keep prompts disciplined, reference images, and a score that tells you when "
            "something drifted."
        ),
        date=date(2026, 11, 6),
        tags=["Consistency", "Studio", "Guides"],
        hero=CONSISTENCY_ORBITS,
        body=[
            heading("Start with a trained face"),
            paragraph(
                "<p>Everything else builds on the face model. A LoRA trained on a clean dataset (see our guide "
                "to the 12-9-6-3 rule) gives the image model a precise idea of one face. Each character also "
                "gets a <b>trigger word</b> — a short, made-up token such as <code>prsn7k2x</code> — which "
                "calls up that face. Because the word means nothing else to the model, it doesn't pull in a "
                "celebrity or a generic look.</p>"
            ),
            paragraph(
                "<p>Personae writes the trigger word into every prompt in the same place, followed by the "
                "character's appearance, then the outfit, environment and scene:</p>"
            ),
            code(
                "prsn7k2x woman, 27, shoulder-length dark brown hair, brown eyes,\n"
                "wearing a coral sundress, candid lifestyle photo on a sunny beach,\n"
                "natural light, 35mm, shallow depth of field"
            ),
            heading("Let presets do the prompting"),
            paragraph(
                '<p>Hand-written prompts drift. One day it\'s "golden hour", the next "sunset glow, warm '
                'tones, cinematic", and the face shifts with the words. Studio presets — eight scenes, seven '
                "environments and twenty outfits — describe the same things with the same words every time, so "
                "the only thing that changes between images is what you meant to change.</p>"
                "<p>When you want variety, the prompt generator writes several prompts from your preset choices. "
                "It varies pose, framing and mood, and leaves the identity alone.</p>"
            ),
            heading("Reference images anchor the look"),
            paragraph(
                "<p>When training finishes, Personae generates <b>four reference images</b> of the character "
                "and computes its identity reference from them. That reference is what new images are compared "
                "against. It also means a character created in the wizard is usable before its LoRA exists: "
                "in face-swap mode, the base image's face is carried onto each result.</p>"
            ),
            heading("Measure it: the identity score"),
            paragraph(
                "<p>Every generated image is saved with an <b>identity score</b>: how closely the face in it "
                "matches the character's identity reference, shown on its tile. You don't have to judge a pack of "
                "ten by eye: images under 50 are marked <b>Low likeness</b>, so look at those first.</p>"
                "<p>A whole pack scoring lower than usual is a signal too. Usually a preset is fighting the face: "
                "heavy make-up, sunglasses, extreme angles, or a face too small in a wide shot.</p>"
            ),
            callout(
                "Rule of thumb",
                "<p>When an image drifts, re-run it with the same seed and a simpler outfit or framing before "
                "adding more words to the prompt. More words usually mean more drift.</p>",
            ),
            heading("Keep the recipe"),
            paragraph(
                "<p>Every asset in the library keeps its full recipe: prompt, presets, model, LoRA, seed, size, "
                "mode and cost. When a client picks a favourite, start from that recipe — re-run it, make "
                "variations, upscale it or turn it into video — instead of starting again from a blank "
                "prompt.</p>"
            ),
            heading("A routine for a thousand images"),
            paragraph(
                "<ol><li>Train once, on a clean dataset.</li>"
                "<li>Generate in packs of ten from presets, in draft quality first; re-run the keepers in "
                "HQ.</li>"
                "<li>Check each pack's likeness scores and discard the images marked Low likeness.</li>"
                "<li>Tag and collect as you go, so the library stays searchable.</li>"
                "<li>Build new content from winning recipes, not from scratch.</li></ol>"
            ),
        ],
    ),
    LaunchPost(
        slug="from-one-photo-to-an-animated-clip",
        title="From one photo to an animated clip",
        lead=(
            "You don't need a photo shoot to start. A single base image becomes a usable character in minutes, "
            "a trained one soon after, and a moving clip after that. Here is every step, with what it costs."
        ),
        date=date(2026, 11, 18),
        tags=["Video", "Wizard", "Guides"],
        hero=PHOTO_TO_CLIP,
        body=[
            heading("1. A base image from the wizard"),
            paragraph(
                "<p>The wizard starts from appearance attributes: style (photo-realistic or anime), gender, "
                "age — always 18 or older — ethnicity, hair colour and style, eye colour, body type and a "
                "default outfit. It turns them into <b>four candidate base images</b> for 16 credits. Choose "
                "the one that looks like your character.</p>"
            ),
            heading("2. Face-swap mode, straight away"),
            paragraph(
                "<p>The character is usable the moment you choose. Until it has a trained face model, the "
                "studio works in <b>face-swap mode</b>: each generated image gets the base image's face. That's "
                "enough for drafts, mood boards and planning a content calendar.</p>"
            ),
            heading("3. A character sheet, in the background"),
            paragraph(
                "<p>Meanwhile, a background job makes a <b>character sheet</b> from the base image: 7–10 "
                "angles and expressions of the same face, for 60 credits. That's the variety a face model needs "
                "to learn from, made without a camera.</p>"
            ),
            heading("4. The face model, and HD mode"),
            paragraph(
                "<p>The sheet becomes the training set, and a face model (LoRA) is trained from it for 300 "
                "credits. When training finishes, the character switches to <b>HD mode</b> by itself and you "
                "get a notification. New images now use the trained face instead of a swap.</p>"
            ),
            figure(PIPELINE_STEPS, "Base image → face swap → character sheet → face model → clip."),
            heading("5. Image to video"),
            paragraph(
                "<p>Open any image in the library and choose <b>Make video</b>. Describe the motion, pick 6, 8 "
                "or 10 seconds, and LTX-2 (landscape) or Wan 2.2 (portrait and square) animates the still. It costs 10 credits a second, so an 8-second clip "
                "is 80 credits. Motion prompts work best when they say what moves and how the camera "
                "behaves:</p>"
            ),
            code(
                "slow push-in, she turns her head toward the camera and smiles,\n"
                "hair moving gently in a sea breeze, golden hour light"
            ),
            heading("6. Animate from a reference video"),
            paragraph(
                "<p>For choreography a prompt can't describe — a dance, a product demo, a walk to camera — "
                "drive the character with a reference video using <b>Wan 2.2 Animate</b>. The video supplies "
                "the motion; your character supplies the face. Personae runs it as a pipeline you can watch:</p>"
                "<ol><li>extract the video's first frame;</li>"
                "<li>face-swap your character into it;</li>"
                "<li>refine the frame (optionally changing the clothes);</li>"
                "<li>animate, with the refined frame setting the identity and the video the motion;</li>"
                "<li>save the result to the library.</li></ol>"
                "<p>If a step fails, the pipeline resumes from that step rather than starting again. It costs "
                "20 credits per output second plus 15 for the preparation steps: a 5-second animation is 115 "
                "credits.</p>"
            ),
            callout(
                "What a first clip costs",
                "<p>Base images 16 + character sheet 60 + training 300 + an 8-second clip 80 = "
                "<b>456 credits</b>, well within a Creator plan's 2,000 a month. And anything that fails is "
                "returned.</p>",
            ),
        ],
    ),
]
