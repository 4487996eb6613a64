# Teacher (protocol v2, SPIDER protrusion): GFL R-50 + FPN + nmODE2 head (the
# paper's teacher form), from scratch, 12 epochs at batch 4: teachers train
# longer than the 8-epoch students (calibration: configs/spider/README.md).
_base_ = [
    '../_base_/models/gfl_r50_fpn_nmode2.py',
    '../_base_/datasets/spider_protrusion.py',
    './_base_/protocol_v2.py',
    './_base_/schedule_v2_12e.py',
    '../_base_/default_runtime.py',
]
# the protocol's loaders and logging (./_base_/protocol_v2.py)
train_dataloader = dict(batch_size=_base_.batch_size, **_base_.loader_workers)
val_dataloader = dict(**_base_.loader_workers)
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=_base_.log_interval))
log_processor = dict(window_size=_base_.log_interval,
                     mean_pattern=_base_.log_mean_pattern)
