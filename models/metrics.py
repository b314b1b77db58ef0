"""Accuracy of the fixed-point decoder against the float reference over a greedy generation.

The float model generates greedily; the fixed model is then fed the same tokens
(teacher forcing) so every position compares logits for the same context, and one
early disagreement does not turn the rest of the run into a comparison of different
texts. A free-running fixed generation is also reported (tokens until the first
difference).
"""
from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass

import numpy as np

from llama_dv.models.checkpoint import FloatWeights
from llama_dv.models.config import named_config
from llama_dv.models.llama_fixed import QuantizedModel, logits_to_float
from llama_dv.models.llama_float import FloatModel
from llama_dv.models.tinymodel import tiny_weights


@dataclass(frozen=True)
class Accuracy:
    positions: int
    logit_mse: float      # mean over positions and vocabulary of (fixed - float)^2
    max_abs_error: float  # largest |fixed - float| logit difference
    top1: float           # fraction of positions where the argmaxes agree
    top5: float           # fraction where the fixed argmax is within the float top-5
    free_run_match: int   # greedy tokens identical before the first difference


def measure(weights: FloatWeights, prompt: list[int], n_tokens: int) -> Accuracy:
    """Compare fixed and float logits at every position of a float greedy generation."""
    float_model = FloatModel(weights)
    fixed_model = QuantizedModel.from_float(weights)
    reference = float_model.generate(prompt, n_tokens)
    fixed_tokens = fixed_model.generate(prompt, n_tokens)
    tokens = (list(prompt) + reference)[: len(prompt) + n_tokens - 1]
    float_model.reset()
    fixed_model.reset()
    sq, worst, top1, top5 = [], 0.0, 0, 0
    for pos, token in enumerate(tokens):
        ref = float_model.forward(token, pos)
        got = logits_to_float(fixed_model.forward(token, pos))
        sq.append(np.mean((got - ref) ** 2))
        worst = max(worst, float(np.max(np.abs(got - ref))))
        best = int(np.argmax(got))
        top1 += best == int(np.argmax(ref))
        top5 += best in np.argsort(-ref, kind="stable")[:5]
    match = next((i for i, (a, b) in enumerate(zip(reference, fixed_tokens)) if a != b), len(reference))
    n = len(tokens)
    return Accuracy(positions=n, logit_mse=float(np.mean(sq)), max_abs_error=worst,
                    top1=top1 / n, top5=top5 / n, free_run_match=match)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fixed-point vs float accuracy on random tiny models.")
    parser.add_argument("--config", default="small")
    parser.add_argument("--seeds", default="1,2,3,4,5,6,7,8", help="comma-separated weight seeds")
    parser.add_argument("--prompt", default="1", help="comma-separated prompt token ids")
    parser.add_argument("--tokens", type=int, default=None, help="tokens to generate (default: fill seq_len)")
    args = parser.parse_args(argv)
    cfg = named_config(args.config)
    prompt = [int(t) for t in args.prompt.split(",")]
    n_tokens = args.tokens if args.tokens is not None else cfg.seq_len - len(prompt) + 1
    rows = []
    print(f"config {args.config}: {cfg.to_dict()}; prompt {prompt}; {n_tokens} generated tokens")
    print(f"{'seed':>4} {'positions':>9} {'logit_mse':>10} {'max_abs':>8} {'top1':>6} {'top5':>6} {'free_run':>8}")
    for seed in (int(s) for s in args.seeds.split(",")):
        acc = measure(tiny_weights(cfg, seed), prompt, n_tokens)
        rows.append(acc)
        print(f"{seed:>4} {acc.positions:>9} {acc.logit_mse:>10.2e} {acc.max_abs_error:>8.4f} "
              f"{acc.top1:>6.3f} {acc.top5:>6.3f} {acc.free_run_match:>8}")
    mean = {k: float(np.mean([asdict(r)[k] for r in rows])) for k in ("logit_mse", "max_abs_error", "top1", "top5")}
    print(f"{'all':>4} {sum(r.positions for r in rows):>9} {mean['logit_mse']:>10.2e} "
          f"{max(r.max_abs_error for r in rows):>8.4f} {mean['top1']:>6.3f} {mean['top5']:>6.3f}")


if __name__ == "__main__":
    main()
