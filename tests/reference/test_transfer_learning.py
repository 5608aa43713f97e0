"""The reference transfer-learning functions of 04 Transfer learning agree with the solution
notebook and with known values, on the CPU with a tiny model."""
import pytest
import torch
from torch import nn

from autograder.reference import transfer_learning as reference
from tests.reference.solution_code import solution_definitions

SOLUTION = solution_definitions("transfer_learning")
CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def one_thread(single_torch_thread):
    """Tiny models; several threads only slow them down on shared cores."""


class Net(nn.Module):
    """A backbone with dropout and batch normalization (whose train and eval modes differ) and a
    head ``fc``, as torchvision's models have."""

    def __init__(self, classes=3):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5))
        self.fc = nn.Linear(8, classes)

    def forward(self, x):
        return self.fc(self.backbone(x))


def net(seed=0):
    torch.manual_seed(seed)
    return Net()


def loader(seed=1, batches=3, size=5):
    generator = torch.Generator().manual_seed(seed)
    return [(torch.randn(size, 6, generator=generator), torch.randint(0, 3, (size,), generator=generator))
            for _ in range(batches)]


def test_get_device_on_the_cpu(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert reference.get_device() == CPU
    assert capsys.readouterr().out == "device: cpu (no CUDA GPU found)\n"


def test_get_device_with_a_gpu(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device: f"Test GPU {device}")
    assert reference.get_device() == torch.device("cuda")
    assert capsys.readouterr().out == "device: cuda (Test GPU cuda)\n"


def test_freeze_backbone_and_replace_head():
    model = net()
    model.fc.requires_grad_(False)
    assert reference.freeze_backbone(model) is model
    assert [name for name, p in model.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]
    old = model.fc
    model = model.double()
    assert reference.replace_head(model, 5) is model
    assert model.fc is not old
    assert (model.fc.in_features, model.fc.out_features) == (8, 5)
    assert model.fc.weight.dtype == torch.float64 and model.fc.bias is not None
    assert model(torch.randn(4, 6, dtype=torch.float64)).shape == (4, 5)


@pytest.mark.parametrize("frozen", [False, True])
def test_finetune_optimizer_agrees_with_the_solution(frozen):
    model = net()
    if frozen:
        reference.freeze_backbone(model)
    options = [{}, {"backbone_lr_factor": 0.5, "momentum": 0.3, "weight_decay": 0.01}]
    for kwargs in options:
        ours = reference.make_finetune_optimizer(model, 0.2, **kwargs)
        theirs = SOLUTION["make_finetune_optimizer"](model, 0.2, **kwargs)
        assert type(ours) is torch.optim.SGD
        described = [[(g["name"], g["lr"], g["momentum"], g["weight_decay"], [id(p) for p in g["params"]])
                      for g in optimizer.param_groups] for optimizer in (ours, theirs)]
        assert described[0] == described[1]
        assert [g["name"] for g in ours.param_groups] == (["head"] if frozen else ["head", "backbone"])
        assert ours.param_groups[0]["lr"] == 0.2
        assert [id(p) for p in ours.param_groups[0]["params"]] == [id(p) for p in model.fc.parameters()]
    assert reference.make_finetune_optimizer(model, 1.0).param_groups[-1]["lr"] == (1.0 if frozen else 0.1)
    assert reference.make_finetune_optimizer(model, 1.0).defaults["momentum"] == 0.9
    assert reference.make_finetune_optimizer(model, 1.0).defaults["weight_decay"] == 0.0
    model.requires_grad_(False)
    model.backbone[0].requires_grad_(True)
    (group,) = reference.make_finetune_optimizer(model, 1.0).param_groups
    assert group["name"] == "backbone" and len(group["params"]) == 2


def train(train_one_epoch, evaluate, seed):
    model = net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.5)
    torch.manual_seed(seed)  # the dropout masks
    losses = [train_one_epoch(model, loader(), optimizer, CPU) for _ in range(2)]
    return losses, evaluate(model, loader(seed=5), CPU), [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("seed", [0, 1])
def test_training_and_evaluation_agree_with_the_solution(seed):
    ours = train(reference.train_one_epoch, reference.evaluate, seed)
    theirs = train(SOLUTION["train_one_epoch"], SOLUTION["evaluate"], seed)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-6)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-6)
    for a, b in zip(ours[2], theirs[2]):
        torch.testing.assert_close(a, b)


