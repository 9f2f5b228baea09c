"""The run summary printed at the end of `policytrack run` and written to its log."""

from __future__ import annotations

from policytrack.pipeline.analysis.findings import notice_lines
from policytrack.pipeline.jobs.result import RunResult


def _http(codes: dict[str, int]) -> str:
    return ", ".join(f"{c}×{n}" for c, n in sorted(codes.items())) or "none"


def format_summary(r: RunResult) -> str:
    lines = [f"policytrack run {r.run_id}  data: {r.data_dir}"]
    lines.append(
        f"changes since the last run ({r.since})" if r.since else "first run: everything is new"
    )
    lines += [f"note: {n}" for n in r.notes]
    # crawl
    if r.crawl.skipped:
        lines.append("crawl   skipped (--offline)")
    for s in r.crawl.stats:
        lines.append(
            f"crawl   {s.source}: {s.new_notices} new, {s.unchanged} unchanged, "
            f"{s.notices_found} listed; {s.requests} requests (HTTP {_http(s.http)}), "
            f"{s.errors} error{'s' if s.errors != 1 else ''}"
            + (f" ({s.blocked} blocked off-site)" if s.blocked else "")
        )
    if r.crawl.error:
        lines.append(f"crawl   failed: {r.crawl.error}")
    # build
    b = r.build
    if r.crawl.stopped:
        lines.append("build   skipped: the crawl was stopped by a signal (SIGTERM / Ctrl-C)")
    elif b.error:
        lines.append(f"build   failed: {b.error} (previous tables kept)")
    elif not b.parsed and not b.aligned and not b.changed:
        lines.append(f"build   nothing new: no parsing or alignment ({b.documents} documents)")
    else:
        counts = ", ".join(f"{k} {v}" for k, v in b.tables.items() if k in ("items", "terms"))
        aligned = ", ".join(b.aligned) or "none"
        lines.append(
            f"build   parsed {b.parsed}, reused {b.reused}, aligned {aligned}; "
            f"{b.documents} documents, {counts}"
        )
    lines += [f"build   warning: {w}" for w in b.warnings]
    # report
    rep = r.report
    if rep.status == "built":
        nb = f"{rep.notebooks} notebook{'s' if rep.notebooks != 1 else ''}"
        lines.append(f"report  {rep.path} ({nb}, {rep.figures} figures)")
    elif rep.status == "unchanged":
        lines.append(f"report  not rebuilt ({rep.reason}): {rep.path}")
    else:
        lines.append(f"report  {rep.status}: {rep.reason}")
    # changes
    if r.changes:
        n = len(r.changes)
        lines.append(f"new notices: {n}")
        current = None
        for c in r.changes:
            if (c.source, c.series) != current:
                current = (c.source, c.series)
                lines.append(f"  {c.source} · {c.series}")
            what = "revised" if c.revised else "new"
            lines.append(f"    + {c.year} {c.title} ({what})")
            lines += [f"        {line}" for line in notice_lines(c)]
    elif r.build.error is None:
        lines.append("new notices: none")
    # flags and problems
    if r.flags:
        lines.append("flags")
        lines += [f"  {'!' if f.fatal else '?'} {f}" for f in r.flags]
    problems = [f"crawl {s.source}: {p}" for s in r.crawl.stats for p in s.failures]
    problems += [f"build: {where}: {why}" for where, why in b.failures]
    if rep.status == "failed":
        problems.append(f"report: {rep.reason}")
    if problems:
        lines.append("problems")
        lines += [f"  {p}" for p in problems]
    lines.append(
        f"time    crawl {r.crawl.seconds:.1f} s · build {b.seconds:.1f} s · "
        f"report {rep.seconds:.1f} s · total {r.seconds:.1f} s"
    )
    meaning = {0: "ok", 1: "partial failure", 2: "nothing could be done"}[r.exit_code]
    lines.append(f"exit {r.exit_code} ({meaning}); log: {r.log_path}")
    return "\n".join(lines)
