# Calibration (protocol v2, SPIDER protrusion): the plain student trained 12
# epochs instead of 8 (x0.1 at epochs 8 and 11), everything else as the
# student row. Is its seed spread smaller, its mAP higher?
_base_ = '../gfl_mbv2_fpn_1xb4-8e_spider-protrusion.py'
max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    _base_.param_scheduler[0],  # the protocol's warm-up
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[8, 11], gamma=0.1)
]
