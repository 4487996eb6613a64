"""tools/dataset_converters/spider_to_coco.py on a tiny synthetic SPIDER-like
release written here (uncompressed and zlib MHA, two orientations)."""
import json
import zlib

import cv2
import numpy as np
import pytest
from cdh_test_utils import load_tool

from meddet_mm.datasets.metaimage import MetaImageError, read_metaimage

# canonical display frame: (slice, row = superior at top, col = posterior)
N_SLICES, ROWS, COLS = 5, 60, 50
DISC_A = (45, 49, 10, 31)  # rows [45, 49), cols [10, 31): lowest, IVD 1
DISC_B = (20, 24, 12, 33)  # IVD 2


def canonical():
    rng = np.random.default_rng(0)
    img = rng.integers(100, 2000, (N_SLICES, ROWS, COLS)).astype(np.uint16)
    mask = np.zeros((N_SLICES, ROWS, COLS), np.uint8)
    for k in range(4):
        r0, r1, c0, c1 = DISC_B
        mask[k, r0:r1, c0:c1] = 202
    for k in range(1, 4):
        r0, r1, c0, c1 = DISC_A
        mask[k, r0:r1, c0:c1] = 201
    mask[2, 5:7, 40:42] = 1  # a vertebra label, ignored
    return img, mask


def write_mha(path, arr, etype, matrix=None, compress=False):
    header = ['ObjectType = Image', 'NDims = 3',
              'DimSize = ' + ' '.join(str(s) for s in arr.shape[::-1]),
              f'ElementType = {etype}', 'ElementSpacing = 0.9 0.5 0.5',
              'BinaryDataByteOrderMSB = False']
    if matrix is not None:
        values = ' '.join(str(v) for v in matrix)
        header.append(f'TransformMatrix = {values}')
    data = arr.tobytes()
    if compress:
        data = zlib.compress(data)
        header += ['CompressedData = True',
                   f'CompressedDataSize = {len(data)}']
    header.append('ElementDataFile = LOCAL')
    path.write_bytes(('\n'.join(header) + '\n').encode() + data)


@pytest.fixture
def spider(tmp_path, monkeypatch):
    monkeypatch.setenv('MEDDET_NO_SIMPLEITK', '1')
    root = tmp_path / 'SPIDER'
    (root / 'images').mkdir(parents=True)
    (root / 'masks').mkdir()
    img, mask = canonical()
    # patient 1: identity direction, numpy (z=S, y=P, x=L)
    vol1 = np.transpose(img[:, ::-1, :], (1, 2, 0))
    msk1 = np.transpose(mask[:, ::-1, :], (1, 2, 0))
    write_mha(root / 'images' / '1_t2_SPACE.mha', vol1, 'MET_USHORT')
    write_mha(root / 'masks' / '1_t2_SPACE.mha', msk1, 'MET_UCHAR')
    # patient 2: axis x -> P, y -> inferior, z -> L (numpy = display order)
    matrix = [0, 1, 0, 0, 0, -1, 1, 0, 0]
    write_mha(root / 'images' / '2_t2_SPACE.mha', img, 'MET_USHORT', matrix,
              compress=True)
    write_mha(root / 'masks' / '2_t2_SPACE.mha', mask, 'MET_UCHAR', matrix)
    # another series of patient 1, not selected
    write_mha(root / 'images' / '1_t1.mha', vol1, 'MET_USHORT')
    (root / 'radiological_gradings.csv').write_text(
        'Patient,IVD label,Modic,UP endplate,LOW endplate,'
        'Spondylolisthesis,Disc herniation,Disc narrowing,Disc bulging,'
        'Pfirrman grade\n'
        '1,1,0,0,0,0,1,0,0,4\n'
        '1,2,0,0,0,0,0,0,0,3\n'
        '2,2,0,0,0,0,0,1,1,2\n')
    return root


def test_metaimage_fallback_reader(spider):
    vol, meta = read_metaimage(str(spider / 'images' / '2_t2_SPACE.mha'))
    img, _ = canonical()
    assert vol.dtype == np.uint16 and np.array_equal(vol, img)
    assert np.allclose(meta['spacing'], [0.9, 0.5, 0.5])
    assert np.array_equal(meta['direction'][2], [1, 0, 0])


