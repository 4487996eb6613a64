"""Tiny GFL detectors and MedDet for fast CPU tests (seconds, not minutes),
derived from the shipped model bases in ``configs/_base_/models``: the same
model with narrow channels, one head conv, ``reg_max=4`` and a small test-time
NMS budget, so a test exercises the shipped structure."""
import copy
import functools
import os.path as osp

NUM_CLASSES = 2
FPN_CHANNELS = 16

# what a tiny head changes in the shipped GFL head
_TINY_HEAD = dict(
    in_channels=FPN_CHANNELS,
    stacked_convs=1,
    feat_channels=FPN_CHANNELS,
    norm_cfg=dict(type='GN', num_groups=4, requires_grad=True),
    reg_max=4)
# what a tiny model changes in the shipped test_cfg
_TINY_TEST_CFG = dict(nms_pre=100, score_thr=0.0, max_per_img=20)
# nmODE2 options of the shipped teacher head; a tiny head gets them only
# through its keyword arguments
_NMODE_KEYS = ('nmode_cfg', 'nmode_branches')


def config_root() -> str:
    """The ``configs`` folder: the repository's, next to the package, in a
    source checkout (a ``.mim`` copy left by a wheel build may be stale),
    else ``meddet_mm/.mim/configs`` of an installed wheel."""
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    for root in (osp.join(osp.dirname(package), 'configs'),
                 osp.join(package, '.mim', 'configs')):
        if osp.isdir(osp.join(root, '_base_', 'models')):
            return root
    raise FileNotFoundError(
        f'no configs/_base_/models under {package}/.mim or next to the '
        'package: install meddet_mm with `make install` or from a clone')


@functools.lru_cache(maxsize=None)
def _base_model(name: str) -> dict:
    from mmengine.config import Config
    path = osp.join(config_root(), '_base_', 'models', name)
    return Config.fromfile(path).model.to_dict()


def base_model(name: str) -> dict:
    """A copy of ``model`` of ``configs/_base_/models/<name>``."""
    return copy.deepcopy(_base_model(name))


def _tiny(model: dict, backbone: dict, neck_in: list, num_outs: int,
          num_classes: int, head_type: str, head_kwargs: dict) -> dict:
    model['backbone'].update(backbone)
    model['neck'].update(in_channels=neck_in, out_channels=FPN_CHANNELS,
                         num_outs=num_outs)
    head = model['bbox_head']
    for key in _NMODE_KEYS:
        head.pop(key, None)
    head.update(copy.deepcopy(_TINY_HEAD), type=head_type,
                num_classes=num_classes, **head_kwargs)
    model['test_cfg'].update(_TINY_TEST_CFG)
    return model


def tiny_resnet_gfl(depth=18, base_channels=8, num_classes=NUM_CLASSES,
                    num_outs=5, head_type='GFLHead', **head_kwargs):
    """GFL with a narrow ResNet backbone (a stand-in teacher), from
    ``gfl_r50_fpn_nmode2.py`` with the stock head unless ``head_type``
    says otherwise."""
    chans = [base_channels * 2**i * (1 if depth < 50 else 4) for i in range(4)]
    return _tiny(base_model('gfl_r50_fpn_nmode2.py'),
                 dict(depth=depth, base_channels=base_channels), chans,
                 num_outs, num_classes, head_type, head_kwargs)


def tiny_mbv2_gfl(num_classes=NUM_CLASSES, head_type='GFLHead',
                  **head_kwargs):
    """GFL with a 0.25-width MobileNetV2 (a stand-in student), from
    ``gfl_mbv2_fpn.py``."""
    return _tiny(base_model('gfl_mbv2_fpn.py'), dict(widen_factor=0.25),
                 [8, 8, 24, 1280], 5, num_classes, head_type, head_kwargs)


def demo_batch(batch_size=2, size=64, seed=0, num_classes=NUM_CLASSES):
    """A seeded fake batch in the dataloader's format (mmdet's
    ``demo_mm_inputs``)."""
    import numpy as np
    import torch
    from mmdet.testing import demo_mm_inputs
    torch.manual_seed(seed)
    np.random.seed(seed)
    batch = demo_mm_inputs(
        batch_size=batch_size,
        image_shapes=[(3, size, size)] * batch_size,
        num_items=[3] * batch_size,
        num_classes=max(num_classes, 2),  # mmdet needs >= 2 to sample labels
        with_mask=False)
    if num_classes == 1:
        for sample in batch['data_samples']:
            sample.gt_instances.labels.zero_()
    return batch


# A tiny MedDet: two narrow ResNet teachers (no checkpoints), 0.25-wide
# MobileNetV2 student, and the three optimizers MedDet needs.
MEDDET_OPTIM = dict(
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(type='OptimWrapper',
                      optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
    distiller=dict(type='OptimWrapper',
                   optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
    discriminator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-3)))


def tiny_meddet():
    """Model config of a tiny MedDet algorithm (teachers without ckpt)."""
    return dict(
        type='mmrazor.MultiTeacherAdversarialDistill',
        architecture=tiny_mbv2_gfl(),
        teachers=dict(a=dict(cfg=tiny_resnet_gfl(18)),
                      b=dict(cfg=tiny_resnet_gfl(34))),
        distiller=dict(type='MedDetDistiller', student_channels=FPN_CHANNELS,
                       teacher_channels=FPN_CHANNELS,
                       distill_channels=FPN_CHANNELS),
        discriminator=dict(type='AATMDiscriminator', hidden_channels=(8, 8)))
