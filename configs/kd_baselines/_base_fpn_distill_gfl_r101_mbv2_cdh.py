# Shared base of the MGD and FGD baselines of Table I (not a runnable config:
# the '_base_' prefix keeps it out of the config tests). mmrazor's
# FpnTeacherDistill runs the frozen teacher's backbone + neck only and records
# the 5 FPN levels (P3-P7) of teacher and student. Children add connectors,
# distill_losses, loss_forward_mappings and model.teacher_ckpt.
#
# Teacher: GFL R-101 + nmODE2 head exactly as configs/teachers/ trains it.
# Student: the plain GFL MobileNetV2 + FPN of configs/students/ (Table I).
_base_ = ['../teachers/gfl_r101_fpn_nmode2_1x_cdh.py']
num_levels = 5  # FPN outputs P3-P7
fpn_channels = 256  # teacher and student FPN width

# Old-style configs cannot inherit two `model`s, so the student is written as
# a delta over the teacher: MobileNetV2 backbone, its FPN in_channels, plain
# GFLHead. tests/test_kd_baseline_configs.py checks that it equals the model of
# configs/students/gfl_mbv2_fpn_1x_cdh.py. ('__' names stay out of the config.)
__teacher = _base_.model
__student = dict(
    __teacher,
    backbone=dict(
        type='MobileNetV2',
        out_indices=(1, 2, 4, 7),
        act_cfg=dict(type='ReLU6'),
        init_cfg=None),
    neck=dict(__teacher.neck, in_channels=[24, 32, 96, 1280]),
    bbox_head=dict(
        {k: v
         for k, v in __teacher.bbox_head.items() if not k.startswith('nmode')},
        type='GFLHead'))

model = dict(
    _delete_=True,
    type='mmrazor.FpnTeacherDistill',
    architecture=__student,
    teacher=__teacher,
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        # the neck returns a tuple: record index i is pyramid level i
        student_recorders=dict(
            fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
        teacher_recorders=dict(
            fpn=dict(type='mmrazor.ModuleOutputs', source='neck'))))
