# Runtime of the CPU demo: small synthetic data, short iteration schedule,
# one checkpoint at the end, logs every 25 iterations.
_base_ = [
    '../default_runtime.py',
    '../schedules/schedule_demo_iter.py',
    './synthetic_cdh_small.py',
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=25),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=-1,
                    save_last=True, save_best=None),
    visualization=dict(type='DetVisualizationHook', draw=False))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)  # reproducible demo runs
