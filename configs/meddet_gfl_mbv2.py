# MedDet: three frozen GFL teachers (R-50/101/152 + nmODE2 head) distilled
# into GFL MobileNetV2 (+ nmODE2 head) with AFA, LWFF and AATM, CDH-style data.
#
#   python tools/train.py configs/meddet_gfl_mbv2.py \
#       --cfg-options teacher_r50_ckpt=... teacher_r101_ckpt=... ...
#
# ---------------- frequently modified parameters ----------------
# Teacher checkpoints: train configs/teachers/*_cdh.py first.
teacher_r50_ckpt = 'work_dirs/gfl_r50_fpn_nmode2_1x_cdh/epoch_12.pth'
teacher_r101_ckpt = 'work_dirs/gfl_r101_fpn_nmode2_1x_cdh/epoch_12.pth'
teacher_r152_ckpt = 'work_dirs/gfl_r152_fpn_nmode2_1x_cdh/epoch_12.pth'
sigma = 0.7  # weight of the student's detection loss
tau = 0.2  # weight of L_dist; the adversarial loss gets 1 - sigma - tau
# -----------------------------------------------------------------
_base_ = [
    './_base_/datasets/cdh_detection.py',
    './_base_/schedules/schedule_sgd_12e.py',
    './_base_/default_runtime.py',
]
student_cfg = '{{fileDirname}}/students/gfl_mbv2_fpn_nmode2-head_1x_cdh.py'

model = dict(
    type='mmrazor.MultiTeacherAdversarialDistill',
    architecture=student_cfg,
    teachers=dict(
        r50=dict(cfg='{{fileDirname}}/teachers/gfl_r50_fpn_nmode2_1x_cdh.py',
                 ckpt=teacher_r50_ckpt),
        r101=dict(
            cfg='{{fileDirname}}/teachers/gfl_r101_fpn_nmode2_1x_cdh.py',
            ckpt=teacher_r101_ckpt),
        r152=dict(
            cfg='{{fileDirname}}/teachers/gfl_r152_fpn_nmode2_1x_cdh.py',
            ckpt=teacher_r152_ckpt)),
    distiller=dict(
        type='MedDetDistiller',
        student_channels=256,
        teacher_channels=256,
        distill_channels=256,
        connector=dict(type='AFAConnector'),
        fuser=dict(type='LWFFFuser', gate='sigmoid'),
        generator=dict(type='AATMGenerator')),
    discriminator=dict(type='AATMDiscriminator', input_mode='position'),
    distill_loss=dict(type='FeatureDistillMSELoss', normalize='sample'),
    adv_loss=dict(type='AdversarialBCELoss'),
    sigma=sigma,
    tau=tau,
    num_levels=5)

# student + AFA/LWFF/G share the SGD schedule; D has its own Adam
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                       weight_decay=0.0001),
        clip_grad=dict(max_norm=35, norm_type=2)),
    distiller=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9,
                       weight_decay=0.0001),
        clip_grad=dict(max_norm=35, norm_type=2)),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))))
