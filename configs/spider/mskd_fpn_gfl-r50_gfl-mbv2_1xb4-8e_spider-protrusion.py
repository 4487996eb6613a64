# MSKD (Zhao et al., Comput. Biol. Med. 2023) adapted to detection, on
# protocol v2, SPIDER protrusion: Feature Filtering (FFD) and Region Graph
# (RGD) distillation on every FPN level, the distiller of
# configs/kd_baselines/mskd_fpn_gfl-r101_gfl-mbv2_1x_spider-protrusion.py
# (docs/mskd.md) with the best teacher, its FPN maps read from the
# teacher-feature cache.
#
# ---------------- frequently modified parameters ----------------
# Loss weights by the rule of docs/mskd.md (FFD and RGD each start at 1/8 of
# the detection loss): the values measured with the v1 teacher. Measure
# them again with this row's teacher once it is trained
# (tools/analysis_tools/distill_loss_weights.py) and write them here.
ffd_weight = 0.03
rgd_weight = 0.03
# Both maps standardised per image (over channels and positions), as
# MedDet's L_dist.
ffd_cfg = dict(
    normalize='instance',  # every box weighs the same, whatever its size
    bg_weight=0.,  # background suppressed
    standardize='sample')
rgd_cfg = dict(
    node_weight=1.0,  # region features (cosine, see docs/mskd.md)
    edge_weight=1.0,  # region-to-region similarities
    with_background=True)
# -----------------------------------------------------------------
_base_ = [
    './gfl_mbv2_fpn_1xb4-8e_spider-protrusion.py',
    './_base_/best_teacher_protrusion.py',
]
num_levels = 5  # FPN outputs P3-P7, 256 channels in teacher and student

# both losses read the student's data samples (GT boxes) recorded on the
# detector's forward(inputs, data_samples, mode) -> data_idx=1
__samples = dict(from_student=True, recorder='data_samples', data_idx=1)
model = dict(
    _delete_=True,
    type='mmrazor.CachedFpnTeacherDistill',
    teacher_feature_cache=dict(cache_dir=_base_.feature_cache_dir),
    architecture=_base_.model,
    teacher=dict(type='mmrazor.DetectorFromConfig',
                 cfg_path=_base_.teacher_config),
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            fpn=dict(type='mmrazor.ModuleOutputs', source='neck'),
            data_samples=dict(
                type='mmrazor.MethodInputs',
                source='mmdet.models.detectors.base.BaseDetector.forward')),
        teacher_recorders=dict(
            fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
        distill_losses={
            **{
                f'loss_ffd_fpn{i}': dict(
                    type='mmrazor.FeatureFilteringDistillLoss',
                    loss_weight=ffd_weight, **ffd_cfg)
                for i in range(num_levels)
            },
            **{
                f'loss_rgd_fpn{i}': dict(
                    type='mmrazor.RegionGraphDistillLoss',
                    loss_weight=rgd_weight, **rgd_cfg)
                for i in range(num_levels)
            }
        },
        loss_forward_mappings={
            f'loss_{kind}_fpn{i}': dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=i),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=i),
                data_samples=__samples)
            for kind in ('ffd', 'rgd') for i in range(num_levels)
        }))
custom_hooks = [
    dict(type='LossGuardHook', max_loss=1e4),
    dict(type='TeacherFeatureCacheHook'),
]
