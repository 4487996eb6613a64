# MedDet on the CPU demo: two teachers, GFL R-18 and R-34 (+nmODE2 head,
# 128-channel FPN), distilled into the GFL MobileNetV2 student (+nmODE2 head,
# 64-channel FPN) with AFA + LWFF + AATM. The teachers' FPN maps are read
# from an in-memory teacher-feature cache after the first epoch.
# tools/pipeline.py trains the teachers first and fills in the checkpoints.
teacher_r18_ckpt = 'work_dirs/demo/gfl_r18_fpn_nmode2_demo_synthetic/iter_400.pth'
teacher_r34_ckpt = 'work_dirs/demo/gfl_r34_fpn_nmode2_demo_synthetic/iter_400.pth'

_base_ = ['../_base_/demo/demo_runtime.py']
model = dict(
    type='mmrazor.MultiTeacherAdversarialDistill',
    architecture='{{fileDirname}}/gfl_mbv2_fpn_nmode2_demo_synthetic.py',
    teachers=dict(
        r18=dict(cfg='{{fileDirname}}/gfl_r18_fpn_nmode2_demo_synthetic.py',
                 ckpt=teacher_r18_ckpt),
        r34=dict(cfg='{{fileDirname}}/gfl_r34_fpn_nmode2_demo_synthetic.py',
                 ckpt=teacher_r34_ckpt)),
    distiller=dict(
        type='MedDetDistiller',
        student_channels=64,
        teacher_channels=128,
        distill_channels=64,
        fuser=dict(type='LWFFFuser'),
        # G starts as the identity (x + G(x)), so the student's first
        # distillation gradients are not filtered by a random G
        generator=dict(type='AATMGenerator', residual=True)),
    discriminator=dict(type='AATMDiscriminator', hidden_channels=(64, 32)),
    sigma=0.7,
    tau=0.2,
    # the detection loss keeps weight 1 (docs/design.md)
    sigma_normalized=True,
    teacher_feature_cache=dict(cache_dir=None))
custom_hooks = [
    dict(type='LossGuardHook', max_loss=1e4),
    dict(type='TeacherFeatureCacheHook'),
]
train_dataloader = dict(batch_size=8)  # as the student alone
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
