"""The blocks a blog post body is written in: headings, rich-text paragraphs, figures, code and
callouts. Each renders with its own template under ``blog/blocks/``."""

from django.utils.text import slugify
from wagtail import blocks
from wagtail.images.blocks import ImageBlock

# Rich text stays simple on purpose: structure comes from heading blocks, images from figure
# blocks, so every image gets a caption, real dimensions and lazy loading.
PARAGRAPH_FEATURES = ["bold", "italic", "link", "ol", "ul", "code", "h3"]

CODE_LANGUAGES = [
    ("text", "Plain text"),
    ("python", "Python"),
    ("bash", "Shell"),
    ("json", "JSON"),
    ("html", "HTML"),
    ("css", "CSS"),
]


class HeadingBlock(blocks.CharBlock):
    """A section heading (h2) with a stable anchor, so sections can be linked to."""

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["anchor"] = slugify(value)
        return context

    class Meta:
        icon = "title"
        template = "blog/blocks/heading.html"
        form_classname = "title"


class FigureBlock(blocks.StructBlock):
    image = ImageBlock()
    caption = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "blog/blocks/figure.html"


class CodeBlock(blocks.StructBlock):
    language = blocks.ChoiceBlock(choices=CODE_LANGUAGES, default="text")
    code = blocks.TextBlock()

    class Meta:
        icon = "code"
        template = "blog/blocks/code.html"


class CalloutBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120)
    text = blocks.RichTextBlock(features=["bold", "italic", "link", "code"])

    class Meta:
        icon = "tip"
        template = "blog/blocks/callout.html"


class BodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(features=PARAGRAPH_FEATURES, template="blog/blocks/paragraph.html")
    figure = FigureBlock()
    code = CodeBlock()
    callout = CalloutBlock()
