# Runtime shared by every meddet_mm config: registers our modules, logs to
# local files (+ TensorBoard when installed), keeps the best-mAP checkpoint.
custom_imports = dict(imports=['meddet_mm'], allow_failed_imports=False)
default_scope = 'mmdet'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=2,
        save_best='coco/bbox_mAP',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))  # tools/train.py switches to gloo on CPU

vis_backends = [dict(type='LocalVisBackend')]
# TensorBoard events too (losses incl. distill.*, lr, val metrics) when the
# `tensorboard` package is importable; `make install` installs it. This is a
# call, not an import statement: mmengine would read a config that imports a
# module as a new-style (lazy) config.
if __import__('importlib.util').util.find_spec('tensorboard') is not None:
    vis_backends.append(dict(type='TensorboardVisBackend'))
visualizer = dict(
    type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)

log_level = 'INFO'
load_from = None
resume = False

# stop on NaN/inf or exploding losses, before a bad checkpoint is written
custom_hooks = [dict(type='LossGuardHook', max_loss=1e4)]
