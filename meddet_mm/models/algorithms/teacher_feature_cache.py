"""Cache of frozen-teacher feature maps for distillation.

Teachers are frozen and run in eval mode, so for a deterministic training
pipeline their recorded maps (e.g. the FPN outputs) for one image never
change. The cache stores them per image in fp16, on disk or in memory, and
the distillation algorithm reads them instead of running the teachers.

A cache entry is keyed by
  * the teacher: a digest of its weights and buffers plus the recorded
    module (so a retrained or different teacher never hits old entries);
  * the sample: image path (with file size and mtime) or image id, the
    flip state, image shape, scale factor and padded batch shape;
  * the pipeline: a digest of the train dataset config (pipeline included),
    set by :class:`TeacherFeatureCacheHook` after it has checked that every
    transform is deterministic or only takes values the key records.
Change any of them and the entry is simply not found (computed again).
"""
import hashlib
import json
import os
import os.path as osp
import tempfile
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn as nn

# Transforms whose output depends only on the image and fixed settings.
DETERMINISTIC_TRANSFORMS = {
    'LoadImageFromFile', 'LoadAnnotations', 'LoadMedicalImageFromFile',
    'LoadSyntheticCDHImage', 'LoadImageFromNDArray', 'Resize', 'Pad',
    'PackDetInputs', 'FilterAnnotations', 'AddPrivilegedChannels'
}
# Random transforms with a finite outcome that the sample key records.
KEYED_TRANSFORMS = {'RandomFlip'}
# Noise transforms are deterministic only with a fixed seed (per image).
SEEDED_TRANSFORMS = {'RicianNoise', 'GaussianNoise'}
FLIP_META_KEYS = ('flip', 'flip_direction')


class UncacheablePipelineError(ValueError):
    """The training pipeline has random steps the cache cannot key."""


def check_cacheable_pipeline(pipeline: Sequence[dict],
                             where: str = 'train pipeline') -> None:
    """Raise :class:`UncacheablePipelineError` naming the first transform
    whose output is random in a way the cache key does not record."""
    for i, step in enumerate(pipeline):
        name = str(step.get('type', '')).split('.')[-1]
        if name in DETERMINISTIC_TRANSFORMS:
            if name == 'Resize' and not isinstance(step.get('scale'),
                                                   (tuple, list, int)):
                raise UncacheablePipelineError(
                    f'{where}[{i}] Resize needs a fixed `scale` for the '
                    f'teacher-feature cache, got {step.get("scale")!r}')
            if name == 'PackDetInputs' and 'meta_keys' in step:
                missing = [k for k in ('img_path', 'img_id', 'img_shape',
                                       'scale_factor', *FLIP_META_KEYS)
                           if k not in step['meta_keys']]
                if missing:
                    raise UncacheablePipelineError(
                        f'{where}[{i}] PackDetInputs meta_keys lack '
                        f'{missing}, which key the teacher-feature cache')
            continue
        if name in KEYED_TRANSFORMS:
            direction = step.get('direction', 'horizontal')
            if not isinstance(direction, str):
                raise UncacheablePipelineError(
                    f'{where}[{i}] RandomFlip with several directions '
                    f'{direction!r}: use one direction with the '
                    'teacher-feature cache')
            continue
        if name in SEEDED_TRANSFORMS:
            if step.get('seed') is None:
                raise UncacheablePipelineError(
                    f'{where}[{i}] {name} without `seed` draws new noise '
                    'every epoch, so cached teacher features would be '
                    f'wrong; set {name}(seed=...) (noise then depends only '
                    'on the seed and the image) or disable the cache '
                    '(model.teacher_feature_cache=None)')
            continue
        raise UncacheablePipelineError(
            f'{where}[{i}] {step.get("type")!r} is not known to be '
            'deterministic, so the teacher-feature cache cannot key its '
            'output; remove it or disable the cache '
            '(model.teacher_feature_cache=None). Known: '
            f'{sorted(DETERMINISTIC_TRANSFORMS | KEYED_TRANSFORMS)} and '
            f'seeded {sorted(SEEDED_TRANSFORMS)}')


