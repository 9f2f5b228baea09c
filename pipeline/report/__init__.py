"""The report: processed tables → executed notebooks, HTML pages and briefing figures.

One concern per module, lower ones first:
- labels.py: zh/en labels, table headers, colour maps, `check_lang`;
- scope.py: what a notebook shows (`Scope`, `choose_scope`), the footnote, year windows;
- load.py: reading the processed tables a notebook needs;
- views.py: the data of every chart, pure (DataFrames in, small DataFrames/records out);
- draw.py, plots_*.py, registry.py: drawing; each plot function is registered as a chart (file
  name, zh/en titles) — registry.py says how to add a chart;
- html.py: every HTML fragment, document text escaped; export.py: PNG/SVG files and `show`;
- notebooks.py, publish.py, index.py, build.py: executing the notebooks, putting the report in
  place, the index page; `notebooks.code_hash` keys the nightly run's report cache.
The notebooks (notebooks/*.ipynb) only call these modules.
"""
