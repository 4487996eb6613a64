# MedDet with one teacher (protocol v2, SPIDER protrusion): the MedDet row
# with only the best of its three teachers
# (./_base_/best_teacher_protrusion.py), so that "multi-teacher" is measured
# on its own. LWFF then weighs one map.
_base_ = [
    './meddet_fpn_gfl-r18-r34-r50_gfl-mbv2-nmode2_1xb4-8e_'
    'spider-protrusion.py',
    './_base_/best_teacher_protrusion.py',
]
model = dict(
    teachers={
        '_delete_': True,
        _base_.best_teacher: dict(cfg=_base_.teacher_config,
                                  ckpt=_base_.teacher_ckpt)
    })
