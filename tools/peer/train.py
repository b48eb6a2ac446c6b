#!/usr/bin/env python3
"""PyTorch reference trainer of the parity check (issue 12 part 1); our own code, written for this project.

Trains the network of an export directory (tools/peer/export.ts) from the exported initial weights, on the
exported training subset in the exported batch order, with ERM, SAM or m-SAM as our trainer does:
  - PreAct ResNet, one block per stage (architecture.ts), BatchNorm momentum 0.1, eps 1e-5;
  - SGD with momentum 0.9 (buf = 0.9 buf + g; w -= lr buf), the learning rate of every step from the schedule;
  - weight decay as 0.5 lambda ||w||^2 inside the objective (g += lambda w in every pass, ascent included);
  - SAM: for each sub-batch k of m examples, delta_k = rho g_k / (||g_k|| + 1e-12) with g_k the gradient of the
    objective at w on that sub-batch (one global norm over all parameters), descent gradient at w + delta_k,
    gradients averaged over the sub-batches; BatchNorm batch statistics per sub-batch and running statistics
    updated in both passes ("both-passes"), sub-batch by sub-batch;
  - the reported training loss of a step is the mean data loss at w (the ascent passes for SAM).
Writes OUT.json: per-step losses (the first --record-steps) and the final test error (eval mode, the full exported
test set) and train error (the exported evaluation subset and the whole training subset).

  /usr/bin/python3 tools/peer/train.py --export DIR --method erm|sam|msam8 --out FILE [--epochs E] [--steps N]
"""
import argparse
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class PreActBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride, momentum, eps):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_channels, eps=eps, momentum=momentum)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(out_channels, eps=eps, momentum=momentum)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.shortcut = None
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Conv2d(in_channels, out_channels, 1, stride, 0, bias=False)

    def forward(self, x):
        activated = F.relu(self.norm1(x))
        shortcut = self.shortcut(activated) if self.shortcut is not None else x
        out = self.conv1(activated)
        out = self.conv2(F.relu(self.norm2(out)))
        return out + shortcut


class PreActResNet(nn.Module):
    def __init__(self, blocks, width, classes, momentum, eps):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        stages = []
        in_channels = width
        for stage, count in enumerate(blocks):
            out_channels = width * 2 ** stage
            layers = []
            for index in range(count):
                stride = 2 if index == 0 and stage > 0 else 1
                layers.append(PreActBlock(in_channels, out_channels, stride, momentum, eps))
                in_channels = out_channels
            stages.append(nn.Sequential(*layers))
        self.stages = nn.Sequential(*stages)
        self.head_norm = nn.BatchNorm2d(in_channels, eps=eps, momentum=momentum)
        self.linear = nn.Linear(in_channels, classes)

    def forward(self, x):
        h = self.stages(self.stem(x))
        h = F.relu(self.head_norm(h))
        return self.linear(h.mean(dim=(2, 3)))


def load_export(directory):
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    if manifest.get("format") != "sam-repro/peer-export@1":
        raise SystemExit(f"error: --export {directory}: manifest format {manifest.get('format')!r}; expected sam-repro/peer-export@1")

    def read(name, dtype):
        return np.fromfile(os.path.join(directory, name), dtype=dtype)

    scale = manifest["inputs"]["scale"]

    def images(name, count):
        pixels = read(name, np.uint8).reshape(count, 32, 32, 3)
        # Ours: float32(pixel * (1/255)) with the product in float64; the same here, then NHWC -> NCHW.
        return torch.from_numpy((pixels.astype(np.float64) * scale).astype(np.float32).transpose(0, 3, 1, 2).copy())

    data = {
        "train_x": images("train-images.u8", manifest["trainCount"]),
        "train_y": torch.from_numpy(read("train-labels.i32", np.int32).astype(np.int64)),
        "test_x": images("test-images.u8", manifest["testCount"]),
        "test_y": torch.from_numpy(read("test-labels.i32", np.int32).astype(np.int64)),
        "order": read("batch-order.i32", np.int32).reshape(-1, manifest["trainCount"]),
        "eval_train": torch.from_numpy(read("eval-train-indices.i32", np.int32).astype(np.int64)),
    }
    state = {}
    for tensor in manifest["tensors"]:
        values = read(os.path.join("weights", tensor["torchName"] + ".f32"), np.float32)
        state[tensor["torchName"]] = torch.from_numpy(values.reshape(tensor["torchShape"]).copy())
    return manifest, data, state


def learning_rate(schedule, max_lr, t, epochs):
    """The schedule at fractional epoch t (schedule.ts): cosine lr (0.5 + 0.5 cos(pi t / E)), piecewise, constant."""
    if schedule == "cosine":
        return max_lr * (0.5 + 0.5 * math.cos(math.pi * t / epochs))
    if schedule == "piecewise":
        fraction = t / epochs
        return max_lr if fraction < 0.5 else max_lr / 10 if fraction < 0.75 else max_lr / 100
    return max_lr


