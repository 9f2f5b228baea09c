"""CJK font set-up for matplotlib, so Chinese labels render as glyphs, not empty boxes.

matplotlib caches its font list at first import, so a font installed after that cache was built is
invisible to it; and Debian's Noto CJK is a .ttc collection whose SC face older matplotlib cannot
select. Registering a known font file with `fontManager.addfont` sidesteps both.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from policytrack.pipeline.core.errors import PolicytrackError

# Tried in order. The first is what the Makefile installs (Debian package fonts-wqy-microhei);
# the others are common CJK fonts on developer machines. POLICYTRACK_CJK_FONT overrides them all.
CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
ENV_VAR = "POLICYTRACK_CJK_FONT"
PACKAGE_HINT = "install Debian's fonts-wqy-microhei (`make system-deps` or `apt-get install fonts-wqy-microhei`)"
# Characters every chart needs: if the font lacks them it is not a usable CJK font.
PROBE = "三大攻坚战样例数据年"


class FontError(PolicytrackError):
    """No usable CJK font: the message names the package to install."""


def find_font(candidates: tuple[str, ...] | None = None) -> Path:
    """The first existing CJK font file: $POLICYTRACK_CJK_FONT, then `candidates`."""
    override = os.environ.get(ENV_VAR)
    if override:
        path = Path(override)
        if not path.is_file():
            raise FontError(f"{ENV_VAR}={override}: no such font file; {PACKAGE_HINT}")
        return path
    for candidate in CANDIDATES if candidates is None else candidates:
        path = Path(candidate)
        if path.is_file():
            return path
    tried = ", ".join(CANDIDATES if candidates is None else candidates)
    raise FontError(f"no CJK font found for charts (tried {tried}); {PACKAGE_HINT}")


def register(path: Path) -> str:
    """Register one font file with matplotlib and return its family name."""
    from matplotlib import font_manager, ft2font

    font = ft2font.FT2Font(str(path))  # face 0 of a .ttc: the regular face of WenQuanYi Micro Hei
    missing = [c for c in PROBE if font.get_char_index(ord(c)) == 0]
    if missing:
        raise FontError(f"{path}: font lacks Chinese glyphs ({''.join(missing)}); {PACKAGE_HINT}")
    font_manager.fontManager.addfont(str(path))
    return font.family_name


@functools.cache
def setup(candidates: tuple[str, ...] | None = None) -> str:
    """Make matplotlib draw Chinese: register the font, put it first in sans-serif. Returns its name.

    DejaVu Sans stays as a fallback for symbols the CJK font lacks. Math parsing is switched off
    because document text (term labels, headings) may contain `$`.
    """
    import matplotlib

    family = register(find_font(candidates))
    rc = matplotlib.rcParams
    rc["font.family"] = ["sans-serif"]
    rc["font.sans-serif"] = [family, "DejaVu Sans"]
    rc["axes.unicode_minus"] = False  # U+2212 is not in every CJK font
    rc["text.parse_math"] = False
    # Text as paths: the SVG looks the same on machines without the font; matplotlib still writes
    # each string as a comment beside its path, so the SVG stays searchable.
    rc["svg.fonttype"] = "path"
    # Fixed ids (clip paths, hatches) instead of random ones: the same figure, the same SVG bytes.
    rc["svg.hashsalt"] = "policytrack"
    return family
