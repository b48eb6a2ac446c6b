"""PyTorch twin of bench-models.ts / bench-steps.ts for the training benchmark (npm run bench).

Times SGD, SAM, m-SAM, 8-SAM and 16-SAM steps (m-SAM as a loop over sub-batches, as the official code does) of ResNet-20 (16-32-64) or PreAct ResNet-18 (width w) on a batch of random
CIFAR-sized images on this CPU and prints one JSON object. BatchNorm is in training mode, as in the tfjs
models; the steps are the same plain updates (no momentum). Usage:
  python3 pytorch_training_bench.py --model resnet20 --batch 128 --sub-batches 4 --warmup 1 --sgd 3 --sam 3 --msam 3
"""
import argparse
import json
import os
import resource
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as error:  # the benchmark skips PyTorch with a note
    print(json.dumps({"error": f"torch not importable: {error}"}))
    sys.exit(0)


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = (
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            if stride != 1 or cin != cout
            else nn.Identity()
        )

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class ResNet20(nn.Module):
    def __init__(self, widths=(16, 32, 64)):
        super().__init__()
        self.stem = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(widths[0])
        blocks, cin = [], widths[0]
        for stage, width in enumerate(widths):
            for b in range(3):
                blocks.append(Basic(cin, width, 2 if stage > 0 and b == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(widths[-1], 10)

    def forward(self, x):
        return self.fc(self.blocks(F.relu(self.bn(self.stem(x)))).mean((2, 3)))


class PreActBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False) if stride != 1 or cin != cout else None

    def forward(self, x):
        activated = F.relu(self.bn1(x))
        shortcut = self.shortcut(activated) if self.shortcut is not None else x
        return self.conv2(F.relu(self.bn2(self.conv1(activated)))) + shortcut


class PreActResNet(nn.Module):
    """PreAct ResNet-18 (per_stage=2) or the 1-block PreAct ResNet-10 (per_stage=1) of widths w-2w-4w-8w."""

    def __init__(self, width, per_stage=2):
        super().__init__()
        widths = [width, 2 * width, 4 * width, 8 * width]
        self.stem = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        blocks, cin = [], width
        for stage, w in enumerate(widths):
            for b in range(per_stage):
                blocks.append(PreActBlock(cin, w, 2 if stage > 0 and b == 0 else 1))
                cin = w
        self.blocks = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(widths[-1])
        self.fc = nn.Linear(widths[-1], 10)

    def forward(self, x):
        return self.fc(F.relu(self.bn(self.blocks(self.stem(x)))).mean((2, 3)))


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def build(name):
    if name == "resnet20":
        return ResNet20()
    if name.startswith("preact18-w"):
        return PreActResNet(int(name[len("preact18-w"):]), 2)
    if name.startswith("preact10-w"):
        return PreActResNet(int(name[len("preact10-w"):]), 1)
    raise SystemExit(f"unknown model {name}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--sub-batches", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--sgd", type=int, default=3)
    parser.add_argument("--sam", type=int, default=3)
    parser.add_argument("--msam", type=int, default=3)
    parser.add_argument("--msam8", type=int, default=0)
    parser.add_argument("--msam16", type=int, default=0)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = build(args.model)
    params = [p for p in model.parameters()]
    x = torch.randn(args.batch, 3, 32, 32)
    y = torch.randint(0, 10, (args.batch,))
    lr, rho = 0.01, 0.05

    def gradients(images, labels):
        return torch.autograd.grad(F.cross_entropy(model(images), labels), params)

    def descend(grads):
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(lr * g)

    def perturbed(images, labels):
        ascent = gradients(images, labels)
        norm = torch.norm(torch.stack([g.norm() for g in ascent]))
        deltas = [g * (rho / (norm + 1e-12)) for g in ascent]
        with torch.no_grad():
            for p, d in zip(params, deltas):
                p.add_(d)
        descent = gradients(images, labels)
        with torch.no_grad():
            for p, d in zip(params, deltas):
                p.sub_(d)
        return descent

    def sgd():
        descend(gradients(x, y))

    def sam():
        descend(perturbed(x, y))

    def msam_with(m):
        total = None
        for start in range(0, args.batch, m):
            grads = perturbed(x[start:start + m], y[start:start + m])
            total = list(grads) if total is None else [t + g for t, g in zip(total, grads)]
        descend([t / (args.batch // m) for t in total])

    def msam():
        msam_with(args.batch // args.sub_batches)

    result = {
        "backend": f"pytorch {torch.__version__}",
        "threads": torch.get_num_threads(),
        "model": args.model,
        "parameters": sum(p.numel() for p in params),
        "batch": args.batch,
        "steps": {},
    }
    kinds = (
        ("sgd", sgd, args.sgd),
        ("sam", sam, args.sam),
        ("msam", msam, args.msam),
        ("msam8", lambda: msam_with(8), args.msam8),
        ("msam16", lambda: msam_with(16), args.msam16),
    )
    for kind, step, count in kinds:
        if count <= 0:
            continue
        for _ in range(args.warmup):
            step()
        seconds, cpu_seconds = [], []
        for _ in range(count):
            usage = resource.getrusage(resource.RUSAGE_SELF)
            cpu_start = usage.ru_utime + usage.ru_stime
            start = time.perf_counter()
            step()
            seconds.append(time.perf_counter() - start)
            usage = resource.getrusage(resource.RUSAGE_SELF)
            cpu_seconds.append(usage.ru_utime + usage.ru_stime - cpu_start)
        result["steps"][kind] = {
            "seconds": seconds,
            "cpuSeconds": cpu_seconds,
            "imagesPerSecond": args.batch / median(seconds),
            "imagesPerCpuSecond": args.batch / median(cpu_seconds),
        }
    result["peakRssMiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
