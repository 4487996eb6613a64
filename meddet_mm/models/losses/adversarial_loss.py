"""AATM adversarial loss of MedDet, binary cross-entropy on D's logits:
min_G max_D  E[log D(F_T)] + E[log(1 - D(G(F_S)))]."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.registry import MODELS


@MODELS.register_module()
class AdversarialBCELoss(nn.Module):
    """BCE-with-logits against an all-real or all-fake target.

    The discriminator side is ``0.5 * (loss(D(teacher), True) +
    loss(D(G(student).detach()), False))``; the generator/student side is the
    non-saturating ``loss(D(G(student)), True)`` (maximise log D(G(S))
    instead of minimising log(1 - D(G(S))), the usual GAN practice: same
    fixed point, stronger early gradients).

    Args:
        loss_weight (float): Multiplier. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor,
                target_is_real: bool) -> torch.Tensor:
        """Mean BCE of ``logits`` against 1 (real) or 0 (fake)."""
        target = torch.full_like(logits, 1.0 if target_is_real else 0.0)
        return self.loss_weight * F.binary_cross_entropy_with_logits(
            logits, target)
