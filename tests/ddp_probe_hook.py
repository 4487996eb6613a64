"""Test-only hook: every rank saves its model parameters after training, so a
test can check that DDP kept the ranks identical."""
import os
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class MeddetTestRankWeightsDumpHook(Hook):

    def __init__(self, out_dir):
        self.out_dir = out_dir

    def before_train(self, runner):
        self._dump(runner, 'start')

    def after_train(self, runner):
        self._dump(runner, 'end')

    def _dump(self, runner, when):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        # parameters only: BN running statistics stay per rank in DDP
        # (broadcast_buffers=False, no SyncBN), as in mmengine
        state = {
            k: {n: p.detach()
                for n, p in (v.module if is_model_wrapper(v) else
                             v).named_parameters()}
            for k, v in model.named_children() if k != 'data_preprocessor'
        }
        os.makedirs(self.out_dir, exist_ok=True)
        torch.save(state,
                   osp.join(self.out_dir, f'{when}_rank{get_rank()}.pth'))