def objective_gradients(model, params, x, y, weight_decay):
    """Data loss at the current weights and the gradient of loss + 0.5 lambda ||w||^2 (train mode: BN updates)."""
    loss = F.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, params)
    return loss.detach(), [g + weight_decay * p.detach() for g, p in zip(grads, params)]


def sam_gradients(model, params, x, y, weight_decay, rho, m, epsilon=1e-12, ascent_weight_decay=True):
    """m-SAM: per sub-batch of m its own normalized perturbation; gradients at the perturbed points averaged."""
    parts = x.shape[0] // m
    saved = [p.detach().clone() for p in params]
    total = [torch.zeros_like(p) for p in params]
    loss_sum = 0.0
    for k in range(parts):
        xs, ys = x[k * m:(k + 1) * m], y[k * m:(k + 1) * m]
        with torch.no_grad():
            for p, w in zip(params, saved):
                p.copy_(w)
        loss, ascent = objective_gradients(model, params, xs, ys, weight_decay if ascent_weight_decay else 0.0)
        loss_sum += loss.item()
        norm = torch.sqrt(sum((g * g).sum() for g in ascent))
        factor = rho / (norm + epsilon)
        with torch.no_grad():
            for p, w, g in zip(params, saved, ascent):
                p.copy_(w + g * factor)
        _, descent = objective_gradients(model, params, xs, ys, weight_decay)
        total = [t + g for t, g in zip(total, descent)]
    with torch.no_grad():
        for p, w in zip(params, saved):
            p.copy_(w)
    return loss_sum / parts, [t / parts for t in total]


@torch.no_grad()
def evaluate(model, x, y, batch=500):
    model.eval()
    wrong = 0
    loss_sum = 0.0
    for start in range(0, x.shape[0], batch):
        logits = model(x[start:start + batch])
        loss_sum += F.cross_entropy(logits, y[start:start + batch], reduction="sum").item()
        wrong += (logits.argmax(1) != y[start:start + batch]).sum().item()
    model.train()
    return wrong / x.shape[0], loss_sum / x.shape[0]


