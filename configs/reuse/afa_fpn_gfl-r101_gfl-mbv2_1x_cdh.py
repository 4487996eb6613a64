# Reuse outside MedDet: mmrazor's stock single-teacher FpnTeacherDistill with
# meddet_mm's AFA connector on each student FPN level and its feature MSE,
# teacher GFL R-101 (+nmODE2, named by path), student GFL MobileNetV2 (the
# inherited config: its data, schedule and runtime).
teacher_ckpt = 'work_dirs/gfl_r101_fpn_nmode2_1x_cdh/epoch_12.pth'
_base_ = '../students/gfl_mbv2_fpn_1x_cdh.py'
teacher_config = '{{fileDirname}}/../teachers/gfl_r101_fpn_nmode2_1x_cdh.py'
num_levels = 5  # FPN outputs P3-P7, 256 channels in teacher and student
fpn_channels = 256

model = dict(
    _delete_=True,
    type='mmrazor.FpnTeacherDistill',
    architecture=_base_.model,
    teacher=dict(type='mmrazor.DetectorFromConfig', cfg_path=teacher_config),
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        type='mmrazor.ConfigurableDistiller',
        student_recorders=dict(
            fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
        teacher_recorders=dict(
            fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
        connectors={
            f'afa_fpn{i}': dict(
                type='mmrazor.AFAConnector',
                in_channels=fpn_channels,
                out_channels=fpn_channels)
            for i in range(num_levels)
        },
        distill_losses={
            f'loss_afa_fpn{i}': dict(type='mmrazor.FeatureDistillMSELoss',
                                     loss_weight=1.0)
            for i in range(num_levels)
        },
        loss_forward_mappings={
            f'loss_afa_fpn{i}': dict(
                student=dict(from_student=True, recorder='fpn', data_idx=i,
                             connector=f'afa_fpn{i}'),
                teacher=dict(from_student=False, recorder='fpn', data_idx=i))
            for i in range(num_levels)
        }))
