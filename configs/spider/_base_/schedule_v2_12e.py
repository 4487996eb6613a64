# SPIDER protocol v2, 12 epochs (the disc rows, and the teachers, which may
# train longer than the students): mmdet's 1x, 200-iteration linear warm-up,
# x0.1 at epochs 8 and 11. Listed with ./protocol_v2.py.
max_epochs = 12
milestones = [8, 11]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)  # val once, at the end
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=200),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=milestones, gamma=0.1)
]
