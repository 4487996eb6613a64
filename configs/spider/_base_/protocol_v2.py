# SPIDER protocol v2 without its length: the stock mmdet GFL recipe that the
# evidence issue measured on these 2 CPU cores (320-px keep-ratio slices,
# batch 4, SGD 0.01, grad clip 35), no pretrained weights, the last
# checkpoint reported. Each root row of configs/spider/ lists it with one
# schedule (./schedule_v2_{8e,12e}.py) and applies the loader keys itself (a
# component cannot redefine the dataset base's loaders); see
# configs/spider/README.md.
#
# ---- frequently modified parameters ----
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
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# distillation rows build their per-part wrappers from this one
sgd_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=35, norm_type=2))
optim_wrapper = sgd_wrapper
auto_scale_lr = dict(enable=False, base_batch_size=batch_size)
