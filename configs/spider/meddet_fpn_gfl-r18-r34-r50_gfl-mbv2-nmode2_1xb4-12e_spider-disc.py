# MedDet (protocol v2, SPIDER disc): three frozen GFL + nmODE2-head
# teachers (R-18/34/50, 12 epochs) distilled into GFL MobileNetV2 + nmODE2
# head on the 5 FPN levels with AFA, LWFF and AATM, 12 epochs at batch 4,
# wired as issue 14 asks (./_base_/meddet_v2.py).
#
#   python benchmarks/run_spider_v2.py --run \
#       meddet_fpn_gfl-r18-r34-r50_gfl-mbv2-nmode2_1xb4-12e_spider-disc
#
# ---------------- frequently modified parameters ----------------
# Teacher checkpoints: where tools/train.py puts the teacher rows by
# default; benchmarks/run_spider_v2.py passes its own with --cfg-options.
__ckpt = 'work_dirs/gfl_{}_fpn_nmode2_1xb4-12e_spider-disc/epoch_12.pth'
teacher_r18_ckpt = __ckpt.format('r18')
teacher_r34_ckpt = __ckpt.format('r34')
teacher_r50_ckpt = __ckpt.format('r50')
# -----------------------------------------------------------------
_base_ = [
    '../_base_/models/meddet_gfl_mbv2.py',
    '../_base_/datasets/spider_disc.py',
    './_base_/protocol_v2.py',
    './_base_/schedule_v2_12e.py',
    './_base_/meddet_v2.py',
    '../_base_/default_runtime.py',
]
__teacher = '{{fileDirname}}/gfl_{}_fpn_nmode2_1xb4-12e_spider-disc.py'
model = dict(
    architecture=('{{fileDirname}}/'
                  'gfl_mbv2_fpn_nmode2-head_1xb4-12e_spider-disc.py'),
    teachers=dict(
        _delete_=True,
        r18=dict(cfg=__teacher.format('r18'), ckpt=teacher_r18_ckpt),
        r34=dict(cfg=__teacher.format('r34'), ckpt=teacher_r34_ckpt),
        r50=dict(cfg=__teacher.format('r50'), ckpt=teacher_r50_ckpt)),
    **_base_.meddet_v2_model,
    teacher_feature_cache=dict(cache_dir=_base_.feature_cache_dir))
custom_hooks = _base_.meddet_v2_hooks
# SGD (the protocol's) for the student and the distiller, Adam for D
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=_base_.sgd_wrapper,
    distiller=_base_.sgd_wrapper,
    discriminator=_base_.adam_wrapper)
# the protocol's loaders and logging (./_base_/protocol_v2.py)
train_dataloader = dict(batch_size=_base_.batch_size, **_base_.loader_workers)
val_dataloader = dict(**_base_.loader_workers)
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=_base_.log_interval))
log_processor = dict(window_size=_base_.log_interval,
                     mean_pattern=_base_.log_mean_pattern)