def config_digest(obj) -> str:
    """Short digest of a JSON-able config."""
    text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def module_digest(module: nn.Module, extra: str = '') -> str:
    """Digest of every parameter and buffer of ``module`` (name and value)."""
    digest = hashlib.sha1(extra.encode())
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        if isinstance(tensor, torch.Tensor):
            t = tensor.detach().cpu().contiguous().reshape(-1)
            digest.update(str((t.dtype, tuple(tensor.shape))).encode())
            if t.numel():
                digest.update(t.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


class TeacherFeatureCache:
    """fp16 store of per-image teacher maps (see the module docstring).

    Args:
        cache_dir (str, optional): Folder for ``.pt`` files, shared by every
            run that distils from the same teachers (MedDet, its ablations).
            None keeps entries in memory only (lost when the run ends).
        dtype (str): Storage dtype, ``'float16'`` (default) or
            ``'float32'``.
    """

    def __init__(self, cache_dir: Optional[str] = None,
                 dtype: str = 'float16') -> None:
        if dtype not in ('float16', 'float32'):
            raise ValueError(f'teacher_feature_cache.dtype must be float16 '
                             f'or float32, got {dtype!r}')
        self.cache_dir = osp.expanduser(cache_dir) if cache_dir else None
        self.dtype = getattr(torch, dtype)
        self.memory: Dict[str, dict] = {}
        self.pipeline_digest: Optional[str] = None
        self.teacher_keys: Dict[str, str] = {}
        self.hits = 0  # images found, summed over teachers
        self.misses = 0

    # ----------------------------------------------------------- binding
    def bind_pipeline(self, dataset_cfg: dict) -> None:
        """Check the train pipeline and key entries by the dataset config."""
        check_cacheable_pipeline(dataset_cfg.get('pipeline', []))
        self.pipeline_digest = config_digest(dataset_cfg)

    def teacher_key(self, name: str, teacher: nn.Module, source: str) -> str:
        """Weights digest of one teacher, computed once per run."""
        if name not in self.teacher_keys:
            self.teacher_keys[name] = module_digest(teacher, source)
        return self.teacher_keys[name]

    # -------------------------------------------------------------- keys
    def sample_keys(self, data_samples) -> List[str]:
        """One key per image of the batch (see the module docstring)."""
        if self.pipeline_digest is None:
            raise RuntimeError(
                'teacher_feature_cache is on but the train pipeline was '
                'never checked: add dict(type=\'TeacherFeatureCacheHook\') '
                'to custom_hooks')
        keys = []
        for sample in data_samples:
            meta = sample.metainfo
            path = meta.get('img_path')
            if path is None and meta.get('img_id') is None:
                raise KeyError('teacher_feature_cache needs img_path or '
                               'img_id in the data sample metainfo')
            source = [path, meta.get('img_id')]
            if path and osp.isfile(path):
                stat = os.stat(path)
                source += [stat.st_size, int(stat.st_mtime)]
            scale = meta.get('scale_factor')
            source += [
                bool(meta.get('flip', False)),
                meta.get('flip_direction'),
                list(meta.get('img_shape', ())),
                [round(float(s), 6) for s in scale] if scale is not None
                else None,
                list(meta.get('batch_input_shape', ())),
                self.pipeline_digest,
            ]
            keys.append(config_digest(source))
        return keys

    # ---------------------------------------------------------- get / put
    def _file(self, teacher_key: str, key: str) -> str:
        return osp.join(self.cache_dir, teacher_key, key[:2], f'{key}.pt')

    def _get_one(self, teacher_key: str, key: str):
        full = f'{teacher_key}/{key}'
        if full in self.memory:
            return self.memory[full]
        if self.cache_dir:
            path = self._file(teacher_key, key)
            if osp.isfile(path):
                try:
                    return torch.load(path, map_location='cpu',
                                      weights_only=True)
                except Exception:  # noqa: BLE001 - a torn file is a miss
                    return None
        return None

    def lookup(self, teacher_key: str,
               keys: Sequence[str]) -> List[Optional[dict]]:
        """The stored entry of each image, None where there is none."""
        entries = [self._get_one(teacher_key, key) for key in keys]
        found = sum(e is not None for e in entries)
        self.hits += found
        self.misses += len(entries) - found
        return entries

    @staticmethod
    def split(feats) -> List[dict]:
        """Per-image entries (full precision) of one batch of maps."""
        single = isinstance(feats, torch.Tensor)
        feats = [feats] if single else list(feats)
        return [dict(single=single, maps=[f[i] for f in feats])
                for i in range(len(feats[0]))]

    @staticmethod
    def assemble(entries: Sequence[dict], device: torch.device):
        """Stack per-image entries back into float32 batch maps."""
        maps = tuple(
            torch.stack([e['maps'][lvl].to(device, torch.float32)
                         for e in entries])
            for lvl in range(len(entries[0]['maps'])))
        return maps[0] if entries[0]['single'] else maps

    def put(self, teacher_key: str, keys: Sequence[str],
            feats: Sequence[torch.Tensor]) -> None:
        """Store one batch of maps: one ``(N, ...)`` tensor or a sequence of
        them (e.g. the FPN levels)."""
        for key, entry in zip(keys, self.split(feats)):
            entry = dict(entry, maps=[
                m.detach().to('cpu', self.dtype).clone()
                for m in entry['maps']
            ])
            if self.cache_dir:
                path = self._file(teacher_key, key)
                os.makedirs(osp.dirname(path), exist_ok=True)
                # write then rename: readers never see a partial file
                fd, tmp = tempfile.mkstemp(dir=osp.dirname(path),
                                           suffix='.tmp')
                os.close(fd)
                torch.save(entry, tmp)
                os.replace(tmp, path)
            else:
                self.memory[f'{teacher_key}/{key}'] = entry

    # ---------------------------------------------------------- exchange
    def exchange(
            self,
            teacher_keys: Dict[str, str],
            data_samples,
            run_fn: Callable[[List[int]], Dict[str, Sequence]],
            device: torch.device,
            sample_keys: Optional[List[str]] = None) -> Dict[str, Sequence]:
        """One teacher's recorded maps for this batch, read from the cache
        where it has them.

        Every image is looked up under each record's teacher key; the
        teacher runs once, on the images some record lacks, and what it
        returns is stored. When no image was found the teacher's own maps
        are returned as they are; otherwise the cached (``dtype``) and the
        new (full precision) per-image maps are stacked into float32.

        Args:
            teacher_keys (dict[str, str]): ``{record name: teacher key}``
                (:meth:`teacher_key`) of the records one run of the teacher
                gives, e.g. one per recorder.
            data_samples (list): The batch's data samples.
            run_fn (callable): ``run_fn(indices)`` runs the teacher on the
                images at ``indices`` (sorted batch positions, all of them
                when nothing was found) and returns ``{record name: maps}``
                for those images.
            device (torch.device): Device of the returned maps.
            sample_keys (list[str], optional): :meth:`sample_keys` of
                ``data_samples`` if already computed. Defaults to None.

        Returns:
            dict: ``{record name: maps}`` for the whole batch, each one
            ``(N, ...)`` tensor or a tuple of them (as the recorder gave).
        """
        keys = self.sample_keys(data_samples) if sample_keys is None \
            else sample_keys
        entries = {name: self.lookup(key, keys)
                   for name, key in teacher_keys.items()}
        missing = sorted({i for rows in entries.values()
                          for i, e in enumerate(rows) if e is None})
        if missing:
            live = run_fn(missing)
            for name, key in teacher_keys.items():
                self.put(key, [keys[i] for i in missing], live[name])
            if len(missing) == len(keys):
                return {name: live[name] for name in teacher_keys}
            for name in teacher_keys:
                for i, entry in zip(missing, self.split(live[name])):
                    entries[name][i] = entry
        return {name: self.assemble(rows, device)
                for name, rows in entries.items()}


def take(inputs: torch.Tensor, data_samples, indices: Sequence[int]):
    """The images of a batch at ``indices`` (the batch itself when that is
    all of it): ``(inputs, data_samples)``."""
    if len(indices) == len(inputs):
        return inputs, data_samples
    return inputs[list(indices)], [data_samples[i] for i in indices]
