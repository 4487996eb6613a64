# MSKD distiller (Zhao et al., Comput. Biol. Med. 2023) adapted to detection,
# on the 5 FPN levels of GFL: Feature Filtering Distillation (imitate the
# teacher's features only inside the GT boxes, each box normalised by its
# area) and Region Graph Distillation (imitate the pooled feature of each GT
# box and of the background, and the cosine similarities between them).
# meddet_mm's FeatureFilteringDistillLoss and RegionGraphDistillLoss, see
# docs/mskd.md. The one copy of it: list this file in `_base_` and write
# `distiller=_base_.mskd_distiller` in the model (the two
# configs/kd_baselines/mskd_fpn_*.py and the protocol v2 row
# configs/spider/mskd_fpn_gfl-r18_gfl-mbv2_1xb4-8e_spider-protrusion.py).
#
# ---------------- frequently modified parameters ----------------
# Loss weights by the rule of docs/mskd.md, not tuned on val: at
# initialisation FFD and RGD (each summed over the 5 levels) are each 1/8
# of the detection loss (0.25 together), measured on the first SPIDER
# protrusion batch by tools/analysis_tools/distill_loss_weights.py (0.029
# and 0.030; unit weights made them 8x the detection loss) with the v1
# teacher; the CDH config uses them too.
ffd_weight = 0.03
rgd_weight = 0.03
# Both maps standardised per image (over channels and positions; per channel
# would blank P6/P7, which are only a few cells), as MedDet's L_dist.
ffd_cfg = dict(
    normalize='instance',  # every box weighs the same, whatever its size
    bg_weight=0.,  # background suppressed
    standardize='sample')
rgd_cfg = dict(
    node_weight=1.0,  # region features (cosine, see docs/mskd.md)
    edge_weight=1.0,  # region-to-region similarities
    with_background=True)
# -----------------------------------------------------------------
num_levels = 5  # FPN outputs P3-P7, 256 channels in teacher and student

# both losses read the student's data samples (GT boxes) recorded on the
# detector's forward(inputs, data_samples, mode) -> data_idx=1
__samples = dict(from_student=True, recorder='data_samples', data_idx=1)
mskd_distiller = dict(
    type='mmrazor.ConfigurableDistiller',
    student_recorders=dict(
        fpn=dict(type='mmrazor.ModuleOutputs', source='neck'),
        data_samples=dict(
            type='mmrazor.MethodInputs',
            source='mmdet.models.detectors.base.BaseDetector.forward')),
    teacher_recorders=dict(
        fpn=dict(type='mmrazor.ModuleOutputs', source='neck')),
    distill_losses={
        **{
            f'loss_ffd_fpn{i}': dict(
                type='mmrazor.FeatureFilteringDistillLoss',
                loss_weight=ffd_weight, **ffd_cfg)
            for i in range(num_levels)
        },
        **{
            f'loss_rgd_fpn{i}': dict(
                type='mmrazor.RegionGraphDistillLoss',
                loss_weight=rgd_weight, **rgd_cfg)
            for i in range(num_levels)
        }
    },
    loss_forward_mappings={
        f'loss_{kind}_fpn{i}': dict(
            preds_S=dict(from_student=True, recorder='fpn', data_idx=i),
            preds_T=dict(from_student=False, recorder='fpn', data_idx=i),
            data_samples=__samples)
        for kind in ('ffd', 'rgd') for i in range(num_levels)
    })