# Deliberate differences from our trainer, each a plausible porting mistake: does the step-loss rule catch it?
VARIATIONS = {
    "no-weight-decay": "lambda = 0 instead of 5e-4",
    "momentum-0.85": "momentum 0.85 instead of 0.9",
    "lr-previous-step": "the learning rate of step i taken at fractional epoch epoch + i / steps (one step late)",
    "rho-0.09": "SAM radius 0.09 instead of 0.1",
    "ascent-without-weight-decay": "the SAM ascent gradient without the weight-decay term",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", required=True)
    parser.add_argument("--method", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=None, help="epochs to train (default: the config's)")
    parser.add_argument("--steps", type=int, default=None, help="stop after this many steps (the 50-step check)")
    parser.add_argument("--record-steps", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--float64", action="store_true", help="train in float64 (how far float32 rounding alone moves the losses)")
    parser.add_argument("--dump-state", default=None, help="write the final state_dict as DIR/<name>.f32 (float32)")
    parser.add_argument("--compare-state", default=None,
                        help="a directory of our tensors after the same steps (state-after-steps.ts): per-tensor relative difference")
    parser.add_argument("--variation", choices=sorted(VARIATIONS), default=None,
                        help="train with one deliberate difference from our trainer (shows what the step-loss rule detects)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    manifest, data, state = load_export(args.export)
    if args.method not in manifest["methods"]:
        raise SystemExit(f"error: --method {args.method!r}: allowed {', '.join(manifest['methods'])}")
    config = manifest["config"]
    sam = manifest["methods"][args.method]["sam"]
    epochs = args.epochs if args.epochs is not None else config["epochs"]
    if not 1 <= epochs <= config["epochs"]:
        raise SystemExit(f"error: --epochs {epochs}: allowed 1..{config['epochs']} (the exported batch orders)")
    blocks = {"resnet_tiny": [1, 1, 1, 1], "resnet18": [2, 2, 2, 2]}.get(config["model"])
    if blocks is None:
        raise SystemExit(f"error: model {config['model']!r}: the reference has resnet_tiny and resnet18")

    bn = manifest["batchNorm"]
    model = PreActResNet(blocks, config["width"], manifest["classes"], bn["momentum"], bn["epsilon"])
    loaded = model.load_state_dict(state, strict=False)
    missing = [k for k in loaded.missing_keys if not k.endswith("num_batches_tracked")]
    if missing or loaded.unexpected_keys:
        raise SystemExit(f"error: --export {args.export}: tensors missing {missing}, unexpected {loaded.unexpected_keys}")
    if args.float64:
        model.double()
        for key in ("train_x", "test_x"):
            data[key] = data[key].double()
    model.train()
    params = [p for p in model.parameters()]
    optimizer = torch.optim.SGD(params, lr=config["learningRate"], momentum=config["momentum"], dampening=0, weight_decay=0)

    batch_size = config["batchSize"]
    steps_per_epoch = manifest["stepsPerEpoch"]
    variant = sam["variant"]
    m = sam.get("m") or batch_size
    rho = sam.get("rho", 0.0)
    weight_decay = config["weightDecay"]
    momentum = config["momentum"]
    if args.variation == "no-weight-decay":
        weight_decay = 0.0
    if args.variation == "momentum-0.85":
        momentum = 0.85
    if args.variation == "rho-0.09":
        rho = 0.09
    for group in optimizer.param_groups:
        group["momentum"] = momentum
    lr_offset = 0 if args.variation == "lr-previous-step" else 1
    losses = []
    step = 0
    started = time.time()
    stop = False
    for epoch in range(epochs):
        order = torch.from_numpy(data["order"][epoch].astype(np.int64))
        for i in range(steps_per_epoch):
            lr = learning_rate(config["schedule"], config["learningRate"], epoch + (i + lr_offset) / steps_per_epoch, config["epochs"])
            exported = manifest["learningRates"][step]
            if args.variation != "lr-previous-step" and abs(lr - exported) > 1e-12 * max(1.0, abs(exported)):
                raise SystemExit(f"error: step {step + 1}: learning rate {lr} differs from the exported {exported}")
            for group in optimizer.param_groups:
                group["lr"] = lr
            indices = order[i * batch_size:(i + 1) * batch_size]
            x, y = data["train_x"][indices], data["train_y"][indices]
            if variant == "sgd":
                loss, grads = objective_gradients(model, params, x, y, weight_decay)
                loss = loss.item()
            elif variant == "sam" and sam.get("ascentBatch", "same") == "same":
                loss, grads = sam_gradients(model, params, x, y, weight_decay, rho, m, ascent_weight_decay=args.variation != "ascent-without-weight-decay")
            else:
                raise SystemExit(f"error: method {args.method}: variant {variant!r} is not in the reference (sgd, sam)")
            for p, g in zip(params, grads):
                p.grad = g
            optimizer.step()
            step += 1
            if step <= args.record_steps:
                losses.append(loss)
            if not math.isfinite(loss):
                stop = True
            if args.steps is not None and step >= args.steps:
                stop = True
            if stop:
                break
        elapsed = time.time() - started
        print(f"{args.method} seed {manifest['seed']}: epoch {epoch + 1}/{epochs}, step {step}, loss {loss:.4f}, {elapsed:.0f} s", file=sys.stderr, flush=True)
        if stop:
            break

    result = {
        "method": args.method,
        "seed": manifest["seed"],
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "dtype": "float64" if args.float64 else "float32",
        "variation": args.variation,
        "steps": step,
        "epochs": epochs if not stop or args.steps is None else None,
        "losses": losses,
        "seconds": time.time() - started,
    }
    if args.steps is None:
        test_error, test_loss = evaluate(model, data["test_x"], data["test_y"])
        eval_x, eval_y = data["train_x"][data["eval_train"]], data["train_y"][data["eval_train"]]
        train_eval_error, _ = evaluate(model, eval_x, eval_y)
        train_error, _ = evaluate(model, data["train_x"], data["train_y"])
        result.update({"testError": test_error, "testLoss": test_loss, "trainEvalError": train_eval_error, "trainError": train_error})
    if args.dump_state is not None:
        os.makedirs(args.dump_state, exist_ok=True)
        for name, tensor in model.state_dict().items():
            if not name.endswith("num_batches_tracked"):
                tensor.detach().float().numpy().tofile(os.path.join(args.dump_state, name + ".f32"))
    if args.compare_state is not None:
        # max |ours - reference| / max |reference| per tensor (weights and BatchNorm running statistics).
        differences = {}
        for name, tensor in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            ours = torch.from_numpy(np.fromfile(os.path.join(args.compare_state, name + ".f32"), dtype=np.float32).reshape(tensor.shape))
            reference = tensor.detach().float()
            differences[name] = ((ours - reference).abs().max() / reference.abs().max().clamp_min(1e-30)).item()
        result["stateDifference"] = differences
        worst = max(differences, key=differences.get)
        print(f"state after {step} steps: largest relative difference {differences[worst]:.2e} ({worst})", file=sys.stderr)
    directory = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(directory, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=directory, delete=False, suffix=".tmp") as f:
        json.dump(result, f, indent=1)
    os.replace(f.name, args.out)


if __name__ == "__main__":
    main()
