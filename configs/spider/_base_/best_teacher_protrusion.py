# The one teacher of every single-teacher row on SPIDER protrusion (LD, MGD,
# FGD, MSKD, MedDet with one teacher): the best of MedDet's three teachers
# on val, chosen by the protocol v2 calibration (docs/results.md): R-34,
# 43.9 mAP against 40.3 and 42.8. The rows
# name it in their file names too (`..._gfl-r34_...`); when it changes,
# rename them (tests/test_benchmarks_spider_v2.py checks that they agree).
#
# ---- frequently modified parameters ----
best_teacher = 'r34'
# -----------------------------------------------------------------
teacher_config = ('{{fileDirname}}/../gfl_%s_fpn_nmode2_1xb4-12e_'
                  'spider-protrusion.py' % best_teacher)
# where tools/train.py puts that teacher row by default;
# benchmarks/run_spider_v2.py passes its own with --cfg-options
teacher_ckpt = ('work_dirs/gfl_%s_fpn_nmode2_1xb4-12e_spider-protrusion/'
                'epoch_12.pth' % best_teacher)
