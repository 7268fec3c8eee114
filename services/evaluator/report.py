"""report.html: a self-contained page rendered from results.json alone.

Inline CSS and SVG, no scripts, nothing loaded from elsewhere, so a published results.json can always be
re-rendered.

Sections: the headline metrics, each with its definition and which tests gave feedback and which graded; one bar
chart per pass@k definition; the verdict breakdown; time per problem against its calibrated limit; the
configuration, executor and host; and a table of every problem.
"""

from __future__ import annotations

import json
from collections import defaultdict
from html import escape
from typing import Any

from services.evaluator.svg import PALETTE, Bar, columns, hbars, stacked

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 12px}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:8px 0} td,th{border:1px solid #ddd;padding:4px 6px;
text-align:left;vertical-align:top} th{background:#f5f5f5} td.n{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#666} code,pre{font:12px ui-monospace,monospace} pre{background:#f7f7f7;padding:8px;overflow:auto}
svg{display:block;margin:8px 0} svg .t{font:bold 13px sans-serif} svg .l,svg .v{font:12px sans-serif;fill:#333}
svg .g{stroke:#e0e0e0} svg .lim{stroke:#ef6c00;stroke-width:1.5}
"""


def render(results: dict[str, Any]) -> str:
    """The whole report as one HTML document."""
    dataset = results["dataset"]
    title = f"synthmesh evaluation — {dataset['name']} ({results['mode']})"
    body = [f"<h1>{escape(title)}</h1>",
            f"<p class=muted>{escape(results['created'])} · dataset sha256 <code>{escape(dataset['sha256'])}</code>"
            f" · {dataset['problems_evaluated']} of {dataset['problems_total']} problems</p>",
            _metrics_section(results), _verdict_section(results), _time_section(results),
            _setup_section(results), _problems_section(results)]
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>" + "".join(body) + "</body></html>\n")


def _metrics_section(results: dict[str, Any]) -> str:
    metrics = results["metrics"]
    rows = "".join(
        f"<tr><td>{escape(m['name'])}</td><td class=n>{m['value']:.4f}</td><td class=n>{m['k'] or '—'}</td>"
        f"<td class=n>{m['samples_per_problem']}</td><td class=n>{m['problems']}</td>"
        f"<td>{escape(m['description'])}</td><td>{escape(m['feedback_tests'])}</td>"
        f"<td>{escape(m['grading_tests'])}</td></tr>" for m in metrics)
    charts = []
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in metrics:
        if m["k"] or m["key"] == "solved_within_budget":
            groups[m["key"]].append(m)
    for key, items in groups.items():
        name = items[0]["name"] if len(items) == 1 else items[0]["name"].replace(f"{items[0]['k']}", "k", 1)
        charts.append(hbars([Bar(m["name"], m["value"]) for m in items], f"{name} — {key}", max_value=1.0,
                            fmt="{:.4f}"))
    note = ("<p class=muted>pass@k has three meanings and each is named: the <b>unbiased estimator</b> draws k of n "
            "samples; <b>any-of-k</b> reads the first k samples in submission order; <b>solved within budget</b> "
            "lets test results steer generation. Each row says which tests steered generation and which graded."
            "</p>")
    return ("<h2>Metrics</h2>" + note + "<table><tr><th>metric</th><th>value</th><th>k</th><th>n</th>"
            "<th>problems</th><th>definition</th><th>feedback tests</th><th>grading tests</th></tr>"
            + rows + "</table>" + "".join(charts))


def _verdict_section(results: dict[str, Any]) -> str:
    verdicts = results["verdicts"]
    if not verdicts:
        return ""
    rows = "".join(f"<tr><td><span style='color:{PALETTE.get(name, '#777')}'>■</span> {escape(name)}</td>"
                   f"<td class=n>{count}</td></tr>" for name, count in sorted(verdicts.items(), key=lambda kv: -kv[1]))
    return ("<h2>Verdicts</h2><p class=muted>Over every graded program. TIME_LIMIT is counted apart from "
            "WRONG_ANSWER.</p>" + stacked(verdicts, "verdict breakdown (all samples)")
            + "<table><tr><th>verdict</th><th>samples</th></tr>" + rows + "</table>")


def _time_section(results: dict[str, Any]) -> str:
    problems = results["problems"]
    if not any(p["mean_seconds"] for p in problems):
        return ""
    config = results["configuration"]
    values = [(p["task_id"], p["mean_seconds"], p["time_limit_seconds"]) for p in problems]
    return ("<h2>Time per problem</h2>"
            f"<p class=muted>Per-test limit T = max(floor {config['time_limit_floor_seconds']:g} s, "
            f"{config['time_limit_factor']:g} × the reference solution's runtime), calibrated per problem and "
            f"enforced as CPU time ({escape(config.get('time_limit_enforcement', ''))}).</p>"
            + columns(values, "mean wall seconds per sample, per problem"))


def _setup_section(results: dict[str, Any]) -> str:
    blocks = [("Configuration", results["configuration"]), ("Executor", results["executor"]),
              ("Host (evaluator)", results["host"]), ("Timing", results["timing"])]
    return "<h2>Setup</h2>" + "".join(
        f"<h3>{escape(name)}</h3><pre>{escape(json.dumps(value, indent=2, ensure_ascii=False))}</pre>"
        for name, value in blocks)


def _problems_section(results: dict[str, Any]) -> str:
    rows = []
    for p in results["problems"]:
        ref = p["reference"] or {}
        ref_text = (f"{ref['seconds']:.4f} s ({ref['outcome']}, {ref['source']})" if ref.get("seconds") is not None
                    else escape(str(ref.get("outcome", "—"))))
        verdicts = ", ".join(f"{escape(k)} {v}" for k, v in sorted(p["verdicts"].items()))
        rows.append(f"<tr><td>{escape(p['task_id'])}</td><td class=n>{p['c']}/{p['n']}</td><td>{verdicts}</td>"
                    f"<td class=n>{p['mean_seconds']:.4f}</td><td class=n>{p['time_limit_seconds']:g}</td>"
                    f"<td>{ref_text}</td></tr>")
    return ("<h2>Problems</h2><table><tr><th>task</th><th>c/n</th><th>verdicts</th><th>mean s</th>"
            "<th>limit s</th><th>reference</th></tr>" + "".join(rows) + "</table>")
