"""MSKD Region Graph Distillation (RGD) for detection feature maps.

MSKD (Zhao et al., Comput. Biol. Med. 2023) builds a graph per image whose
nodes are the features pooled over each segmented structure and whose edges
are the similarities between them, and makes the student reproduce the
teacher's nodes and edges: the relations between anatomical structures, not
only the features at each pixel. Here the structures are the detection ground
truth (each GT box, or GT instance mask when present, on the feature grid of
one pyramid level), plus optionally the background.
"""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.registry import MODELS

from .region_masks import batch_regions, check_pair


def region_nodes(feat: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Masked average pooling: (K, C) mean feature of each of K regions.

    Args:
        feat (Tensor): (C, H, W) map of one image.
        masks (Tensor): (K, H, W) binary float masks.
    """
    area = masks.sum(dim=(1, 2)).clamp(min=1).unsqueeze(1)
    return torch.einsum('khw,chw->kc', masks, feat) / area


def cosine_adjacency(nodes: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """(K, K) cosine similarity between nodes: symmetric, unit diagonal.

    The diagonal is set to 1 also for an all-zero node (whose cosine is
    undefined); off-diagonal entries of a zero node are 0.
    """
    unit = F.normalize(nodes, dim=1, eps=eps)
    sim = (unit @ unit.t()).clamp(-1, 1)
    eye = torch.eye(nodes.shape[0], device=nodes.device, dtype=sim.dtype)
    return sim * (1 - eye) + eye


@MODELS.register_module()
class RegionGraphDistillLoss(nn.Module):
    """Node and edge imitation of a graph of ground-truth regions.

    Per image, the K regions R_k (cells each GT box or mask touches) and,
    with ``with_background``, the cells outside all of them give the nodes
    v_k = mean_{p in R_k} F(p) (masked average pooling, (K, C)); the edges
    are A_kl = cos(v_k, v_l), a symmetric matrix with unit diagonal. Then::

        node_i = mean_{k, c} (v^S_kc - v^T_kc)^2
        edge_i = mean_{k < l} (A^S_kl - A^T_kl)^2    (0 when K < 2)
        loss   = loss_weight * 1/N sum_i (node_weight * node_i
                                          + edge_weight * edge_i)

    With ``normalize_nodes`` each node is first scaled to unit root mean
    square over its channels (v / |v| * sqrt(C)), so node_i is
    mean_k (2 - 2 cos(v^S_k, v^T_k)) whatever the channel count and feature
    scale. An image with neither objects nor background node (never with
    ``with_background``) adds 0.

    The teacher map is detached; there are no learnable parameters. The maps
    must have one shape (add a connector for different channel counts).

    Args:
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        node_weight (float): Weight of the node term. Defaults to 1.0.
        edge_weight (float): Weight of the edge term. Defaults to 1.0.
        normalize_nodes (bool): RMS-normalise the nodes before the node
            term. Defaults to True.
        with_background (bool): Add one background node (the cells outside
            all regions) when the image has such cells. Defaults to True.
        use_masks (bool): Use ``gt_instances.masks`` as regions when the data
            samples have them (boxes otherwise). Defaults to True.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 node_weight: float = 1.0,
                 edge_weight: float = 1.0,
                 normalize_nodes: bool = True,
                 with_background: bool = True,
                 use_masks: bool = True) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.node_weight = node_weight
        self.edge_weight = edge_weight
        self.normalize_nodes = normalize_nodes
        self.with_background = with_background
        self.use_masks = use_masks

    def graph_masks(self, data_samples: Sequence, feat_size, device) -> list:
        """(K_i, H, W) node masks per image: the GT regions, then the
        background (if ``with_background`` and not empty)."""
        out = []
        for masks in batch_regions(data_samples, feat_size, device,
                                   self.use_masks):
            if self.with_background:
                bg = 1 - (masks.amax(dim=0) if masks.shape[0] else
                          masks.new_zeros(feat_size))
                if bg.sum() > 0:
                    masks = torch.cat([masks, bg[None]])
            out.append(masks)
        return out

    def _node_term(self, nodes_s: torch.Tensor,
                   nodes_t: torch.Tensor) -> torch.Tensor:
        if self.normalize_nodes:
            scale = nodes_s.shape[1]**0.5
            nodes_s = F.normalize(nodes_s, dim=1) * scale
            nodes_t = F.normalize(nodes_t, dim=1) * scale
        return (nodes_s - nodes_t).pow(2).mean()

    @staticmethod
    def _edge_term(nodes_s: torch.Tensor,
                   nodes_t: torch.Tensor) -> torch.Tensor:
        k = nodes_s.shape[0]
        if k < 2:
            return nodes_s.sum() * 0.
        upper = torch.triu_indices(k, k, offset=1, device=nodes_s.device)
        diff = cosine_adjacency(nodes_s) - cosine_adjacency(nodes_t)
        return diff[upper[0], upper[1]].pow(2).mean()

    def forward(self, preds_S: torch.Tensor, preds_T: torch.Tensor,
                data_samples: Sequence) -> torch.Tensor:
        """RGD loss of one level.

        Args:
            preds_S (Tensor): Student map (N, C, H, W).
            preds_T (Tensor): Teacher map (N, C, H, W).
            data_samples (Sequence[DetDataSample]): The batch's samples with
                ``gt_instances.bboxes`` (and optionally ``masks``) in input
                pixels and the meta key ``batch_input_shape`` (or
                ``pad_shape`` / ``img_shape``).

        Returns:
            Tensor: Scalar loss.
        """
        check_pair(type(self).__name__, preds_S, preds_T, data_samples)
        preds_T = preds_T.detach()
        # keeps the student in the graph when no image has a node
        total = preds_S.sum() * 0.
        graphs = self.graph_masks(data_samples, tuple(preds_T.shape[2:]),
                                  preds_T.device)
        for i, masks in enumerate(graphs):
            if masks.shape[0] == 0:
                continue
            nodes_s = region_nodes(preds_S[i], masks)
            nodes_t = region_nodes(preds_T[i], masks)
            total = total + self.node_weight * self._node_term(
                nodes_s, nodes_t) + self.edge_weight * self._edge_term(
                    nodes_s, nodes_t)
        return self.loss_weight * total / preds_T.shape[0]

    def extra_repr(self) -> str:
        return (f'loss_weight={self.loss_weight}, '
                f'node_weight={self.node_weight}, '
                f'edge_weight={self.edge_weight}, '
                f'normalize_nodes={self.normalize_nodes}, '
                f'with_background={self.with_background}')


__all__ = ['RegionGraphDistillLoss', 'region_nodes', 'cosine_adjacency']
