"""Accuracy against cycles for cycle-aware training on the digits example: for each hidden
width and cycle target, train (int4 weights), build with --optimize speed and measure every
test image in the emulated C64. Prints a Markdown table (docs/training.md quotes it).

    python tools/training_frontier.py [--widths 12,16,24,32] [--targets 14000,18000,...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from c64ml.backend6502.strategy import build_optimized
from c64ml.errors import C64mlError
from c64ml.model.dataset import load_dataset
from c64ml.train.mlp import TrainOptions, train
from c64ml.verify.verify import verify

DIGITS = Path(__file__).resolve().parent.parent / "examples" / "digits"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--widths", default="16,24,32")
    ap.add_argument("--targets", default="14000,18000,22000,26000,32000")
    ap.add_argument("--weights", default="int4")
    args = ap.parse_args()
    tr, te = load_dataset(DIGITS / "train.npz"), load_dataset(DIGITS / "test.npz")
    print("| hidden (after training) | target | estimate | measured mean | float | C64 | seconds |")
    print("|---|---|---|---|---|---|---|")
    for w in (int(v) for v in args.widths.split(",")):
        for t in (int(v) for v in args.targets.split(",")):
            t0 = time.perf_counter()
            try:
                r = train(tr, TrainOptions(hidden=(w,), weights=args.weights, target_cycles=t,
                                           fit_width=False))
            except C64mlError as e:
                print(f"| {w} | {t} | {e} | | | | |")
                continue
            secs = time.perf_counter() - t0
            v = verify(build_optimized(r.qmodel, "speed"), te, r.model)
            assert v.mismatches == 0
            print(f"| {w} ({r.qmodel.layers[0].n_out}) | {t:,} | {r.cycles:,.0f} | "
                  f"{v.cycles['mean']:,.0f} | {100 * v.accuracy['float']:.2f} % | "
                  f"{100 * v.accuracy['c64']:.2f} % | {secs:.1f} |", flush=True)


if __name__ == "__main__":
    main()
