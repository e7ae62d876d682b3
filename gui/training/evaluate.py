"""Data for the result views, computed in the worker thread after a run (no Qt here).

The confusion matrix and per-class accuracy shown in the app are the engine's own
validation metrics; this module adds what the metrics do not keep: a few
validation samples with their predictions, and predicted-vs-true pairs for
regression scatter plots.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_SAMPLES = 48
MAX_SCATTER = 5000


def image_to_uint8(image: Any) -> np.ndarray | None:
    """A (C, H, W) float tensor as an (H, W) or (H, W, 3) uint8 array, min-max scaled."""
    arr = np.asarray(image.detach().cpu().float().numpy() if hasattr(image, "detach") else image,
                     dtype=np.float32)
    if arr.ndim != 3 or arr.shape[0] not in (1, 3):
        return None
    lo, hi = float(arr.min()), float(arr.max())
    arr = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
    arr = (arr * 255).round().astype(np.uint8)
    return arr[0] if arr.shape[0] == 1 else np.ascontiguousarray(arr.transpose(1, 2, 0))


def collect_results(trainer: Any, data: Any, batch_size: int = 256) -> dict[str, Any]:
    """Per Loss node: task, sample predictions (classification) or scatter pairs (regression).

    Returns:
        ``{"tasks": {loss name: {"task", "samples": [...], "pred": [...], "true": [...]}}}``;
        a sample is ``{"image": uint8 array or None, "pred": int, "true": int, "confidence": float}``.
    """
    import torch

    val = getattr(data, "val", None)
    if val is None or len(val) == 0:
        return {"tasks": {}}
    recipe = trainer.recipe
    tasks = {t.name: t.task for t in recipe.tasks}
    out: dict[str, dict[str, Any]] = {name: {"task": task, "samples": [], "pred": [], "true": []}
                                      for name, task in tasks.items()}
    recipe.train(False)
    n = min(len(val), MAX_SCATTER)
    with torch.no_grad():
        for start in range(0, n, batch_size):
            indices = list(range(start, min(n, start + batch_size)))
            batch = _fetch(val, indices)
            step = recipe.eval_step(batch)
            images = batch.get("image")
            for name, task in tasks.items():
                pred, target = step.predictions.get(name), step.targets.get(name)
                if pred is None or target is None:
                    continue
                _add(out[name], task, pred.float().cpu(), target.cpu(), images)
    return {"tasks": out}


def _fetch(dataset: Any, indices: list[int]) -> dict[str, Any]:
    from engine.data import collate

    if hasattr(dataset, "__getitems__"):
        return collate(dataset.__getitems__(indices))
    return collate([dataset[i] for i in indices])


def _add(entry: dict[str, Any], task: str, pred: Any, target: Any, images: Any) -> None:
    import torch

    if task == "classification" and pred.dim() >= 2:
        probs = torch.softmax(pred.reshape(pred.shape[0], pred.shape[1], -1)[:, :, 0], dim=1)
        conf, guess = probs.max(1)
        if target.is_floating_point() and target.shape == pred.shape:
            target = target.argmax(1)
        target = target.reshape(target.shape[0], -1)[:, 0].long()
        for i in range(len(guess)):
            if len(entry["samples"]) >= MAX_SAMPLES:
                break
            image = image_to_uint8(images[i]) if images is not None and images.dim() == 4 else None
            entry["samples"].append({"image": image, "pred": int(guess[i]), "true": int(target[i]),
                                     "confidence": float(conf[i])})
    elif task in ("regression", "binary"):
        entry["pred"].extend(pred.reshape(-1).tolist()[: MAX_SCATTER - len(entry["pred"])])
        entry["true"].extend(target.float().reshape(-1).tolist()[: MAX_SCATTER - len(entry["true"])])
