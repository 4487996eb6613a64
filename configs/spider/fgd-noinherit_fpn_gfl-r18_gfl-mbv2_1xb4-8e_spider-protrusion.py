# FGD on protocol v2, SPIDER protrusion, with the student's neck and head
# initialised as the plain student's: the FGD row without its authors'
# inheriting step (neck and head loaded from the teacher), so that the
# tables can tell how much of FGD's gain comes from the distillation loss
# and how much from starting at the teacher's weights. MedDet, like the
# plain student, starts from scratch.
_base_ = ['./fgd_fpn_gfl-r18_gfl-mbv2_1xb4-8e_spider-protrusion.py']

# mmdet's defaults of FPN and GFLHead (what the plain student uses)
model = dict(architecture=dict(
    neck=dict(init_cfg=dict(_delete_=True, type='Xavier', layer='Conv2d',
                            distribution='uniform')),
    bbox_head=dict(init_cfg=dict(
        _delete_=True, type='Normal', layer='Conv2d', std=0.01,
        override=dict(type='Normal', name='gfl_cls', std=0.01,
                      bias_prob=0.01)))))
