"""Shared pytest fixtures and paths for the meddet_mm tests."""
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SPIDER_ROOT = osp.join(osp.dirname(REPO_ROOT), 'shared', 'data',
                       'spider_t2space')


@pytest.fixture
def spider_root():
    """Path of the shared SPIDER set; skips the test when it is absent."""
    if not osp.isdir(SPIDER_ROOT):
        pytest.skip(f'SPIDER data not found at {SPIDER_ROOT} '
                    '(the shared/ folder beside the repo)')
    return SPIDER_ROOT
