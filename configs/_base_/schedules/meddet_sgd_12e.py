# MedDet schedule: the 12-epoch SGD schedule of schedule_sgd_12e.py (written
# out: schedule bases are flat so configs stay at most 3 files deep;
# tests/test_config_layout.py keeps the two equal) with one optimizer per
# trainable part: SGD for the student and for the AFA/LWFF/G distiller, Adam
# for the AATM discriminator.
max_epochs = 12
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[8, 11], gamma=0.1)
]
# the SGD wrapper of schedule_sgd_12e.py; configs without AATM build their
# optim_wrapper from it (architecture + distiller only)
sgd_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=35, norm_type=2))
optim_wrapper = dict(
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=sgd_wrapper,
    distiller=sgd_wrapper,
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))))
auto_scale_lr = dict(enable=False, base_batch_size=16)
