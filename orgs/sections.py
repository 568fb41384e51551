"""App sections that are not open in this workspace yet: what each will hold, shown as a designed
empty state instead of a broken link. A section leaves this table when its app takes the URL."""

SECTIONS = {
    "studio": {
        "title": "Studio",
        "icon": "sparkles",
        "lead": "Generate on-model image packs for a character.",
        "points": [
            "Pick a scene, an environment and an outfit from presets — or write your own prompt.",
            "Get 1, 5 or 10 images per pack, each scored for how closely it matches your character.",
            "Re-run, make variations, inpaint, change clothes or upscale any image.",
        ],
        "next": "The Studio opens from a character, so your first step is to create one.",
        # The characters app answers /o/<slug>/characters/, so this link opens its list.
        "next_section": "characters",
    },
    "video": {
        "title": "Video",
        "icon": "film",
        "lead": "Animate your character's images into short clips.",
        "points": [
            "Image → video with LTX-2: a motion prompt and 6, 8 or 10 seconds.",
            "Animate from a reference video with Wan 2.2: your character, their motion.",
            "Each step is shown and can be resumed if it fails.",
        ],
        "next": "Video is not switched on for this workspace yet. It builds on characters and the library.",
        "next_section": "characters",
    },
}
