"""MkDocs hooks: publish CHANGELOG.md, draw the lifecycle's SVG pictures, style highlighted code.

All are made at build time from their one source (the changelog file, the transition table,
Pygments), so the site needs no network and no JavaScript to show them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.structure.files import File
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]

from lifecycle._diagram import svg_files

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

CHANGELOG = Path(__file__).resolve().parent.parent / "CHANGELOG.md"


# The diagrams are drawn wider than the text column: scale them down to fit it.
DIAGRAM_CSS = 'img[src$=".svg"] { max-width: 100%; height: auto; }\n'


def site_css() -> str:
    """The site's own style sheet: diagrams that fit the column, and Pygments' code colours."""
    return DIAGRAM_CSS + str(HtmlFormatter(style="default").get_style_defs(".codehilite"))


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the changelog, the lifecycle diagrams and the code style sheet to the site's files."""
    files.append(File.generated(config, "changelog.md", abs_src_path=str(CHANGELOG)))
    files.append(File.generated(config, "css/site.css", content=site_css()))
    for name, svg in svg_files().items():
        files.append(File.generated(config, name, content=svg))
    return files
