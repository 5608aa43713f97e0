"""Pretrain the bundled backbone on the generated source shapes: `python -m cs_utils.pretrain`.

With the defaults this reproduces cs_utils/weights/backbone.pt and its record backbone.json
(seed, data, schedule, time and accuracies). The run is seeded; on the same torch version and
number of CPU threads it gives the same weights again, elsewhere nearly the same accuracy.
It takes three to five minutes on one CPU thread (the default), less on a GPU.

    python -m cs_utils.pretrain                          # the shipped weights
    python -m cs_utils.pretrain --epochs 1 --num-train-per-class 50 --out small.pt --record small.json
"""

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from cs_utils.backbone import DEFAULT_WIDTHS, RECORD_PATH, WEIGHTS_PATH, ResNet
from cs_utils.transfer_data import IMAGE_SIZE, INPUT_MEAN, INPUT_STD, SOURCE_SHAPES, make_loader, make_shapes, to_tensor

# Offsets of the data seeds from the run's seed, so train, val and test never share images.
DATA_SEED_OFFSETS = {"train": 0, "val": 1, "test": 2}


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m cs_utils.pretrain", description=__doc__.splitlines()[0])
    parser.add_argument("--num-train-per-class", type=int, default=5000)
    parser.add_argument("--num-val-per-class", type=int, default=100)
    parser.add_argument("--num-test-per-class", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=0.1, help="peak of the one-cycle schedule")
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--widths", type=int, nargs=3, default=list(DEFAULT_WIDTHS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (the exact weights depend on it)")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH, help="weights file to write")
    parser.add_argument("--record", type=Path, default=RECORD_PATH, help="JSON record to write")
    parser.add_argument("--quiet", action="store_true")
    return parser


def source_split(split, num_per_class, seed):
    """Normalised images (N, 3, S, S) float32 and labels (N,) int64 of one split of the source."""
    images, labels = make_shapes(SOURCE_SHAPES, num_per_class, seed=seed + DATA_SEED_OFFSETS[split])
    return to_tensor(images), torch.from_numpy(labels)


@torch.no_grad()
def accuracy(model, inputs, labels, device, batch_size=500):
    """Fraction of correctly classified examples, in eval mode."""
    model.eval()
    correct = 0
    for start in range(0, len(inputs), batch_size):
        scores = model(inputs[start:start + batch_size].to(device))
        correct += (scores.argmax(dim=1).cpu() == labels[start:start + batch_size]).sum().item()
    return correct / len(inputs)


def pretrain(args, log=print):
    """Train a ResNet on the source shapes as args say; returns (model on the CPU, record dict)."""
    started = time.time()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    train_inputs, train_labels = source_split("train", args.num_train_per_class, args.seed)
    val_inputs, val_labels = source_split("val", args.num_val_per_class, args.seed)
    loader = make_loader(train_inputs, train_labels, args.batch_size, shuffle=True, seed=args.seed)
    log(f"device {device}; {len(train_inputs)} training images generated in {time.time() - started:.1f} s")

    model = ResNet(num_classes=len(SOURCE_SHAPES), widths=tuple(args.widths)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.learning_rate, momentum=0.9, nesterov=True,
                                weight_decay=args.weight_decay)
    total_steps = args.epochs * len(loader)
    # The warm-up takes 20% of the steps, and at least two so that tiny runs work too.
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.learning_rate, total_steps=total_steps,
                                                   pct_start=max(0.2, 2.0 / total_steps))
    train_losses, val_accuracies = [], []
    for epoch in range(args.epochs):
        model.train()
        total_loss = 0.0
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item() * len(labels)
        train_losses.append(total_loss / len(train_inputs))
        val_accuracies.append(accuracy(model, val_inputs, val_labels, device))
        log(f"epoch {epoch + 1}/{args.epochs}: training loss {train_losses[-1]:.4f}, "
            f"validation accuracy {val_accuracies[-1]:.4f} ({time.time() - started:.0f} s)")

    test_inputs, test_labels = source_split("test", args.num_test_per_class, args.seed)
    test_accuracy = accuracy(model, test_inputs, test_labels, device)
    seconds = time.time() - started
    log(f"test accuracy {test_accuracy:.4f}, {seconds:.0f} s in all")
    model = model.cpu().eval()
    record = {
        "architecture": {"name": "ResNet (cs_utils.backbone)", "widths": list(args.widths),
                         "num_parameters": sum(p.numel() for p in model.parameters()),
                         "feature_dim": args.widths[-1]},
        "data": {"source": "generated shapes (cs_utils.transfer_data.make_shapes)",
                 "classes": list(SOURCE_SHAPES), "image_size": IMAGE_SIZE,
                 "input_mean": list(INPUT_MEAN), "input_std": list(INPUT_STD),
                 "num_train": len(train_inputs), "num_val": len(val_inputs), "num_test": len(test_inputs),
                 "num_per_class": {"train": args.num_train_per_class, "val": args.num_val_per_class,
                                   "test": args.num_test_per_class},
                 "seeds": {split: args.seed + offset for split, offset in DATA_SEED_OFFSETS.items()}},
        "training": {"seed": args.seed, "epochs": args.epochs, "batch_size": args.batch_size,
                     "optimizer": "SGD, Nesterov momentum 0.9", "learning_rate": args.learning_rate,
                     "schedule": "one-cycle (20% warm-up, cosine decay), stepped every batch",
                     "weight_decay": args.weight_decay, "device": device.type, "threads": args.threads,
                     "torch": torch.__version__, "seconds": round(seconds, 1)},
        "results": {"train_loss_per_epoch": [round(v, 5) for v in train_losses],
                    "val_accuracy_per_epoch": [round(v, 5) for v in val_accuracies],
                    "test_accuracy": round(test_accuracy, 5)},
    }
    return model, record


def main(argv=None):
    args = build_parser().parse_args(argv)
    log = (lambda *_: None) if args.quiet else (lambda text: print(text, flush=True))
    model, record = pretrain(args, log)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out)
    record["command"] = "python -m cs_utils.pretrain " + " ".join(
        f"--{key.replace('_', '-')} {' '.join(map(str, value)) if isinstance(value, list) else value}"
        for key, value in sorted(vars(args).items()) if key not in ("out", "record", "quiet"))
    args.record.parent.mkdir(parents=True, exist_ok=True)
    args.record.write_text(json.dumps(record, indent=1) + "\n")
    log(f"wrote {args.out} and {args.record}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
