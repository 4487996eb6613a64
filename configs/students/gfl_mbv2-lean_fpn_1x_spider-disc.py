# MedDet-lean student (beyond the paper): the GFL MobileNetV2 student made
# cheap at inference on CPUs. Same backbone and P3-P7 levels (so the MedDet
# distiller and the teachers are unchanged), but a 64-channel FPN and a GFL
# head with 2 stacked 64-channel convs (paper student: 256 channels, 4
# convs). Distil it with configs/meddet/
# meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-lean_1x_spider-disc.py;
# benchmarks/speed.py times it against the R-50 teacher. The other lean
# students are deltas of this one.
_base_ = [
    '../_base_/models/gfl_mbv2_fpn.py',
    '../_base_/datasets/spider_disc.py',
    '../_base_/schedules/schedule_sgd_12e.py',
    '../_base_/default_runtime.py',
]
lean_channels = 64
model = dict(
    neck=dict(out_channels=lean_channels),
    bbox_head=dict(
        num_classes=1,
        in_channels=lean_channels,
        feat_channels=lean_channels,
        stacked_convs=2),
    # a sagittal slice shows at most ~12 discs: fewer candidates before and
    # after NMS (stock 1000 / 100) cut post-processing time on CPU
    test_cfg=dict(nms_pre=200, max_per_img=30))
