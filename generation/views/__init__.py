"""Generation pages: ``jobs`` (edit jobs: start an upscale, watch, cancel, retry), ``studio`` (the
Content Studio: packs, prompts, history, library batches) and ``edits`` (inpaint, change clothes)."""
