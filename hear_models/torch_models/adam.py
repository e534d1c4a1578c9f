"""Adam as ``torch.optim.Adam`` computes it by default on the CPU, without ``torch.optim``.

``torch.optim``'s optimizers import ``torch._dynamo`` on first use (their methods are wrapped
to keep the compiler out), which costs 1.5 s of CPU in every process that trains anything:
every probe worker and every per-task training run. This is the update of torch's
single-tensor path (no weight decay, AMSGrad or maximize), op for op, so the parameters are
bit-identical to ``torch.optim.Adam``'s (tests/models/test_adam.py steps both side by side).
"""

from collections.abc import Iterable

import torch


class Adam:
    """``torch.optim.Adam(params, lr, betas, eps)``: ``zero_grad()`` (to None) and ``step()``.

    Each parameter keeps its own step count, and one without a gradient is left alone, as in
    torch.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params = list(params)
        self.lr, (self.beta1, self.beta2), self.eps = float(lr), betas, eps
        self.state: dict[int, tuple[list[int], torch.Tensor, torch.Tensor]] = {}

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.beta1, self.beta2
        for i, param in enumerate(self.params):
            grad = param.grad
            if grad is None:
                continue
            if i not in self.state:
                self.state[i] = (
                    [0],
                    torch.zeros_like(param, memory_format=torch.preserve_format),
                    torch.zeros_like(param, memory_format=torch.preserve_format),
                )
            count, exp_avg, exp_avg_sq = self.state[i]
            count[0] += 1
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step = float(count[0])  # torch: a float32 tensor's item(), exact below 2**24
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            step_size = self.lr / bias_correction1
            bias_correction2_sqrt = bias_correction2**0.5
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(self.eps)
            param.addcdiv_(exp_avg, denom, value=-step_size)
