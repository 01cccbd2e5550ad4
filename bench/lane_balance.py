"""Lane balance: what balanced (filter-wise equal) pruning buys and costs, on the demo CNN.

    python -m bench.lane_balance      (part of make bench; model only, no simulator)

1. Pre-trains the demo CNN (digits 1x8x8: conv 1->16, MP, conv 16->32, GAP, linear 32->10) in
   float NumPy (``sparsetrain.float_train.train_float``), dense.
2. For each pruning rule (threshold at the layer's magnitude quantile, balanced = every filter
   keeps the same number of weights) and sparsity: prune + quantize (the first conv stays dense, as
   in the demo), test accuracy of the integer model, then ``LB_EPOCHS`` epochs of fine-tuning of
   the kept weights on the bit-exact integer model (``verif.models.network.train_step_model``, batch 32, the
   accelerator's arithmetic), test accuracy again.
3. Lane efficiency of both rules on the *trained* kernels: this design's lanes (neighbouring
   output pixels of one weight, docs/uc_unit.md) do not depend on the per-filter counts; the
   deck's mapping (LANES output channels in parallel, each lane on its own filter) waits for the
   longest filter of each group: efficiency = sum(nnz_n) / (L * sum over groups of max nnz_n).

Writes build/bench/lane_balance.json and .md.  Knobs: LB_EPOCHS (default 1), LB_PRETRAIN (30),
LB_IMAGES (fine-tuning images, default all), QUICK=1 (85 % only, 320 images), SEED.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

OUT_DIR = ROOT / "build" / "bench"


def channel_lane_efficiency(counts: np.ndarray, lanes: int) -> float:
    """The deck's output-channel lanes: each group of ``lanes`` filters runs as long as its longest."""
    c = np.asarray(counts, dtype=np.int64)
    pad = (-len(c)) % lanes
    g = np.concatenate([c, np.zeros(pad, np.int64)]).reshape(-1, lanes)
    denom = lanes * g.max(axis=1).sum()
    return float(c.sum() / denom) if denom else 0.0


def main() -> int:
    from sklearn.datasets import load_digits
    from verif.models import quantize
    from sparsetrain.net import A_FRAC, Conv, Gap, Linear, MaxPool, Net, quantize_params
    from verif.models.network import infer_model, train_step_model
    try:
        from sparsetrain.float_train import train_float
    except ImportError:
        print("lane_balance: sparsetrain.float_train.train_float (float pre-training) not available", file=sys.stderr)
        return 1
    quick = os.environ.get("QUICK", "") not in ("", "0")
    epochs = int(os.environ.get("LB_EPOCHS", "1"))
    ft_images = int(os.environ.get("LB_IMAGES", "320" if quick else "0"))   # 0: every training image
    pre_epochs = int(os.environ.get("LB_PRETRAIN", "30"))
    seed = int(os.environ.get("SEED", "1"))
    sparsities = (0.85,) if quick else (0.85, 0.95)

    d = load_digits()
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(d.target))
    n_test = len(idx) // 5
    te, tr = idx[:n_test], idx[n_test:]
    xf = d.images[:, None] / 16.0
    xq = quantize(xf, A_FRAC)
    net = Net((1, 8, 8), [Conv(16), MaxPool(), Conv(32), Gap(), Linear(10)])
    t0 = time.time()
    dense, _ = train_float(net, net.init_float(np.random.default_rng(seed)), xf[tr], d.target[tr], pre_epochs,
                           32, 0.05, 0.9, np.random.default_rng(seed + 1))
    t_pre = time.time() - t0

    def acc(q):
        return float(np.mean(np.array(infer_model(net, q, xq[te])) == d.target[te]))

    q_dense = quantize_params(net, dense, 0.0)
    rows = [{"rule": "dense", "sparsity": 0.0, "acc_pruned": acc(q_dense)}]
    for sp in sparsities:
        for rule in ("threshold", "balanced"):
            q = quantize_params(net, dense, sp, rule)
            q.convs[0] = q_dense.convs[0]
            a0 = acc(q)
            t1 = time.time()
            order_rng = np.random.default_rng(seed + 2)
            ft = tr[:ft_images] if ft_images else tr
            for _ in range(epochs):
                perm = order_rng.permutation(ft)
                for s in range(0, len(perm), 32):
                    b = perm[s:s + 32]
                    q = train_step_model(net, q, xq[b], d.target[b], lr=0.05).params
            a1 = acc(q)
            sw = q.convs[2]
            counts = np.asarray(sw.fwd_count)
            rows.append({"rule": rule, "sparsity": sp, "actual_sparsity": round(float(sw.sparsity), 4),
                         "acc_pruned": a0, "acc_finetuned": a1, "finetune_s": round(time.time() - t1, 1),
                         "filter_nnz_min": int(counts.min()), "filter_nnz_max": int(counts.max()),
                         "filter_nnz_mean": round(float(counts.mean()), 2),
                         "deck_mapping_eff_L8": round(channel_lane_efficiency(counts, 8), 4),
                         "deck_mapping_eff_L32": round(channel_lane_efficiency(counts, 32), 4)})
            print(rows[-1], flush=True)
    out = {"finetune_images": ft_images or int(len(tr)), "pretrain_epochs": pre_epochs, "pretrain_s": round(t_pre, 1), "finetune_epochs": epochs,
           "train_images": int(len(tr)), "test_images": int(n_test), "rows": rows}
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "lane_balance.json").write_text(json.dumps(out, indent=1))
    md = [f"# Lane balance on the demo CNN (digits, {len(tr)} train / {n_test} test images)", "",
          f"Float pre-training {pre_epochs} epochs dense; then prune conv 16->32 (conv 1->16 stays dense), "
          f"quantize, fine-tune {epochs} epoch(s) of {ft_images or len(tr)} images on the bit-exact integer "
          "model (batch 32, lr 0.05). One seed, 359 test images: +-1.5 points is noise.", "",
          f"Dense integer model: test accuracy {rows[0]['acc_pruned']:.2%}.", "",
          "| rule | sparsity | actual | acc. after pruning | acc. after fine-tuning | nnz per filter min / mean / max | deck mapping eff. L=8 | L=32 | this design |",
          "|---|---|---|---|---|---|---|---|---|"]
    for r in rows[1:]:
        md.append(f"| {r['rule']} | {r['sparsity']} | {r['actual_sparsity']} | {r['acc_pruned']:.2%} | "
                  f"{r['acc_finetuned']:.2%} | {r['filter_nnz_min']} / {r['filter_nnz_mean']} / {r['filter_nnz_max']} | "
                  f"{r['deck_mapping_eff_L8']:.3f} | {r['deck_mapping_eff_L32']:.3f} | independent of the counts |")
    (OUT_DIR / "lane_balance.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
