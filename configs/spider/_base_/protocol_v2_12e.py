# SPIDER protocol v2, 12 epochs (disc rows, and the teachers, which may train
# longer than the students): protocol_v2_8e.py with mmdet's 1x length and
# steps (x0.1 at epochs 8 and 11); everything else is the same.
# Schedule and loader settings in one place (configs/spider/README.md); the
# loader keys are applied by each root row of configs/spider/ (a component
# cannot redefine the dataset base's loaders).
#
# ---- frequently modified parameters ----
max_epochs = 12
milestones = [8, 11]
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
