# FGD distiller (Focal and Global Distillation, Yang et al., CVPR 2022) on
# the 5 FPN levels of GFL: feature imitation weighted by the teacher's
# spatial and channel attention with foreground (GT boxes) and background
# separated, an attention-imitation loss and a GcBlock global-relation loss
# (meddet_mm FGDLoss). The one copy of it: list this file in `_base_` and
# write `distiller=_base_.fgd_distiller` in the model
# (configs/kd_baselines/fgd_fpn_gfl-r101_gfl-mbv2_1x_cdh.py and the protocol
# v2 row configs/spider/fgd_fpn_gfl-r18_gfl-mbv2_1xb4-8e_spider-protrusion.py).
#
# ---------------- frequently modified parameters ----------------
# FGD paper's one-stage (RetinaNet) setting; not tuned on CDH or SPIDER.
# separate_context: one GcBlock for the student map and one for the teacher
# map, as the FGD reference code (the v1 tables used one shared block).
fgd_cfg = dict(
    temperature=0.5,
    alpha_fgd=1e-3,  # foreground feature loss
    beta_fgd=5e-4,  # background feature loss
    gamma_fgd=5e-4,  # attention loss
    lambda_fgd=5e-6,  # global (GcBlock relation) loss
    separate_context=True)
# -----------------------------------------------------------------
num_levels = 5  # FPN outputs P3-P7, 256 channels in teacher and student
fpn_channels = 256

fgd_distiller = dict(
    type='mmrazor.ConfigurableDistiller',
    # the neck returns a tuple: record index i is pyramid level i; FGD needs
    # the GT boxes: record the student detector's data samples,
    # forward(inputs, data_samples, mode) -> data_idx=1
    student_recorders=dict(
        fpn=dict(type='mmrazor.ModuleOutputs', source='neck'),
        data_samples=dict(
            type='mmrazor.MethodInputs',
            source='mmdet.models.detectors.base.BaseDetector.forward')),
    teacher_recorders=dict(
        fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
    distill_losses={
        f'loss_fgd_fpn{i}': dict(
            type='mmrazor.FGDLoss',
            student_channels=fpn_channels,
            teacher_channels=fpn_channels,
            **fgd_cfg)
        for i in range(num_levels)
    },
    loss_forward_mappings={
        f'loss_fgd_fpn{i}': dict(
            preds_S=dict(from_student=True, recorder='fpn', data_idx=i),
            preds_T=dict(from_student=False, recorder='fpn', data_idx=i),
            data_samples=dict(
                from_student=True, recorder='data_samples', data_idx=1))
        for i in range(num_levels)
    })
