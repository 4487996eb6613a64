# MedDet-lean-DW128 student (beyond the paper): the lean-DW student
# (gfl_mbv2-lean-dw_fpn_1x_spider-disc.py) with a 128-channel FPN, so the
# maps MedDet distils keep more of the teachers' 256 channels. Distil it
# with configs/meddet_gfl_mbv2-lean-dw128_spider-disc.py.
_base_ = './gfl_mbv2-lean-dw_fpn_1x_spider-disc.py'
model = dict(
    neck=dict(out_channels=128),
    bbox_head=dict(in_channels=128))
