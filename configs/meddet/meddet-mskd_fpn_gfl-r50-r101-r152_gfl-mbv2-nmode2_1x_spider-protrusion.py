# MedDet + MSKD region terms on SPIDER protrusion: the MedDet algorithm of
# meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_spider-protrusion.py with
# the MSKD Feature Filtering (FFD) and Region Graph (RGD) losses added on
# every level, between the generated student maps G(AFA(S_i)) and the
# LWFF-fused teacher maps T_i (MultiTeacherAdversarialDistill.
# extra_distill_losses; docs/mskd.md).
# Weights are not tuned; both maps are standardised per image, as L_dist is.
_base_ = ('./meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_'
           'spider-protrusion.py')
model = dict(
    extra_distill_losses=dict(
        ffd=dict(type='FeatureFilteringDistillLoss', loss_weight=0.1,
                 normalize='instance', bg_weight=0., standardize='sample'),
        rgd=dict(type='RegionGraphDistillLoss', loss_weight=0.1,
                 node_weight=1.0, edge_weight=1.0, with_background=True)))
