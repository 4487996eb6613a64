# MedDet-lean student (beyond the paper): the GFL MobileNetV2 student made
# cheap at inference on CPUs. Same backbone and P3-P7 levels (so the MedDet
# distiller and the teachers are unchanged), but a 64-channel FPN and a GFL
# head with 2 stacked 64-channel convs (paper student: 256 channels, 4
# convs). Distil it with configs/meddet_gfl_mbv2-lean_spider-disc.py;
# benchmarks/speed.py times it against the R-50 teacher.
_base_ = './gfl_mbv2_fpn_1x_spider-disc.py'
lean_channels = 64
model = dict(
    neck=dict(out_channels=lean_channels),
    bbox_head=dict(
        in_channels=lean_channels,
        feat_channels=lean_channels,
        stacked_convs=2),
    # a sagittal slice shows at most ~12 discs: fewer candidates before and
    # after NMS (stock 1000 / 100) cut post-processing time on CPU
    test_cfg=dict(nms_pre=200, max_per_img=30))
