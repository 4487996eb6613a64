# Runtime shared by every meddet_mm config: registers our modules, logs to
# local files + TensorBoard, keeps the checkpoint with the best val mAP.
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

# TensorBoard is used when the `tensorboard` package is installed.
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)

log_level = 'INFO'
load_from = None
resume = False

# stop on NaN/inf or exploding losses, before a bad checkpoint is written
custom_hooks = [dict(type='LossGuardHook', max_loss=1e4)]
# TensorBoard (needs `pip install tensorboard`):
#   vis_backends = [dict(type='LocalVisBackend'),
#                   dict(type='TensorboardVisBackend')]
