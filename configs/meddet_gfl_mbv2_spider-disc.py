# DEPRECATED, removed in the next release; see docs/config_renames.md
_base_ = './meddet/meddet_fpn_gfl-r50-r101-r152_gfl-mbv2-nmode2_1x_spider-disc.py'  # noqa: E501
