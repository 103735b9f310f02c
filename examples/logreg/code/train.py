"""Logistic regression trained by mini-batch SGD on a generated data set.

Standard library only. Reads its hyperparameters from a JSON or INI config
file (``train.py config.json``), from ``--name=value`` arguments, or from
environment variables, reports loss and accuracy per epoch as ``@assay``
lines and writes the final metrics to ``result.csv``.
"""

import configparser
import json
import math
import os
import random
import sys
import time

DEFAULTS = {
    "lr": 0.1, "epochs": 10, "batch_size": 16, "l2": 0.0,
    "features": 8, "samples": 400, "noise": 0.5, "seed": 1,
    "epoch_seconds": 0.0,  # sleep per epoch: stands in for a costlier model (benchmarks)
}


def read_parameters(argv):
    params = dict(DEFAULTS)
    for name in DEFAULTS:  # format: env
        if name in os.environ:
            params[name] = os.environ[name]
    for arg in argv:
        if arg.startswith("--") and "=" in arg:  # format: args
            name, value = arg[2:].split("=", 1)
            params[name] = value
        elif arg.endswith(".json"):
            with open(arg) as f:
                params.update(json.load(f))
        elif arg.endswith(".ini"):
            parser = configparser.ConfigParser()
            parser.read(arg)
            params.update(parser["parameters"])
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        sys.exit(f"unknown parameters: {', '.join(sorted(unknown))}")
    ints = {"epochs", "batch_size", "features", "samples", "seed"}
    return {k: int(v) if k in ints else float(v) for k, v in params.items()}


def make_data(rng, samples, features, noise):
    truth = [rng.gauss(0, 1) for _ in range(features)]
    rows = []
    for _ in range(samples):
        x = [rng.gauss(0, 1) for _ in range(features)]
        margin = sum(w * v for w, v in zip(truth, x)) + rng.gauss(0, noise)
        rows.append((x, 1.0 if margin > 0 else 0.0))
    return rows


def sigmoid(z):
    if z < -30:
        return 0.0
    if z > 30:
        return 1.0
    return 1.0 / (1.0 + math.exp(-z))


def evaluate(weights, bias, rows):
    loss, correct = 0.0, 0
    for x, y in rows:
        p = sigmoid(sum(w * v for w, v in zip(weights, x)) + bias)
        p = min(max(p, 1e-12), 1 - 1e-12)
        loss -= y * math.log(p) + (1 - y) * math.log(1 - p)
        correct += (p >= 0.5) == (y == 1.0)
    return loss / len(rows), correct / len(rows)


def main():
    params = read_parameters(sys.argv[1:])
    rng = random.Random(params["seed"])
    rows = make_data(rng, params["samples"], params["features"], params["noise"])
    split = int(len(rows) * 0.75)
    train, test = rows[:split], rows[split:]
    weights, bias = [0.0] * params["features"], 0.0
    lr, l2, batch = params["lr"], params["l2"], params["batch_size"]

    for epoch in range(1, params["epochs"] + 1):
        rng.shuffle(train)
        for start in range(0, len(train), batch):
            chunk = train[start:start + batch]
            grad_w, grad_b = [0.0] * len(weights), 0.0
            for x, y in chunk:
                error = sigmoid(sum(w * v for w, v in zip(weights, x)) + bias) - y
                for i, v in enumerate(x):
                    grad_w[i] += error * v
                grad_b += error
            for i in range(len(weights)):
                weights[i] -= lr * (grad_w[i] / len(chunk) + l2 * weights[i])
            bias -= lr * grad_b / len(chunk)
        loss, accuracy = evaluate(weights, bias, test)
        time.sleep(params["epoch_seconds"])
        print("@assay " + json.dumps({"step": epoch, "loss": round(loss, 6), "accuracy": accuracy}), flush=True)

    with open("result.csv", "w") as f:
        f.write("accuracy,loss\n")
        f.write(f"{accuracy},{loss:.6f}\n")


if __name__ == "__main__":
    main()
