# Reuse outside MedDet: mmrazor's stock single-teacher FpnTeacherDistill with
# meddet_mm's AFA connector on each student FPN level and its feature MSE,
# teacher GFL R-101 (+nmODE2), student GFL MobileNetV2.
teacher_ckpt = 'work_dirs/gfl_r101_fpn_nmode2_1x_cdh/epoch_12.pth'
_base_ = ['../kd_baselines/_base_fpn_distill_gfl_r101_mbv2_cdh.py']

model = dict(
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        connectors={
            f'afa_fpn{i}': dict(
                type='mmrazor.AFAConnector',
                in_channels=_base_.fpn_channels,
                out_channels=_base_.fpn_channels)
            for i in range(_base_.num_levels)
        },
        distill_losses={
            f'loss_afa_fpn{i}': dict(type='mmrazor.FeatureDistillMSELoss',
                                     loss_weight=1.0)
            for i in range(_base_.num_levels)
        },
        loss_forward_mappings={
            f'loss_afa_fpn{i}': dict(
                student=dict(from_student=True, recorder='fpn', data_idx=i,
                             connector=f'afa_fpn{i}'),
                teacher=dict(from_student=False, recorder='fpn', data_idx=i))
            for i in range(_base_.num_levels)
        }))
