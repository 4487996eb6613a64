# CPU-protocol teacher (benchmarks/run_spider.py): GFL ResNet-50 + FPN with
# the stock GFL head (nmODE2 off: nmode_cfg=None). On 2 CPU cores the RK4
# nmODE2 head makes a training step ~2.5x dearer (benchmarks/
# distill_step_cost.py), so the CPU protocol drops it from the teachers.
_base_ = './gfl_r50_fpn_nmode2_1x_spider-disc.py'
model = dict(bbox_head=dict(nmode_cfg=None))
