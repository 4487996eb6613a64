# MedDet with one privileged-input teacher, DEMONSTRATION: teacher 'r50' sees
# the image plus 2 privileged channels (ground-truth box masks, see
# gfl_r50_fpn_privileged-boxmask_1x_spider-protrusion.py); 'r101' and 'r152'
# see the image only. The algorithm appends the privileged channels for that
# teacher alone; the MobileNetV2 student trains and predicts on the image
# only (its val/test pipeline has no privileged step).
_base_ = ('../meddet/meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_'
           'spider-protrusion.py')
privileged = dict(type='AddPrivilegedChannels', mode='box_mask',
                  num_classes=2)
model = dict(
    teachers=dict(
        r50=dict(
            cfg='{{fileDirname}}/'
            'gfl_r50_fpn_privileged-boxmask_1x_spider-protrusion.py',
            ckpt='work_dirs/gfl_r50_fpn_privileged-boxmask_1x_spider-'
            'protrusion/epoch_12.pth')))
train_dataloader = dict(
    dataset=dict(pipeline=_base_.train_pipeline + [privileged]))
