# Plain student (protocol v2, SPIDER disc): GFL MobileNetV2 + FPN +
# stock GFL head from scratch, 12 epochs at batch 4, one class.
_base_ = [
    '../_base_/models/gfl_mbv2_fpn.py',
    '../_base_/datasets/spider_disc.py',
    './_base_/protocol_v2.py',
    './_base_/schedule_v2_12e.py',
    '../_base_/default_runtime.py',
]
model = dict(bbox_head=dict(num_classes=1))
# the protocol's loaders and logging (./_base_/protocol_v2.py)
train_dataloader = dict(batch_size=_base_.batch_size, **_base_.loader_workers)
val_dataloader = dict(**_base_.loader_workers)
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=_base_.log_interval))
log_processor = dict(window_size=_base_.log_interval,
                     mean_pattern=_base_.log_mean_pattern)
