"""Trains a toy model: gradient descent on a one-dimensional quadratic whose curvature grows
with depth. A learning rate too large for that curvature makes training diverge."""

import math
import random


class Diverged(Exception):
    """The loss grew without bound: the learning rate is too large for this model."""


def train(lr: float, depth: int, seed: int, steps: int = 200) -> dict:
    rng = random.Random(seed)
    curvature = 0.5 * depth
    weight = 5.0 + rng.uniform(-1.0, 1.0)
    for step in range(steps):
        gradient = curvature * weight + rng.gauss(0.0, 0.01)
        weight -= lr * gradient
        if not math.isfinite(weight) or abs(weight) > 1e6:
            raise Diverged(f"diverged at step {step} (lr={lr}, depth={depth})")
    loss = 0.5 * curvature * weight * weight + 0.001 * depth
    return {"lr": lr, "depth": depth, "seed": seed, "steps": steps, "loss": loss}
