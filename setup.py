"""Build hook for OpenMMLab's mim; all metadata is in setup.cfg.

``mim train meddet_mm CONFIG`` / ``mim test`` / ``mim run`` look for the tools
and configs in ``meddet_mm/.mim/``, as for mmdet and mmrazor. Installing
the package creates that folder: symbolic links to the repository's
``tools`` and ``configs`` for an editable install (``pip install -e .``,
what ``make install`` does), copies for a wheel or sdist.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import setup

MIM_ITEMS = ('tools', 'configs')


def add_mim_extension() -> None:
    """Create ``meddet_mm/.mim/{tools,configs}`` for mim."""
    if {'develop', 'editable_wheel'} & set(sys.argv):
        mode = 'copy' if os.name == 'nt' else 'symlink'
    elif {'sdist', 'bdist_wheel', 'build', 'build_py'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    repo = osp.dirname(osp.abspath(__file__))
    mim_dir = osp.join(repo, 'meddet_mm', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for item in MIM_ITEMS:
        src, dst = osp.join(repo, item), osp.join(mim_dir, item)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_dir), dst)
        else:
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(
                '__pycache__', '*.pyc'))


if __name__ == '__main__':
    add_mim_extension()
    setup()
