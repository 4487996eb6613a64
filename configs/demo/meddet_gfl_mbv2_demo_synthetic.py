# MedDet on the CPU demo: teachers R-18/34/50 (+nmODE2) from the demo
# configs, student GFL MobileNetV2 (+nmODE2), AFA + LWFF + AATM.
# tools/pipeline.py trains the teachers first and fills in the checkpoints.
teacher_r18_ckpt = 'work_dirs/demo/gfl_r18_fpn_nmode2_demo_synthetic/iter_300.pth'
teacher_r34_ckpt = 'work_dirs/demo/gfl_r34_fpn_nmode2_demo_synthetic/iter_300.pth'
teacher_r50_ckpt = 'work_dirs/demo/gfl_r50_fpn_nmode2_demo_synthetic/iter_300.pth'
sigma, tau = 0.7, 0.2

_base_ = ['../_base_/demo/demo_runtime.py']
model = dict(
    type='mmrazor.MultiTeacherAdversarialDistill',
    architecture='{{fileDirname}}/gfl_mbv2_fpn_nmode2_demo_synthetic.py',
    teachers=dict(
        r18=dict(cfg='{{fileDirname}}/gfl_r18_fpn_nmode2_demo_synthetic.py',
                 ckpt=teacher_r18_ckpt),
        r34=dict(cfg='{{fileDirname}}/gfl_r34_fpn_nmode2_demo_synthetic.py',
                 ckpt=teacher_r34_ckpt),
        r50=dict(cfg='{{fileDirname}}/gfl_r50_fpn_nmode2_demo_synthetic.py',
                 ckpt=teacher_r50_ckpt)),
    distiller=dict(
        type='MedDetDistiller',
        student_channels=64,
        teacher_channels=64,
        distill_channels=64,
        fuser=dict(type='LWFFFuser')),
    discriminator=dict(type='AATMDiscriminator', hidden_channels=(64, 32)),
    sigma=sigma,
    tau=tau)
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.02, momentum=0.9,
                       weight_decay=0.0001),
        clip_grad=dict(max_norm=35, norm_type=2)),
    distiller=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.02, momentum=0.9,
                       weight_decay=0.0001),
        clip_grad=dict(max_norm=35, norm_type=2)),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))))
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=False)
