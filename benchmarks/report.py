"""Collects what `make bench` measured (benchmarks/out/*.json) into
benchmarks/results.json and the generated table of docs/benchmarks.md (between
its `results` markers): one row per figure, with the baseline measured in the
same run and the ratio where one exists. Benchmarks that did not run are left
out, and the table says which.

Usage: python benchmarks/report.py
"""

import datetime
import json
import os
import pathlib
import platform

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- results:begin (benchmarks/report.py writes this table) -->", "<!-- results:end -->"


def load(name):
    path = OUT / name
    return json.loads(path.read_text()) if path.exists() else None


def rows():
    """(benchmark, figure, value, baseline, ratio) rows; value and baseline are text."""
    found, missing = [], []
    latest = load("latest.json") or {}
    plan = latest.get("plan")
    if plan:
        found.append(("sweep planning", f"ns per plan[i], {plan['points']:,}-point grid vs 4,096-point grid",
                      f"{plan['ns_per_index']:.0f}", f"{plan['baseline_ns_per_index']:.0f}", plan["ratio"]))
    else:
        missing.append("sweep planning (assay-bench)")
    engine = latest.get("engine")
    if engine:
        per_trial = lambda seconds: f"{seconds / engine['trials'] * 1e3:.2f}"  # noqa: E731
        found.append(("trial engine", f"ms per trial of /bin/true ({engine['trials']}): engine vs bare posix_spawn loop",
                      per_trial(engine["engine_seconds"]), per_trial(engine["bare_seconds"]), engine["ratio"]))
    else:
        missing.append("trial engine (assay-bench)")
    store = latest.get("store")
    if store:
        for name, figures in store.items():
            found.append(("stores", f"{name}: create a 10^6-trial experiment vs a 10-trial one (ms)", f"{figures['create_1e6_ms']:.2f}",
                          f"{figures['create_10_ms']:.2f}", figures["create_1e6_ms"] / figures["create_10_ms"]))
        sqlite, mongo = store.get("sqlite", {}), store.get("mongodb (nx-27017)", {})
        for key, label in (("values_per_s_batched_8", "event values/s, batched, 8 runners"),
                           ("leases_per_s_8", "leases/s, 8 runners")):
            if key in sqlite and key in mongo:
                found.append(("stores", f"{label}: SQLite vs MongoDB (nx-27017)", f"{sqlite[key]:,.0f}", f"{mongo[key]:,.0f}",
                              sqlite[key] / mongo[key]))
        if "values_per_s_batched_8" in sqlite and "values_per_s_single" in sqlite:
            found.append(("stores", "SQLite values/s: batched vs one per write", f"{sqlite['values_per_s_batched_8']:,.0f}",
                          f"{sqlite['values_per_s_single']:,.0f}", sqlite["values_per_s_batched_8"] / sqlite["values_per_s_single"]))
    else:
        missing.append("stores (assay-bench)")
    ingest = load("ingest.json")
    if ingest:
        for row in ingest:
            if row.get("mode") == "batched" and "ratio_to_per_field" in row:
                per_field = row["values_per_s"] / row["ratio_to_per_field"]
                found.append(("event ingest", f"{row['store']}, {row['runners']} runners: values/s batched vs per-field",
                              f"{row['values_per_s']:,.0f}", f"{per_field:,.0f}", row["ratio_to_per_field"]))
    else:
        missing.append("event ingest")
    overhead = load("overhead.json")
    if overhead:
        for row in overhead:
            found.append(("per-trial overhead", f"{row['runners']} runner(s): ms per trial vs a bare shell loop",
                          f"{row['per_trial_ms']:.2f}", f"{row['bare_per_trial_ms']:.2f}", row["ratio_to_bare"]))
            if "server_cpu_per_trial_ms" in row:
                found.append(("per-trial overhead", f"{row['runners']} runner(s): server CPU ms per trial",
                              f"{row['server_cpu_per_trial_ms']:.2f}", "", None))
        found.append(("submit to first trial", "local executor: submit → first trial running (ms)",
                      f"{overhead[0]['submit_to_first_running_ms']:.0f}", "", None))
    else:
        missing.append("per-trial overhead")
    kube = load("kube.json")
    if kube:
        found.append(("kubernetes", f"{kube['experiments']} submits: API requests per experiment vs the floor (Job + Secret)",
                      f"{kube['requests_per_experiment']:.2f}", "2", kube["requests_ratio_to_floor"]))
        found.append(("kubernetes", f"{kube['experiments']} submits: all Jobs created (s)", f"{kube['all_jobs_created_s']:.2f}", "", None))
        if kube.get("idle_cpu_ratio") is not None:
            found.append(("kubernetes", "idle CPU %: Kubernetes executor vs local", f"{kube['idle_cpu_kubernetes_pct']:.3f}",
                          f"{kube['idle_cpu_local_pct']:.3f}", kube["idle_cpu_ratio"]))
    else:
        missing.append("kubernetes")
    first = load("first_trial.json")
    if first:
        found.append(("submit to first trial", f"median ms over {first['runs']} runs: Kubernetes executor vs local",
                      f"{first['kubernetes_median_ms']:.0f}", f"{first['local_median_ms']:.0f}", first["ratio_kubernetes_vs_local"]))
    else:
        missing.append("submit to first trial")
    scale = load("scale.json")
    if scale:
        size = f"{scale['experiments']:,} experiments / {scale['trials']:,} trials"
        found.append(("scale", f"RSS (MiB), {size} vs idle", f"{scale['full']['rss_mib']:.1f}", f"{scale['idle_rss_mib']:.1f}",
                      scale["ratio_rss_full_vs_idle"]))
        found.append(("scale", f"list page p50 (ms), {size} vs empty", f"{scale['full']['list_page']['p50_ms']:.2f}",
                      f"{scale['empty']['list_page']['p50_ms']:.2f}", scale["ratio_list_p50_full_vs_empty"]))
        found.append(("scale", "trials page by metric p50 (ms), 10,000 trials vs 100", f"{scale['full']['trial_page']['p50_ms']:.2f}",
                      f"{scale['empty']['trial_page']['p50_ms']:.2f}", scale["ratio_trial_page_p50_full_vs_empty"]))
        found.append(("scale", "trials stored through the Runner API (trials/s)", f"{scale['trials_per_s']:,.0f}", "", None))
    else:
        missing.append("scale")
    search = load("search.json")
    if search:
        for name, figures in search["strategies"].items():
            if name == "grid":
                continue
            if figures["ratio_epochs_to_target_vs_grid"] is not None:
                found.append(("search", f"{name}: epochs to the grid's best +1% vs grid ({figures['reached']}/{figures['of']} reached)",
                              f"{figures['mean_epochs_to_target']:.0f}", f"{search['strategies']['grid']['mean_epochs_to_target']:.0f}",
                              figures["ratio_epochs_to_target_vs_grid"]))
            found.append(("search", f"{name}: wall time of the whole search vs grid (s)", f"{figures['mean_wall_s']:.1f}",
                          f"{search['strategies']['grid']['mean_wall_s']:.1f}", figures["ratio_wall_vs_grid"]))
    else:
        missing.append("search")
    return found, missing


