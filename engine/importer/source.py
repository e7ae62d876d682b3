"""Find the model an import SPEC names: ``path/to/file.py:ClassName`` or ``torchvision:NAME``."""

from __future__ import annotations

import difflib
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

from ..errors import TorchwireError

TORCHVISION_SHAPE = (1, 3, 224, 224)
_PICKLE_SUFFIXES = {".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".safetensors", ".onnx", ".pt2"}


class ModelImportError(TorchwireError):
    """A model cannot be imported; the message names what and where."""


def load_model_spec(spec: str) -> tuple[Any, str, tuple[int, ...] | None]:
    """Build the model named by ``spec``.

    Returns:
        ``(module, title, default input shape or None)``.
    Raises:
        ModelImportError: unknown file, class or torchvision name; a pickled model;
            a class that cannot be built without arguments.
    """
    if spec.startswith("torchvision:"):
        return _torchvision(spec.split(":", 1)[1])
    path_text, sep, cls_name = spec.rpartition(":")
    if not sep or not path_text or "/" in cls_name or "\\" in cls_name:  # no ':Class' part
        path_text, cls_name = spec, ""
    path = Path(path_text)
    if path.suffix.lower() in _PICKLE_SUFFIXES:
        raise ModelImportError(
            f"{path}: importing a saved model file is not supported (unpickling runs arbitrary code) — "
            "name the Python file and class that define the model, e.g. net.py:Net, and pass "
            "its weights to the app later")
    if path.suffix != ".py":
        raise ModelImportError(f"{spec!r} is not a model spec — use path/to/file.py:ClassName or "
                               "torchvision:NAME (e.g. torchvision:resnet18)")
    if not path.is_file():
        raise ModelImportError(f"{path}: file not found — check the path")
    module = _import_file(path)
    cls = _find_class(module, cls_name, path)
    try:
        model = cls()
    except Exception as err:  # noqa: BLE001 - user code may raise anything
        raise ModelImportError(f"{path}:{cls.__name__}() cannot be built without arguments "
                               f"({type(err).__name__}: {err}) — give the class default arguments") from None
    import torch

    if not isinstance(model, torch.nn.Module):
        raise ModelImportError(f"{path}:{cls.__name__} is not a torch.nn.Module")
    return model, cls.__name__, None


def _torchvision(name: str) -> tuple[Any, str, tuple[int, ...]]:
    import torchvision

    known = torchvision.models.list_models(module=torchvision.models)
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" — did you mean {', '.join(close)}?" if close else \
            " — it must be a torchvision classification model, e.g. resnet18"
        raise ModelImportError(f"torchvision has no classification model {name!r}{hint}")
    return torchvision.models.get_model(name, weights=None), name, TORCHVISION_SHAPE


def _import_file(path: Path) -> Any:
    """Run the user's file as a module (its folder is importable while it loads)."""
    mod_name = f"torchwire_import_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - .py files always have a loader
        raise ModelImportError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # noqa: BLE001 - report any failure of the user's code
        sys.modules.pop(mod_name, None)
        raise ModelImportError(f"{path}: running the file failed ({type(err).__name__}: {err})") from None
    finally:
        if sys.path and sys.path[0] == folder:
            sys.path.pop(0)
    return module


def _find_class(module: Any, name: str, path: Path) -> type:
    import torch

    classes = [obj for _, obj in inspect.getmembers(module, inspect.isclass)
               if issubclass(obj, torch.nn.Module) and obj.__module__ == module.__name__]
    if not name:
        if len(classes) == 1:
            return classes[0]
        listed = ", ".join(c.__name__ for c in classes) or "none"
        raise ModelImportError(f"{path}: say which class to import, e.g. {path}:Net "
                               f"(nn.Module classes defined there: {listed})")
    cls = getattr(module, name, None)
    if not inspect.isclass(cls):
        listed = ", ".join(c.__name__ for c in classes) or "none"
        raise ModelImportError(f"{path} defines no class {name!r} (nn.Module classes there: {listed})")
    return cls


__all__ = ["ModelImportError", "TORCHVISION_SHAPE", "load_model_spec"]
