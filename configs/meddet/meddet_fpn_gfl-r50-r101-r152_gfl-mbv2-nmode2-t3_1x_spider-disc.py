# MedDet on SPIDER disc with the nmODE2 head integrated to t_end=3 (9 RK4
# steps) instead of 1 (students/gfl_mbv2_fpn_nmode2-head-t3_1x_spider-
# disc.py): the longer horizon of the noise evaluation (docs/nmode.md).
_base_ = './meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_spider-disc.py'
model = dict(
    architecture=('{{fileDirname}}/../students/'
                  'gfl_mbv2_fpn_nmode2-head-t3_1x_spider-disc.py'))