def test_train_one_epoch_steps_once_per_batch_and_weighs_batches_by_size():
    model = nn.Linear(6, 3)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    batches = loader(batches=2, size=4) + loader(seed=2, batches=1, size=2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    steps = []
    optimizer.register_step_post_hook(lambda *_: steps.append(1))
    loss = reference.train_one_epoch(nn.Sequential(model), batches, optimizer, CPU)
    assert loss == pytest.approx(torch.log(torch.tensor(3.0)).item())
    assert len(steps) == 3
    model.train(False)
    reference.train_one_epoch(model, batches, optimizer, CPU)
    assert model.training


def test_evaluate_known_values():
    model = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2))
    images = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
    labels = torch.tensor([0, 0, 1])
    loss, accuracy = reference.evaluate(model, [(images[:2], labels[:2]), (images[2:], labels[2:])], CPU)
    expected = torch.nn.functional.cross_entropy(images, labels).item()
    assert loss == pytest.approx(expected)
    assert accuracy == pytest.approx(1 / 3)
    dropout = nn.Sequential(nn.Dropout(0.9), model).train()
    assert reference.evaluate(dropout, [(images, labels)], CPU)[0] == pytest.approx(expected)
    assert not dropout.training
    assert all(p.grad is None for p in model.parameters())


def test_extract_features_agrees_with_the_solution():
    model = net()
    backbone = model.backbone.train()
    batches = loader()
    features, labels = reference.extract_features(backbone, batches, CPU)
    assert not backbone.training
    their_features, their_labels = SOLUTION["extract_features"](model.backbone, batches, CPU)
    torch.testing.assert_close(features, their_features)
    assert torch.equal(labels, their_labels)
    assert features.shape == (15, 8) and features.dtype == torch.float32 and not features.requires_grad
    torch.testing.assert_close(features, backbone(torch.cat([images for images, _ in batches])))
    assert torch.equal(labels, torch.cat([y for _, y in batches]))
    double, _ = reference.extract_features(nn.Linear(6, 2).double(), [(torch.randn(2, 6).double(), labels[:2])], CPU)
    assert double.dtype == torch.float32


class Stop(Exception):
    """Raised where the first batch enters autocast: what it was asked for is all this test needs."""


class AnyDevice:
    """A batch that moves to any device, so that no CUDA GPU is needed to see what happens there."""

    def to(self, device):
        return self


@pytest.mark.parametrize("device_type", ["cpu", "cuda", "meta", "mps"])
def test_mixed_precision_on_cuda_only(monkeypatch, device_type):
    entered, scalers = [], []

    def autocast(device_type, dtype, enabled):
        entered.append((device_type, dtype, enabled))
        raise Stop

    def grad_scaler(device, enabled):
        scalers.append((device, enabled))
        return None

    monkeypatch.setattr(torch, "autocast", autocast)
    monkeypatch.setattr(torch.amp, "GradScaler", grad_scaler)
    device, model, batches = torch.device(device_type), net(), [(AnyDevice(), AnyDevice())]
    for call in [lambda: reference.train_one_epoch(model, batches, torch.optim.SGD(model.parameters()), device),
                 lambda: reference.evaluate(model, batches, device),
                 lambda: reference.extract_features(model.backbone, batches, device)]:
        with pytest.raises(Stop):
            call()
    cuda = device_type == "cuda"
    assert entered == [(device_type, torch.float16, cuda)] * 3
    assert scalers == [("cuda", cuda)]
