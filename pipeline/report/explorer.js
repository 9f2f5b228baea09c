"use strict";
// The explorer's script: reads the embedded JSON (explorer.py) and builds every element with
// textContent; no text from the data is ever parsed as HTML.
(function () {
  const D = JSON.parse(document.getElementById("pt-data").textContent);
  const STATUS = ["absent", "new", "persisting", "returned", "fading"];
  const SEG = ["equal", "delete", "insert"];
  const WIDTH = 30;
  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k.startsWith("data-")) e.setAttribute(k, v);
      else if (k === "on") e.addEventListener("click", v); else e[k] = v;
    }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  const byTerm = new Map(D.terms.map((t) => [t.t, t]));
  const meta = $("meta");
  if (D.sample) meta.append(el("span", { class: "sample" }, "SAMPLE DATA (fictional)"), " ");
  meta.append(`${D.terms.length} terms · ` +
    D.series.map((s) => `${s.label} (${s.years.length}: ${s.years[0]}–${s.years[s.years.length - 1]})`).join(" · ") +
    ` · built ${D.built}`);

  function search(q) {
    const hits = $("hits");
    hits.replaceChildren();
    q = q.trim();
    if (!q) return;
    const found = [];
    for (const t of D.terms) {
      const i = t.t.indexOf(q);
      if (i >= 0) found.push([t.t === q ? 0 : i === 0 ? 1 : 2, t]);
      if (found.length > 400) break;
    }
    found.sort((a, b) => a[0] - b[0] || b[1].n - a[1].n);
    for (const [, t] of found.slice(0, 40)) {
      hits.append(el("li", { "data-term": t.t, on: () => showTerm(t.t) }, t.t, el("span", { class: "n" }, t.n)));
    }
    if (byTerm.has(q)) showTerm(q);
  }

  function showTerm(name) {
    const t = byTerm.get(name);
    const box = $("term");
    box.replaceChildren();
    $("thread").replaceChildren();
    for (const li of $("hits").children) li.classList.toggle("on", li.dataset.term === name);
    if (!t) return;
    box.setAttribute("data-term", t.t);
    box.append(el("h2", {}, t.t), el("p", {}, `kind: ${t.k}` + (t.f ? ` · flag: ${t.f}` : "") + ` · ${t.n} mentions`));
    if (t.v.length) {
      const p = el("p", {}, "variants: ");
      for (const v of t.v) p.append(byTerm.has(v) ? el("button", { class: "more", on: () => showTerm(v) }, v) : v, " ");
      box.append(p);
    }
    box.append(el("h3", {}, "Timeline · 时间线"));
    D.series.forEach((s, si) => {
      const rows = t.tl.filter((r) => r[0] === si);
      if (!rows.length) return;
      const table = el("table", { class: "timeline", "data-series": s.label });
      table.append(el("tr", {}, el("th", {}, "year"), el("th", {}, "count"), el("th", {}, "per 10k chars"), el("th", {}, "status"), el("th", {}, "")));
      const top = Math.max(...rows.map((r) => r[3]), 0.01);
      for (const r of rows) {
        const st = STATUS[r[4]];
        table.append(el("tr", { class: "tl-row", "data-year": r[1] },
          el("td", {}, r[1]), el("td", { class: "count" }, r[2]), el("td", {}, r[3].toFixed(2)),
          el("td", { class: "status st-" + st }, st),
          el("td", { style: "text-align:left" }, el("span", { class: "bar", style: `width:${Math.round(120 * r[3] / top)}px` }))));
      }
      box.append(el("h4", {}, s.label), el("p", { class: "series-note" }, s.note + " · documents: " + s.years.join(" ")), table);
    });
    if (t.d.length) {
      box.append(el("h3", {}, "Diffusion · 扩散"));
      const table = el("table", { class: "diffusion" },
        el("tr", {}, el("th", {}, "series"), el("th", {}, "first year"), el("th", {}, "lag"), el("th", {}, "persisted")));
      for (const [si, y, lag, kept] of t.d) {
        table.append(el("tr", { "data-series": D.series[si].label }, el("td", {}, D.series[si].label), el("td", {}, y), el("td", {}, lag), el("td", {}, kept ? "yes" : "no")));
      }
      box.append(table);
    }
    box.append(el("h3", {}, "Contexts · 语境"));
    const groups = new Map();
    for (const m of t.m) {
      const u = D.units[m[0]];
      const key = u[0] + ":" + u[1];
      if (!groups.has(key)) groups.set(key, { s: u[0], y: u[1], ms: [] });
      groups.get(key).ms.push(m);
    }
    for (const g of groups.values()) {
      const div = el("div", { class: "kwic-year", "data-series": D.series[g.s].label, "data-year": g.y });
      div.append(el("h4", {}, `${g.y} · ${D.series[g.s].label} (${g.ms.length})`));
      const rest = [];
      g.ms.forEach((m, i) => {
        const line = context(t, m);
        if (i >= D.shown) { line.hidden = true; rest.push(line); }
        div.append(line);
      });
      if (rest.length) {
        const more = el("button", { class: "more" }, `more (${rest.length})`);
        more.addEventListener("click", () => { rest.forEach((l) => (l.hidden = false)); more.remove(); });
        div.append(more);
      }
      box.append(div);
    }
  }

  function context(t, m) {
    const u = D.units[m[0]], text = u[4], s = m[1], e = s + t.t.length;
    const line = el("div", { class: "ctx", "data-path": u[2] },
      el("span", { class: "l" }, text.slice(Math.max(0, s - WIDTH), s).replace(/\n/g, " ")),
      el("mark", {}, text.slice(s, e)),
      el("span", { class: "r" }, text.slice(e, e + WIDTH).replace(/\n/g, " ")));
    if (m[2] >= 0) line.append(el("span", { class: "var" }, "in " + t.va[m[2]]));
    line.append(el("span", { class: "where" }, `${u[2]} ${u[3]}`));
    if (u[5] >= 0) line.append(el("button", { class: "item", "data-thread": D.threads[u[5]].id, on: () => showThread(u[5]) }, "thread · 条目沿革"));
    return line;
  }

  function segments(text, segs, keep) {
    const out = document.createDocumentFragment();
    let at = 0;
    for (const [code, n] of segs) {
      const piece = text.slice(at, at + n);
      at += n;
      const kind = SEG[code];
      if (kind === "equal") out.append(piece);
      else if (kind === keep) out.append(el(kind === "delete" ? "del" : "ins", {}, piece));
    }
    return out;
  }

  function showThread(i) {
    const th = D.threads[i];
    for (const st of th.steps) if (typeof st[3] === "number") st[3] = D.units[st[3]][4];
    const box = $("thread");
    box.replaceChildren(el("h2", {}, `Thread · 条目沿革: ${th.label}`),
      el("p", { class: "series-note" }, `${D.series[th.s].label} · ${th.steps.map((s) => s[0]).join(" → ")}`));
    box.setAttribute("data-thread", th.id);
    th.steps.forEach((st, k) => {
      const div = el("div", { class: "step", "data-year": st[0] });
      if (k === 0) {
        div.append(el("h4", {}, `${st[0]} ${st[1]} ${st[2]}`), el("div", { class: "first" }, st[3]));
      } else {
        const prev = th.steps[k - 1];
        div.append(el("h4", {}, `${prev[0]} → ${st[0]} ${st[1]} ${st[2]}`));
        const pair = el("div", { class: "pair redline" });
        pair.append(el("div", { class: "old" }, segments(prev[3], st[4][0], "delete")),
          el("div", { class: "new" }, segments(st[3], st[4][1], "insert")));
        div.append(pair);
      }
      box.append(div);
    });
    box.scrollIntoView();
  }

  $("q").addEventListener("input", (e) => search(e.target.value));
  $("q").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && $("hits").firstChild) showTerm($("hits").firstChild.dataset.term);
  });
  const start = decodeURIComponent(location.hash.slice(1));
  if (start) { $("q").value = start; search(start); }
})();