def test_metaimage_errors(tmp_path, monkeypatch):
    bad = tmp_path / 'bad.mha'
    bad.write_bytes(b'ObjectType = Image\nNDims = 3\nDimSize = 4 4 4\n'
                    b'ElementType = MET_UCHAR\nElementDataFile = LOCAL\n'
                    + bytes(10))
    # SimpleITK (when installed) and the built-in reader both name the file
    with pytest.raises(MetaImageError, match='bad.mha'):
        read_metaimage(str(bad))
    monkeypatch.setenv('MEDDET_NO_SIMPLEITK', '1')
    with pytest.raises(MetaImageError, match='bad.mha.*expected 64 data'):
        read_metaimage(str(bad))
    with pytest.raises(FileNotFoundError, match='none.mha'):
        read_metaimage(str(tmp_path / 'none.mha'))


def test_convert(spider, tmp_path, capsys):
    tool = load_tool('dataset_converters/spider_to_coco.py')
    out = tmp_path / 'out'
    assert tool.main(['--spider-root', str(spider), '--out', str(out),
                      '--val-patients', '2', '--min-area', '10']) == 0

    def read(name):
        return json.loads((out / name).read_text())

    disc_tr, disc_va = read('disc_train.json'), read('disc_val.json')
    prot_tr, prot_va = read('protrusion_train.json'), read(
        'protrusion_val.json')
    assert json.loads((out / 'split.json').read_text()) == dict(
        train=[1], val=[2])
    assert [c['name'] for c in prot_tr['categories']] == [
        'protrusion', 'non-protrusion']
    assert [c['name'] for c in disc_tr['categories']] == ['disc']

    # slices 0-3 of each patient have discs; ids are global and shared
    assert [i['file_name'] for i in disc_tr['images']] == [
        f'001_{k:03d}.png' for k in range(4)]
    assert [i['id'] for i in disc_tr['images']] == [1, 2, 3, 4]
    assert [i['id'] for i in disc_va['images']] == [5, 6, 7, 8]
    assert len(disc_tr['annotations']) == 7

    # longer side 60 -> 320
    im = disc_tr['images'][1]
    assert (im['width'], im['height']) == (267, 320)
    assert (im['orig_width'], im['orig_height']) == (50, 60)
    sx, sy = 267 / 50, 320 / 60
    assert im['scale_x'] == pytest.approx(sx)
    png = cv2.imread(str(out / 'images' / im['file_name']),
                     cv2.IMREAD_UNCHANGED)
    assert png.shape == (320, 267) and png.dtype == np.uint8

    # both orientations give the same slices
    png2 = cv2.imread(str(out / 'images' / '002_001.png'),
                      cv2.IMREAD_UNCHANGED)
    assert np.array_equal(png, png2)

    # protrusion labels: IVD 1 (lowest, herniated) vs IVD 2
    anns = [a for a in prot_tr['annotations'] if a['image_id'] == 2]
    by_level = {a['spider_ivd_label']: a for a in anns}
    r0, r1, c0, c1 = DISC_A
    assert by_level[1]['category_id'] == 1
    assert by_level[1]['bbox'] == pytest.approx(
        [c0 * sx, r0 * sy, (c1 - c0) * sx, (r1 - r0) * sy])
    assert by_level[1]['disc_herniation'] == 1
    assert by_level[1]['pfirrmann_grade'] == 4
    assert by_level[2]['category_id'] == 2
    assert by_level[2]['bbox'][1] < by_level[1]['bbox'][1]  # B above A

    # patient 2 has no grading for IVD 1: only slice 0 (B only) is kept
    assert [i['file_name'] for i in prot_va['images']] == ['002_000.png']
    assert [a['category_id'] for a in prot_va['annotations']] == [1]
    assert 'left out (protrusion: disc without grading): 3' in \
        capsys.readouterr().out


def test_converted_folder_loads_in_cdh_dataset(spider, tmp_path):
    from meddet_mm.datasets import CDHDataset
    tool = load_tool('dataset_converters/spider_to_coco.py')
    out = tmp_path / 'out'
    tool.main(['--spider-root', str(spider), '--out', str(out),
               '--val-patients', '2', '--min-area', '10'])
    ds = CDHDataset(data_root=str(out), ann_file='disc_train.json',
                    data_prefix=dict(img='images/'),
                    metainfo=dict(classes=('disc', )),
                    check_images='decode')
    assert len(ds) == 4
