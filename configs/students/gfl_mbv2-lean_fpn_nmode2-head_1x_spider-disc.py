# MedDet-lean student (beyond the paper): the MedDet student made cheap at
# inference for CPUs. Same MobileNetV2 backbone and P3-P7 levels (so the
# MedDet distiller and the teachers are unchanged), but a 64-channel FPN and a
# GFL head with 2 stacked 64-channel convs (paper student: 256 channels, 4
# convs); nmODE2 stays in both head branches. Distil it with
# configs/meddet_gfl_mbv2-lean_spider-disc.py; benchmarks/speed.py times it.
_base_ = './gfl_mbv2_fpn_nmode2-head_1x_spider-disc.py'
lean_channels = 64
model = dict(
    neck=dict(out_channels=lean_channels),
    bbox_head=dict(
        in_channels=lean_channels,
        feat_channels=lean_channels,
        stacked_convs=2))
