"""A message's Markdown as the citizen will see it in App IO, rendered safely for previews.

The preview never loads anything from elsewhere: raw HTML is shown as text and images are
not rendered (an image link in a message would make every preview fetch that address). A
link stays a link, opened in a new tab without referrer. markdown-it validates link targets
(no `javascript:`).
"""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt


@cache
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def preview_html(markdown: str) -> str:
    """HTML for a preview of `markdown`: no raw HTML, no images, links in a new tab."""
    renderer = _renderer()
    tokens = renderer.parse(markdown)
    for block in tokens:
        for token in block.children or ():
            if token.type == "link_open":
                token.attrSet("target", "_blank")
                token.attrSet("rel", "noopener noreferrer nofollow")
    return renderer.renderer.render(tokens, renderer.options, {})
