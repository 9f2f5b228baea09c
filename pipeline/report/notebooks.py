"""The report's notebooks: which are bundled and the tables each reads, their self-contained HTML
(no code, nothing fetched from the web), and `code_hash`, the key the nightly run's report cache
keeps for this code. Executing them: kernels.py."""

from __future__ import annotations

import functools
import hashlib
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from policytrack.pipeline.core.errors import PolicytrackError

log = logging.getLogger(__name__)

# nbformat imports jsonschema, which imports rfc3987_syntax when it is installed (JupyterLab's
# dependencies bring it) and compiles a grammar for about 2 s of CPU. nbformat never checks IRI
# formats, so this process does without it (jsonschema skips the module when it cannot import it).
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

PACKAGE_DIR = Path(__file__).resolve().parent
NOTEBOOK_DIR = PACKAGE_DIR.parents[1] / "notebooks"
NOTEBOOKS = (
    "01_corpus_overview.ipynb",
    "02_priority_timelines.ipynb",
    "03_item_flows.ipynb",
    "04_diffusion.ipynb",
)
# Tables each notebook reads: checked before any kernel starts, for a quick, clear error.
NEEDS = {
    "01_corpus_overview.ipynb": ("documents", "items"),
    "02_priority_timelines.ipynb": ("documents", "term_timeline"),
    "03_item_flows.ipynb": ("documents", "items", "alignments", "threads"),
    "04_diffusion.ipynb": ("documents", "term_timeline"),
}

# The lab template minus everything it would fetch from a CDN (require.js, MathJax, mermaid):
# the report must open offline. CSS is inlined by the lab template itself, images are base64.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}<style>
.pt-table.pt-table.pt-table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:13px}
.pt-table.pt-table.pt-table th,.pt-table.pt-table.pt-table td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
.pt-table.pt-table.pt-table th{background:#f4f4f4}
</style>{%- endblock extra_css -%}
"""


class ReportError(PolicytrackError):
    """A notebook failed or the report could not be written (one line: notebook, cell, error)."""


def code_hash(notebooks: Sequence[str | Path] | None = None, *, package: Path = PACKAGE_DIR) -> str:
    """Hash of what turns tables into a report: the content of every file of the report package
    (found by walking its folder; names relative to it, sorted; bytecode caches left out) and of
    each notebook (the bundled ones by default). Any edit, new module or rename changes it."""
    h = hashlib.sha256()
    files = sorted(
        (rel.as_posix(), p)
        for p in package.rglob("*")
        if p.is_file()
        and "__pycache__" not in (rel := p.relative_to(package)).parts
        and p.suffix not in (".pyc", ".pyo")
    )
    paths = [Path(p) for p in notebooks] if notebooks else [NOTEBOOK_DIR / n for n in NOTEBOOKS]
    files += [(f"notebooks/{p.name}", p) for p in paths]
    for name, path in files:
        try:
            data = path.read_bytes()
        except OSError:  # a notebook that is not there hashes as missing, not as empty
            data = None
        h.update(name.encode() + b"\0")
        h.update(b"-" if data is None else str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()[:16]


def code_cells(nb: Path) -> int:
    """Code cells of a notebook, the injected parameters cell included (a progress total)."""
    import nbformat

    return sum(c.cell_type == "code" for c in nbformat.read(nb, as_version=4).cells) + 1


def to_html(notebook: Path, lang: str = "zh") -> str:
    """Self-contained HTML of an executed notebook, code hidden (outputs and text only)."""
    import nbformat

    exporter = _exporter("zh" if lang == "zh" else "en")
    with _EXPORTING:  # one exporter per language, its compiled templates reused; not threadsafe
        body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4))
    return body


_EXPORTING = threading.Lock()


@functools.cache
def _exporter(language: str):
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"policytrack.html.j2": _TEMPLATE})],
        template_file="policytrack.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        language_code=language,
    )
