# MGD distiller (Masked Generative Distillation, Yang et al., ECCV 2022) on
# the 5 FPN levels of GFL: on each level a random spatial mask hides student
# pixels and a two-conv generator must rebuild the teacher map from the rest
# (mmrazor's MGDConnector + MGDLoss). The one copy of it: list this file in
# `_base_` and write `distiller=_base_.mgd_distiller` in the model
# (configs/kd_baselines/mgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py and the protocol
# v2 row configs/spider/mgd_fpn_gfl-r18_gfl-mbv2_1xb4-8e_spider-protrusion.py).
#
# ---------------- frequently modified parameters ----------------
alpha_mgd = 2e-5  # loss weight (MGD paper, detection)
lambda_mgd = 0.65  # fraction of student pixels masked (MGD paper, detection)
# -----------------------------------------------------------------
num_levels = 5  # FPN outputs P3-P7, 256 channels in teacher and student
fpn_channels = 256

mgd_distiller = dict(
    type='mmrazor.ConfigurableDistiller',
    # the neck returns a tuple: record index i is pyramid level i
    student_recorders=dict(
        fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
    teacher_recorders=dict(
        fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
    connectors={
        f'mgd_fpn{i}': dict(
            type='mmrazor.MGDConnector',
            student_channels=fpn_channels,
            teacher_channels=fpn_channels,
            lambda_mgd=lambda_mgd)
        for i in range(num_levels)
    },
    distill_losses={
        f'loss_mgd_fpn{i}': dict(type='mmrazor.MGDLoss', alpha_mgd=alpha_mgd)
        for i in range(num_levels)
    },
    loss_forward_mappings={
        f'loss_mgd_fpn{i}': dict(
            preds_S=dict(from_student=True, recorder='fpn', data_idx=i,
                         connector=f'mgd_fpn{i}'),
            preds_T=dict(from_student=False, recorder='fpn', data_idx=i))
        for i in range(num_levels)
    })
