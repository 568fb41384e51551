"""App sections that are not open in this workspace yet: what each will hold, shown as a designed
empty state instead of a broken link. A section leaves this table when its app takes the URL."""

SECTIONS = {
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
