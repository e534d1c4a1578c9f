"""Our Adam gives torch.optim.Adam's parameters bit for bit, and never imports torch._dynamo."""

import subprocess
import sys

import pytest
import torch

from hear_models.torch_models.adam import Adam


def _net(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(12, 32), torch.nn.BatchNorm1d(32), torch.nn.ReLU(), torch.nn.Linear(32, 3)
    )


@pytest.mark.parametrize("lr", [1e-3, 3.2e-4, 0.05])
def test_parameters_equal_torch_adam_bit_for_bit(lr: float) -> None:
    ours, theirs = _net(0), _net(0)
    opt_ours = Adam(ours.parameters(), lr=lr)
    opt_theirs = torch.optim.Adam(theirs.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(1)
    for step in range(60):
        x = torch.randn(16, 12, generator=gen) * (1 + step % 7)
        y = torch.randint(0, 3, (16,), generator=gen)
        for net, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x), y).backward()
            if step == 5:  # a parameter without a gradient is left alone (and its step count)
                net[3].bias.grad = None
            opt.step()
    for a, b in zip(ours.state_dict().values(), theirs.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert all(p.grad is None for p in (opt_ours.zero_grad(), *ours.parameters())[1:])


def test_training_does_not_import_the_compiler() -> None:
    code = (
        "import sys, torch\n"
        "from hear_models.torch_models.adam import Adam\n"
        "net = torch.nn.Linear(4, 2); opt = Adam(net.parameters())\n"
        "net(torch.randn(3, 4)).sum().backward(); opt.step(); opt.zero_grad()\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
