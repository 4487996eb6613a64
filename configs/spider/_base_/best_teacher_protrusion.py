# The one teacher of every single-teacher row on SPIDER protrusion (LD, MGD,
# FGD, MSKD, MedDet with one teacher): the best of MedDet's three teachers
# on val, judged on the checkpoints the students distil from
# (docs/results.md, v2 calibration). R-18 trained again on this machine
# scores 43.8 mAP, R-50 42.8 and R-34 (trained again) 41.0; their first
# runs gave 40.3 / 42.8 / 43.9, so the ranking is within the teachers'
# run-to-run spread. The rows name it in their file names too
# (`..._gfl-r18_...`); when it changes, rename them
# (tests/test_benchmarks_spider_v2.py checks that they agree).
#
# ---- frequently modified parameters ----
best_teacher = 'r18'
# -----------------------------------------------------------------
teacher_config = ('{{fileDirname}}/../gfl_%s_fpn_nmode2_1xb4-12e_'
                  'spider-protrusion.py' % best_teacher)
# where tools/train.py puts that teacher row by default;
# benchmarks/run_spider_v2.py passes its own with --cfg-options
teacher_ckpt = ('work_dirs/gfl_%s_fpn_nmode2_1xb4-12e_spider-protrusion/'
                'epoch_12.pth' % best_teacher)
