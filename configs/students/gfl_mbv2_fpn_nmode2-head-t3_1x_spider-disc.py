# The MedDet student (nmODE2 in the GFL head) on SPIDER disc with the block
# integrated to t_end=3 instead of 1, at the same step size (9 RK4 steps
# instead of 3): the longer horizon of the noise evaluation
# (benchmarks/noise_robustness.py --t-end 1 3; docs/nmode.md). Written over
# the plain student, like gfl_mbv2_fpn_nmode2-head_1x_spider-disc.py, so it
# stays 3 files deep.
_base_ = './gfl_mbv2_fpn_1x_spider-disc.py'
model = dict(
    bbox_head=dict(
        type='NmODE2GFLHead',
        nmode_cfg=dict(type='NmODE2', solver='rk4', num_steps=9, t_end=3.0),
        nmode_branches=('cls', 'reg')))
