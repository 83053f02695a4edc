"""The portal's fonts: one set for the PDFs and the pages, installed from PyPI.

Three families cover the five languages; each comes as a pinned package in
``requirements.txt`` (no font file is kept in the repository):

* **Noto Sans** (``fontpkg-noto-sans``): Latin, Romanian's ș and ț, Greek, Cyrillic.
  A variable font; the PDF engine cuts the weights it uses out of it.
* **IBM Plex Sans Arabic** (``fontpkg-ibm-plex-sans-arabic``): Arabic and Persian
  letters and both sets of digits. Chosen over Noto Sans Arabic because each shaped
  letter is one glyph (Noto builds letters from a shared body and separate dots), so
  text copied out of a PDF reads as the words that were written.
* **Noto Sans CJK JP** (``noto-cjk-sans-jp-regular``, ``-bold``): Japanese, and the
  arrows and punctuation the others lack.

:data:`FACES` names each file; :func:`font_face_css` writes the ``@font-face`` rules
for the PDFs (``file:`` URLs); :class:`FontFinder` serves the same files as static
files under ``fonts/`` for the pages' stylesheet (``static/css/portal.css``), so a
machine without CJK or Arabic fonts still shows every language.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import fontpkg_ibm_plex_sans_arabic
import fontpkg_noto_sans
import noto_cjk_sans_jp_bold
import noto_cjk_sans_jp_regular
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage

#: Where the font files are served among the static files.
STATIC_PREFIX = "fonts"


@dataclass(frozen=True)
class Face:
    family: str
    path: Path
    weight: str  # a CSS font-weight ("400", "700"); "" for a variable font (every weight)

    @property
    def static_name(self) -> str:
        return f"{STATIC_PREFIX}/{self.path.name}"


_PLEX = Path(fontpkg_ibm_plex_sans_arabic.ROOT) / "files"

FACES: tuple[Face, ...] = (
    Face("Noto Sans", Path(fontpkg_noto_sans.ROOT) / "files" / "NotoSans[wdth,wght].ttf", ""),
    Face("IBM Plex Sans Arabic", _PLEX / "IBMPlexSansArabic-Regular.ttf", "400"),
    Face("IBM Plex Sans Arabic", _PLEX / "IBMPlexSansArabic-Bold.ttf", "700"),
    Face("Noto Sans CJK JP", Path(str(noto_cjk_sans_jp_regular.FONT_PATH)), "400"),
    Face("Noto Sans CJK JP", Path(str(noto_cjk_sans_jp_bold.FONT_PATH)), "700"),
)

#: The families in the order text falls back through them: Latin first, so digits and
#: Latin words inside Arabic or Japanese text keep one look.
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(face.family for face in FACES))


def font_stack() -> str:
    """The CSS ``font-family`` value naming :data:`FAMILIES`."""
    return ", ".join(f'"{family}"' for family in FAMILIES)


def font_face_css() -> str:
    """``@font-face`` rules pointing at the installed files (for the PDF engine)."""
    return "\n".join(
        f'@font-face {{ font-family: "{face.family}"; '
        + (f"font-weight: {face.weight}; " if face.weight else "")
        + f'src: url("{face.path.as_uri()}"); }}'
        for face in FACES
    )


class FontFinder(BaseFinder):
    """A static files finder for :data:`FACES`: ``fonts/<file name>`` for each face, so
    ``runserver`` serves them and ``collectstatic`` copies them like any static file."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._storages: dict[str, FileSystemStorage] = {}
        for face in FACES:
            storage = FileSystemStorage(location=str(face.path.parent))
            storage.prefix = STATIC_PREFIX
            self._storages[face.static_name] = storage

    def check(self, **kwargs):
        return [
            Error(
                f"Font file {face.path} is missing: reinstall the requirements.", id="portal.E100"
            )
            for face in FACES
            if not face.path.is_file()
        ]

    def find(self, path, find_all=False, **kwargs):
        matches = [str(face.path) for face in FACES if face.static_name == path]
        if find_all:
            return matches
        return matches[0] if matches else []

    def list(self, ignore_patterns) -> Iterator[tuple[str, FileSystemStorage]]:
        for face in FACES:
            yield face.path.name, self._storages[face.static_name]
