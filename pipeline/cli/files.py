"""parse, ingest, build: files in, tables out."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer

from policytrack.pipeline.cli import options
from policytrack.pipeline.core.errors import InputError


def _outline(doc) -> str:
    lines = [f"{doc.title}  ({doc.year}, {doc.genre})"]
    speaker = " ".join(v for v in (doc.speaker_role, doc.speaker) if v)
    for label, value, source in (
        ("title from", doc.title_source, ""),
        ("year from", doc.year_source, ""),
        ("subtitle", doc.subtitle, ""),
        ("page", doc.page_title, ""),
        ("issuer", doc.issuer, doc.issuer_source),
        ("speaker", speaker, ""),
        ("number", doc.doc_number, ""),
        ("issued", doc.issued_on, doc.issued_on_source),
        ("published", doc.published_at, ""),
        ("department", doc.department, ""),
        ("to", doc.addressees, ""),
        ("series", doc.series, ""),
        ("trailer", ", ".join(doc.trailer_kinds), ""),
    ):
        if value:
            lines.append(f"  {label:<11}{value}" + (f"  ({source})" if source else ""))
    for warning in doc.warnings:
        lines.append(f"  warning    {warning}")
    if doc.preamble:
        pre = doc.preamble.replace("\n", " ")
        lines.append(f"  preamble   {pre[:60]}{'…' if len(pre) > 60 else ''}")
    for sec in doc.sections:
        lines.append(f"{sec.path:>6}  {sec.title}")
        for item in sec.walk_items():
            if item.level == "paragraph":
                continue
            lines.append(f"{item.path:>8}  {item.heading}")
    if doc.terms:
        lines.append("terms:")
        for t in doc.terms:
            lines.append(f"  {t.term}  [{t.kind}] ×{t.count}  {', '.join(t.paths)}")
    return "\n".join(lines)


def parse_cmd(
    file: Path = typer.Argument(..., help="A notice: .html, .txt, .docx, .pdf or .json"),
    as_json: bool = typer.Option(False, "--json", help="Print the Document as JSON."),
    year: int | None = typer.Option(
        None, "--year", help="Plan year (beats every year found in the document)."
    ),
    watch: list[str] | None = options.WATCH,
):
    """Parse one notice and print its structure and priority terms."""
    from policytrack.pipeline.text.parse import parse_file
    from policytrack.pipeline.text.watch import watch_list

    try:
        doc = parse_file(file, year=year, watch=watch_list(watch))
    except InputError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        d = asdict(doc)
        d["terms"] = [asdict(t) for t in doc.terms]
        d["series"] = doc.series
        typer.echo(json.dumps(d, ensure_ascii=False, indent=1))
    else:
        typer.echo(_outline(doc))


def ingest_cmd(
    paths: list[Path] = typer.Argument(..., help="Files or folders (.txt .html .docx .pdf .jsonl)"),
    source: str = typer.Option(..., "--source", help="Source name (folder under raw/)."),
    year: int | None = typer.Option(
        None, "--year", help="Plan year for every file (beats the title)."
    ),
    series: str | None = typer.Option(
        None, "--series", help="Series key for every file (default: the title without its year)."
    ),
    data: Path = options.DATA,
):
    """Copy local documents into DIR/raw/SOURCE/ with a manifest record each (idempotent)."""
    from policytrack.pipeline.jobs.ingest import ingest

    result = ingest(paths, source, data, year, series)
    for where, reason in result.skipped:
        typer.echo(f"skipped {where}: {reason}", err=True)
    typer.echo(
        f"{len(result.added)} added, {result.duplicates} already present, "
        f"{len(result.skipped)} skipped → {data / 'raw' / source / 'manifest.jsonl'}"
    )
    if not result.added and not result.duplicates:
        raise typer.Exit(1)


def build_cmd(
    data: Path = options.DATA,
    strict: bool = typer.Option(False, "--strict", help="Exit 1 if any document failed."),
    watch: list[str] | None = options.WATCH,
    jobs: int = options.JOBS,
    level: str = options.LEVEL,
    source: list[str] = typer.Option(None, "--source", help="Only these sources."),
):
    """Parse every raw document and write DIR/processed/ tables."""
    from policytrack.pipeline.jobs.build import build

    if not (data / "raw").is_dir():
        typer.echo(
            f"error: {data / 'raw'}: no raw data (run `policytrack ingest` or `crawl` first)",
            err=True,
        )
        raise typer.Exit(2)
    result = build(data, strict=strict, watch=watch, jobs=jobs, level=level, only=source or None)
    docs = result.documents
    typer.echo(f"{'source':<12}{'series':<28}{'years':<14}{'docs':>5}{'items':>7}")
    if not docs.empty:
        for (src, series), g in docs.groupby(["source", "series"], sort=True):
            years = f"{g.year.min()}–{g.year.max()}"
            typer.echo(f"{src:<12}{series[:26]:<28}{years:<14}{len(g):>5}{int(g.n_items.sum()):>7}")
    typer.echo(
        f"parsed {result.parsed}, reused {result.reused}; tables in {data / 'processed'}: "
        + ", ".join(f"{k} {v}" for k, v in result.tables.items())
    )
    if result.failures:
        typer.echo(f"{len(result.failures)} document(s) could not be parsed:", err=True)
        for where, reason in result.failures:
            typer.echo(f"  {where}: {reason}", err=True)
        if strict:
            raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("parse")(parse_cmd)
    app.command("ingest")(ingest_cmd)
    app.command("build")(build_cmd)
