# SPIDER protocol v2, 8 epochs (protrusion): the stock mmdet GFL recipe that
# the evidence issue measured on these 2 CPU cores (320-px keep-ratio slices,
# batch 4, SGD 0.01, 200-iteration linear warm-up, grad clip 35, x0.1 at
# epochs 6 and 7), no pretrained weights, the last checkpoint reported.
# Schedule and loader settings in one place (configs/spider/README.md); the
# loader keys are applied by each root row of configs/spider/ (a component
# cannot redefine the dataset base's loaders).
#
# ---- frequently modified parameters ----
max_epochs = 8
milestones = [6, 7]
batch_size = 4
# one process does the loading: a worker saves at most 0.3% of a step on
# 2 cores (configs/spider/README.md, "Why v1 runs stalled")
loader_workers = dict(num_workers=0, persistent_workers=False)
log_interval = 10  # iterations; also the smoothing window of logged values
# logged values averaged over that window (mmengine's pattern, plus the
# collapse diagnostics distill.{fused,generated}_spatial_ratio)
log_mean_pattern = r'.*(loss|time|data_time|grad_norm|spatial_ratio).*'
# teacher FPN maps on disk, shared by every distillation row and keyed by
# the teacher's weights (docs/teacher_feature_cache.md)
feature_cache_dir = '~/.cache/meddet_mm/teacher_features'
# -----------------------------------------------------------------
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)  # val once, at the end
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=200),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=milestones, gamma=0.1)
]
# distillation rows build their per-part wrappers from this one
sgd_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=35, norm_type=2))
optim_wrapper = sgd_wrapper
auto_scale_lr = dict(enable=False, base_batch_size=batch_size)
