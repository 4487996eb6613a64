# Calibration (protocol v2, SPIDER protrusion): the R-50 + nmODE2 teacher
# trained 24 epochs instead of 12 (mmdet 2x: x0.1 at epochs 16 and 22).
# Does a longer teacher open the gap to the student (at least 3 mAP)?
_base_ = '../gfl_r50_fpn_nmode2_1xb4-12e_spider-protrusion.py'
max_epochs = 24
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    _base_.param_scheduler[0],  # the protocol's warm-up
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[16, 22], gamma=0.1)
]
