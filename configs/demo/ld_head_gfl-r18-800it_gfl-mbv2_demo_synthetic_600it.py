# Diagnostic (docs/demo.md): LD (localisation distillation, mmdet's
# KnowledgeDistillationSingleStageDetector + LDHead) from the 800-iteration
# R-18 teacher into the plain-GFL-head demo student: does the teacher's
# better localisation pass on when its box distributions are distilled?
# Give the teacher checkpoint with --cfg-options model.teacher_ckpt=...
_base_ = './gfl_mbv2_fpn_demo_synthetic_600it_gfl-head.py'
model = dict(
    type='KnowledgeDistillationSingleStageDetector',
    teacher_config='configs/demo/gfl_r18_fpn_nmode2_demo_synthetic_800it.py',
    teacher_ckpt='work_dirs/demo_variants/'
    'gfl_r18_fpn_nmode2_demo_synthetic_800it/seed0/iter_800.pth',
    bbox_head=dict(
        type='LDHead',
        loss_ld=dict(
            type='KnowledgeDistillationKLDivLoss', loss_weight=0.25, T=10)))
