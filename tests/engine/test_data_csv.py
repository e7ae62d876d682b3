"""CSV tables: string and numeric labels, regression, column choice and the errors users hit."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.data import DataConfig, DataError, build_datasets, describe_fields

IRIS_LIKE = """sepal,petal,species
5.1,1.4,setosa
7.0,4.7,versicolor
6.3,6.0,virginica
4.9,1.4,setosa
6.4,4.5,versicolor
5.8,5.1,virginica
"""


def write(tmp_path: Path, text: str, name: str = "table.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_string_labels_sorted_to_classes(tmp_path: Path) -> None:
    path = write(tmp_path, IRIS_LIKE)
    cfg = DataConfig(source="csv", root=str(path), csv_target="species", val_fraction=0.0)
    bundle = build_datasets(cfg)
    assert bundle.fields["label"].class_names == ["setosa", "versicolor", "virginica"]
    assert bundle.fields["features"].shape == (2,)
    assert bundle.fields["features"].column_names == ["sepal", "petal"]
    assert describe_fields(cfg) == bundle.fields
    first = bundle.train[0]
    assert torch.equal(first["features"], torch.tensor([5.1, 1.4]))
    assert first["label"].item() == 0 and first["label"].dtype == torch.int64
    labels = bundle.train.__getitems__(range(6)).tensors["label"].tolist()
    assert labels == [0, 1, 2, 0, 1, 2]


def test_target_defaults_to_last_column_and_feature_choice(tmp_path: Path) -> None:
    path = write(tmp_path, IRIS_LIKE)
    bundle = build_datasets(DataConfig(source="csv", root=str(path), csv_features=["petal"]))
    assert bundle.fields["features"].column_names == ["petal"]
    assert bundle.fields["label"].num_classes == 3


def test_regression_target(tmp_path: Path) -> None:
    rows = "\n".join(f"{i},{i * 2},{i * 1.5 + 0.25}" for i in range(30))
    path = write(tmp_path, "a,b,price\n" + rows + "\n")
    bundle = build_datasets(DataConfig(source="csv", root=str(path), csv_target="price"))
    assert "target" in bundle.fields and "label" not in bundle.fields
    sample = bundle.train[0]
    assert sample["target"].shape == (1,) and sample["target"].dtype == torch.float32
    assert len(bundle.train) + len(bundle.val) == 30


def test_numeric_classes_auto_and_forced(tmp_path: Path) -> None:
    path = write(tmp_path, "x,y\n1,10\n2,2\n3,10\n4,2\n")
    auto = build_datasets(DataConfig(source="csv", root=str(path)))
    assert auto.fields["label"].class_names == ["2", "10"]  # sorted by value, not as text
    forced = build_datasets(DataConfig(source="csv", root=str(path), csv_task="regression"))
    assert "target" in forced.fields


def test_semicolon_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path, "a;b;c\n1;2;x\n3;4;y\n5;6;x\n")
    bundle = build_datasets(DataConfig(source="csv", root=str(path)))
    assert bundle.fields["features"].shape == (2,)


def test_non_numeric_cell_names_row_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, IRIS_LIKE.replace("6.3,6.0", "6.3,six"))
    with pytest.raises(DataError, match=r"table.csv, row 4, column 'petal' holds 'six'"):
        build_datasets(DataConfig(source="csv", root=str(path), csv_target="species"))


def test_non_numeric_regression_target(tmp_path: Path) -> None:
    path = write(tmp_path, "a,price\n1,2.5\n2,n/a\n")
    with pytest.raises(DataError, match=r"row 3, column 'price' holds 'n/a'"):
        build_datasets(DataConfig(source="csv", root=str(path), csv_task="regression"))


def test_missing_file_and_unknown_column(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found — point data.root to the .csv file"):
        build_datasets(DataConfig(source="csv", root=str(tmp_path / "absent.csv")))
    path = write(tmp_path, IRIS_LIKE)
    with pytest.raises(DataError, match="no column 'kind' — its columns are: sepal, petal, species"):
        build_datasets(DataConfig(source="csv", root=str(path), csv_target="kind"))


def test_ragged_row(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,2\n3\n")
    with pytest.raises(DataError, match="row 3 has 1 cells but the header has 2"):
        build_datasets(DataConfig(source="csv", root=str(path)))


def test_transforms_on_table_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, IRIS_LIKE)
    cfg = DataConfig(source="csv", root=str(path),
                     train_transforms=[{"name": "RandomHorizontalFlip"}])
    with pytest.raises(DataError, match="Transforms apply to images"):
        build_datasets(cfg)
