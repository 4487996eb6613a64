# MSKD (Zhao et al., Comput. Biol. Med. 2023) adapted to detection, on
# protocol v2, SPIDER protrusion: Feature Filtering (FFD) and Region Graph
# (RGD) distillation on every FPN level, the distiller of
# configs/kd_baselines/mskd_fpn_gfl-r101_gfl-mbv2_1x_spider-protrusion.py
# (docs/mskd.md) with the best teacher, its FPN maps read from the
# teacher-feature cache.
#
# The distiller and its parameters are configs/_base_/distillers/mskd_fpn.py
# (the one copy). Its loss weights follow the rule of docs/mskd.md (FFD and
# RGD each start at 1/8 of the detection loss) and were measured with the v1
# teacher; measure them again with this row's teacher once it is trained
# (tools/analysis_tools/distill_loss_weights.py).
_base_ = [
    './gfl_mbv2_fpn_1xb4-8e_spider-protrusion.py',
    './_base_/best_teacher_protrusion.py',
    '../_base_/distillers/mskd_fpn.py',
]

model = dict(
    _delete_=True,
    type='mmrazor.CachedFpnTeacherDistill',
    teacher_feature_cache=dict(cache_dir=_base_.feature_cache_dir),
    architecture=_base_.model,
    teacher=dict(type='mmrazor.DetectorFromConfig',
                 cfg_path=_base_.teacher_config),
    teacher_ckpt=_base_.teacher_ckpt,
    distiller=_base_.mskd_distiller)
custom_hooks = [
    dict(type='LossGuardHook', max_loss=1e4),
    dict(type='TeacherFeatureCacheHook'),
]
