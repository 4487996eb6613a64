"""Every module meddet_mm registers builds from a plain config dict."""
import os.path as osp

import pytest
import torch
from mmdet.registry import DATASETS as DET_DATASETS
from mmdet.registry import HOOKS as DET_HOOKS
from mmdet.registry import METRICS as DET_METRICS
from mmdet.registry import MODELS as DET_MODELS
from mmdet.registry import TRANSFORMS as DET_TRANSFORMS
from mmrazor.registry import MODELS as RAZOR_MODELS

import meddet_mm  # noqa: F401
from conftest import REPO_ROOT
from tiny_models import tiny_mbv2_gfl, tiny_resnet_gfl

REGISTRIES = {
    'mmdet.MODELS': DET_MODELS,
    'mmdet.DATASETS': DET_DATASETS,
    'mmdet.TRANSFORMS': DET_TRANSFORMS,
    'mmdet.HOOKS': DET_HOOKS,
    'mmdet.METRICS': DET_METRICS,
    'mmrazor.MODELS': RAZOR_MODELS,
}

# Minimal build config per registered name. A new registered module must add
# an entry here (the completeness test below fails otherwise).
TINY_GFL_HEAD = dict(
    num_classes=2, in_channels=8, feat_channels=8, stacked_convs=1,
    norm_cfg=dict(type='GN', num_groups=4),
    anchor_generator=dict(
        type='AnchorGenerator', ratios=[1.0], octave_base_scale=8,
        scales_per_octave=1, strides=[8, 16, 32, 64, 128]))
MINIMAL_CFGS = {
    'mmrazor.MODELS': {
        'AFAConnector': dict(in_channels=4, out_channels=8),
        'LWFFFuser': dict(num_inputs=3, in_channels=4),
        'SumFuser': dict(num_inputs=2, in_channels=4),
        'ConcatFuser': dict(num_inputs=2, in_channels=4),
        'AATMGenerator': dict(in_channels=4),
        'AATMDiscriminator': dict(in_channels=4),
        'AdversarialBCELoss': dict(),
        'FeatureDistillMSELoss': dict(),
        'RegionWeightedFeatureDistillLoss': dict(fg_weight=1., bg_weight=0.1),
        'FGDLoss': dict(student_channels=4, teacher_channels=4),
        'FeatureFilteringDistillLoss': dict(),
        'RegionGraphDistillLoss': dict(),
        'MedDetDistiller': dict(num_levels=5, teacher_names=['a', 'b']),
        # a builder function: returns the detector of the config file
        'DetectorFromConfig': dict(cfg_path=osp.join(
            REPO_ROOT, 'configs', 'students', 'gfl_mbv2_fpn_1x_cdh.py')),
        'CachedFpnTeacherDistill': dict(
            architecture=dict(tiny_mbv2_gfl(), _scope_='mmdet'),
            teacher=dict(tiny_resnet_gfl(18), _scope_='mmdet'),
            distiller=dict(type='mmrazor.ConfigurableDistiller'),
            teacher_feature_cache=dict()),
        'MultiTeacherAdversarialDistill': dict(
            architecture=tiny_mbv2_gfl(),
            teachers=dict(t=dict(cfg=tiny_resnet_gfl(18))),
            distiller=dict(type='MedDetDistiller', student_channels=16,
                           teacher_channels=16, distill_channels=16)),
    },
    'mmdet.MODELS': {
        'PrivilegedDetDataPreprocessor': dict(num_channels=1),
        'ShuffleNetV1': dict(groups=3, widen_factor=0.25),
        'TorchvisionBackbone': dict(arch='shufflenet_v2_x0_5',
                                    out_indices=(1, )),
        'NmODE': dict(in_channels=4),
        'NmODE2': dict(in_channels=4, solver='euler', num_steps=2),
        'NmODELevels': dict(feat_channels=[4, 4]),
        'NmODEBottleneck': dict(
            in_channels=8, channels=4,
            nmode_cfg=dict(type='NmODE2', solver='euler', num_steps=2)),
        'DepthwiseGFLHead': TINY_GFL_HEAD,
        'NmODE2GFLHead': TINY_GFL_HEAD,
        'NmODENeck': dict(neck=dict(type='FPN', in_channels=[4, 8],
                                    out_channels=8, num_outs=2)),
        'NmODEBackbone': dict(
            backbone=dict(type='ResNet', depth=18, base_channels=4,
                          init_cfg=None),
            feat_channels=[4, 8, 16, 32]),
    },
    'mmdet.DATASETS': {
        'CDHDataset': dict(ann_file='missing.json', lazy_init=True),
        'SyntheticCDHDataset': dict(num_images=1),
    },
    'mmdet.TRANSFORMS': {
        'AddPrivilegedChannels': dict(),
        'GaussianNoise': dict(),
        'RicianNoise': dict(),
        'LoadMedicalImageFromFile': dict(),
        'LoadSyntheticCDHImage': dict(),
    },
    'mmdet.HOOKS': {
        'GuardedCheckpointHook': dict(interval=1),
        'LossGuardHook': dict(),
        'DistillWeightRampHook': dict(ramp_iters=50),
        'StrictLoadHook': dict(),
        'TeacherFeatureCacheHook': dict(),
    },
    'mmdet.METRICS': {
        'CocoRecallMetric': dict(),
        'ClinicalDiscMetric': dict(),
    },
}


# registered functions -> the class of what they build
BUILDER_FUNCTIONS = {'DetectorFromConfig': 'GFL'}


def ours(registry):
    return sorted(name for name, cls in registry.module_dict.items()
                  if cls.__module__.startswith('meddet_mm.'))


def test_every_registered_name_has_a_build_config():
    missing = {
        reg: sorted(set(ours(REGISTRIES[reg])) - set(MINIMAL_CFGS[reg]))
        for reg in REGISTRIES
    }
    assert not any(missing.values()), f'add build configs for {missing}'
    stale = {
        reg: sorted(set(MINIMAL_CFGS[reg]) - set(ours(REGISTRIES[reg])))
        for reg in REGISTRIES
    }
    assert not any(stale.values()), f'not registered: {stale}'


CASES = [(reg, name) for reg in REGISTRIES for name in MINIMAL_CFGS[reg]]


@pytest.mark.parametrize('reg,name', CASES, ids=[f'{r}:{n}' for r, n in CASES])
def test_registered_module_builds(reg, name, recwarn):
    torch.manual_seed(0)
    scope = reg.split('.')[0]  # scoped name: independent of default scope
    obj = REGISTRIES[reg].build(
        dict(type=f'{scope}.{name}', **MINIMAL_CFGS[reg][name]))
    if name in BUILDER_FUNCTIONS:
        assert type(obj).__name__ == BUILDER_FUNCTIONS[name]
    else:
        assert type(obj).__name__ == name
