"""Connect a distillation model's teacher-feature cache to the train data.

Only the runner knows the training pipeline, so this hook checks it (random
steps the cache cannot key are refused with the transform named) and gives
the cache a digest of the dataset config, which becomes part of every key.
Without a cache on the model the hook does nothing.
"""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmdet.registry import HOOKS


def find_pipeline_dataset(dataset_cfg: dict, where: str) -> dict:
    """The innermost dataset config that has a ``pipeline`` (unwraps
    RepeatDataset/ClassBalancedDataset; ConcatDataset must agree)."""
    if 'pipeline' in dataset_cfg:
        return dataset_cfg
    if 'dataset' in dataset_cfg:
        return find_pipeline_dataset(dataset_cfg['dataset'],
                                     f'{where}.dataset')
    if 'datasets' in dataset_cfg:
        return dict(type='ConcatDataset', datasets=[
            find_pipeline_dataset(d, f'{where}.datasets[{i}]')
            for i, d in enumerate(dataset_cfg['datasets'])
        ], pipeline=[
            step for d in dataset_cfg['datasets']
            for step in find_pipeline_dataset(d, where)['pipeline']
        ])
    raise KeyError(f'{where} has no pipeline; the teacher-feature cache '
                   'cannot check it')


@HOOKS.register_module()
class TeacherFeatureCacheHook(Hook):
    """Check the train pipeline for the model's teacher-feature cache and
    log how often it was hit."""

    priority = 'NORMAL'

    @staticmethod
    def _cache(runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        return getattr(model, 'teacher_feature_cache', None)

    def before_train(self, runner) -> None:
        cache = self._cache(runner)
        if cache is None:
            return
        dataset_cfg = runner.cfg.train_dataloader.dataset
        dataset_cfg = dataset_cfg.to_dict() if hasattr(
            dataset_cfg, 'to_dict') else dict(dataset_cfg)
        cache.bind_pipeline(
            find_pipeline_dataset(dataset_cfg, 'train_dataloader.dataset'))
        where = cache.cache_dir or 'memory'
        runner.logger.info(f'teacher-feature cache on ({where}); the train '
                           'pipeline is deterministic up to keyed flips')

    def after_train_epoch(self, runner) -> None:
        cache = self._cache(runner)
        if cache is not None:
            runner.logger.info(
                f'teacher-feature cache: {cache.hits} hits, {cache.misses} '
                'misses (images x teachers; a miss runs the teacher) so far')
