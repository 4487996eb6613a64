# The demo's MedDet until the students went to 400 iterations (make demo
# now runs ..._student-init_400it.py, which builds on this file): one teacher, the R-18 with the student's
# 64-channel FPN and head (800 iterations), whose neck and head the student
# starts from (init_student_from: the MGD/FGD authors' recipe); then
# MedDet's region L_dist (tau 0.05) and AATM term over 600 iterations.
# With the same FPN width the teacher's maps need no AFA connector.
_base_ = './meddet_gfl_mbv2_demo_synthetic_region-dist_tau-0.05_600it.py'
teacher_r18_ckpt = ('work_dirs/demo/gfl_r18_fpn-64_nmode2_demo_synthetic_'
                    '800it/iter_800.pth')
model = dict(
    teachers=dict(
        _delete_=True,
        r18=dict(cfg='{{fileDirname}}/gfl_r18_fpn-64_nmode2_demo_synthetic'
                 '_800it.py', ckpt=teacher_r18_ckpt)),
    distiller=dict(teacher_channels=64),
    init_student_from=dict(teacher='r18', parts=('neck', 'bbox_head')))
