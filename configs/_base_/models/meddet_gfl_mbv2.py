# MedDet algorithm: three frozen GFL teachers (R-50/101/152 + nmODE2 head),
# student GFL MobileNetV2 + nmODE2 head, AFA + LWFF + AATM (docs/design.md).
# Teacher/student configs are the CDH ones; dataset variants override
# model.architecture and model.teachers.<name>.cfg / .ckpt.
_configs = '{{fileDirname}}/../..'
model = dict(
    type='mmrazor.MultiTeacherAdversarialDistill',
    architecture=_configs + '/students/gfl_mbv2_fpn_nmode2-head_1x_cdh.py',
    teachers=dict(
        r50=dict(cfg=_configs + '/teachers/gfl_r50_fpn_nmode2_1x_cdh.py',
                 ckpt=None),
        r101=dict(cfg=_configs + '/teachers/gfl_r101_fpn_nmode2_1x_cdh.py',
                  ckpt=None),
        r152=dict(cfg=_configs + '/teachers/gfl_r152_fpn_nmode2_1x_cdh.py',
                  ckpt=None)),
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
    sigma=0.7,  # weight of the student's detection loss
    tau=0.2,  # weight of L_dist; the adversarial loss gets 1 - sigma - tau
    num_levels=5)
# Several processes: each trainable child (student, distiller, discriminator)
# gets its own DDP wrapper and the algorithm's own train_step runs.
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=False)
