#!/usr/bin/env python3
"""Charts of the benchmark results: docs/bench/*.csv -> docs/bench/*.png.

    python bench/plot.py [--out DIR]

bench/run.py writes docs/bench/stack.csv and bench/scale.py docs/bench/scale.csv and
rollouts.csv; both call this at the end, so the charts always match the committed numbers.
"""
import argparse
import csv
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

DATA = pathlib.Path(__file__).resolve().parent.parent / "docs" / "bench"


def rows(name):
    path = DATA / name
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def stack_chart(out):
    data = rows("stack.csv")
    if not data:
        return None
    labels = {"pyfleet": "pyfleet (nginx)", "caddy": "pyfleet (Caddy)", "seeds": "seeds (hand-written)"}
    names = [labels.get(r["stack"], r["stack"]) for r in data]
    rps = [float(r["rps"]) for r in data]
    seeds = next((float(r["rps"]) for r in data if r["stack"] == "seeds"), None)
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    bars = ax.barh(names, rps, color=["#2b6cb0" if r["stack"] != "seeds" else "#a0aec0" for r in data])
    for bar, value in zip(bars, rps):
        text = f"{value:.0f} req/s" + (f"  ({value / seeds:.2f}x)" if seeds and value != seeds else "")
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, "  " + text, va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, max(rps) * 1.45)
    ax.set_xlabel("requests per second (wrk, 32 connections, 2 uWSGI containers, same machine)")
    ax.set_title("The same Flask app: deployed stack vs the seeds' stack")
    fig.tight_layout()
    path = out / "stack.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def scale_chart(out):
    data = rows("scale.csv")
    if not data:
        return None
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    series = [("floor_s", "floor: bare ssh + docker load", ":"), ("distribute_s", "distribute (archive)", "-"),
              ("noop_s", "no-op re-run", "-"), ("rollout_s", "rollout under load, batches of 50 %", "--")]
    for strategy in sorted({r["strategy"] for r in data}):
        mine = sorted((r for r in data if r["strategy"] == strategy), key=lambda r: int(r["pool_hosts"]))
        hosts = [int(r["pool_hosts"]) for r in mine]
        for key, label, style in series:
            if key in mine[0] and all(r.get(key) for r in mine):
                ax.plot(hosts, [float(r[key]) for r in mine], style, marker="o",
                        label=label if strategy == "archive" else f"{label} ({strategy})")
        ax.set_xticks(hosts)
    ax.set_xlabel("pool hosts (test fleet on one 2-core machine)")
    ax.set_ylabel("seconds")
    ax.set_title("Fleet cost as hosts grow")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = out / "scale.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=DATA)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for chart in (stack_chart, scale_chart):
        path = chart(args.out)
        if path:
            print(path)


if __name__ == "__main__":
    main()
