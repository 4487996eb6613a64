# Table I student "GFL (EfficientNet-B1)": EfficientNet-B0 student with the
# B1 depth multiplier (1.1; same widths, so the same FPN inputs).
_base_ = './gfl_effb0_fpn_1x_cdh.py'
model = dict(backbone=dict(arch='b1'))
