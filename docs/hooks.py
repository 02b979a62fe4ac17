"""MkDocs hook: publish the repository's CHANGELOG.md as the site's `changelog.md` page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.structure.files import File

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

CHANGELOG = Path(__file__).resolve().parent.parent / "CHANGELOG.md"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the changelog to the site's files, read from the repository root at build time."""
    files.append(File.generated(config, "changelog.md", abs_src_path=str(CHANGELOG)))
    return files
