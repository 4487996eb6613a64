# Plain student (protocol v2, SPIDER protrusion): GFL MobileNetV2 + FPN +
# stock GFL head from scratch, 8 epochs at batch 4. The student of every
# Table I row; the KD baselines of configs/spider/ inherit this file.
_base_ = [
    '../_base_/models/gfl_mbv2_fpn.py',
    '../_base_/datasets/spider_protrusion.py',
    './_base_/protocol_v2.py',
    './_base_/schedule_v2_8e.py',
    '../_base_/default_runtime.py',
]
# the protocol's loaders and logging (./_base_/protocol_v2.py)
train_dataloader = dict(batch_size=_base_.batch_size, **_base_.loader_workers)
val_dataloader = dict(**_base_.loader_workers)
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=_base_.log_interval))
log_processor = dict(window_size=_base_.log_interval,
                     mean_pattern=_base_.log_mean_pattern)