def main():
    found, missing = rows()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}"
    report = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "machine": machine,
              "rows": [{"benchmark": b, "figure": f, "value": v, "baseline": base or None, "ratio": r} for b, f, v, base, r in found],
              "not_run": missing, "raw": {p.stem: json.loads(p.read_text()) for p in sorted(OUT.glob("*.json"))}}
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [BEGIN, "", f"Generated {report['date']} on {machine} from what `benchmarks/out/` holds (the benchmarks run since it was last emptied).", "",
             "| benchmark | figure | value | baseline (same run) | ratio |", "|---|---|---|---|---|"]
    for benchmark, figure, value, baseline, ratio in found:
        lines.append(f"| {benchmark} | {figure} | {value} | {baseline or '—'} | {f'{ratio:.2f}×' if ratio is not None else '—'} |")
    if missing:
        lines += ["", f"Not run this time: {', '.join(missing)}."]
    lines += ["", END]
    text = DOC.read_text()
    table = "\n".join(lines)
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + table + text[text.index(END) + len(END):]
    else:
        marker = "\n## "
        at = text.index(marker) if marker in text else len(text)
        text = text[:at] + "\n## Latest run\n\n" + table + "\n" + text[at:]
    DOC.write_text(text)
    for benchmark, figure, value, baseline, ratio in found:
        print(f"{benchmark:22} {figure:70} {value:>12} {baseline or '—':>12} {f'{ratio:.2f}x' if ratio is not None else '—':>8}")
    print(f"written: benchmarks/results.json, docs/benchmarks.md ({len(found)} figures; not run: {', '.join(missing) or 'none'})")


if __name__ == "__main__":
    main()
