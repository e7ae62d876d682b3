"""The training loop: learning, events, stop/pause, resume, NaN, bad inputs, determinism."""

from __future__ import annotations

import math
import threading
import time

import pytest
import torch

from engine.training import TrainConfig, Trainer, TrainingFailed, TrainingSetupError
from engine.training.callbacks import Callback, CallbackList
from tests.engine.trainer_helpers import (
    BatchedDictDataset,
    Bundle,
    DictDataset,
    Recorder,
    blobs,
    mlp,
)

CFG = dict(batch_size=16, lr=0.1, momentum=0.9)


def losses_of(recorder: Recorder) -> list[float]:
    return [args[3] for args in recorder.of("on_batch_end")]


def strip_timing(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in m.items() if k not in ("samples_per_s", "epoch_time")} for m in history]


def test_digits_mlp_lowers_the_loss():
    from engine.data import DataConfig, build_datasets
    from engine.graph import Graph

    data = build_datasets(DataConfig(source="bundled", name="digits", limit=512))
    g = Graph()
    chain = [g.add_node("Input", "image", {"field": "image", "shape": [1, 8, 8]}),
             g.add_node("Flatten", "flatten"), g.add_node("Linear", "fc1", {"out_features": 32}),
             g.add_node("ReLU", "relu"), g.add_node("Linear", "fc2", {"out_features": 10}),
             g.add_node("Output", "logits")]
    for a, b in zip(chain, chain[1:], strict=False):
        g.connect(a.id, a.output_ports()[0], b.id, b.input_ports()[0])
    label = g.add_node("Input", "label", {"field": "label", "shape": [], "dtype": "int64"})
    loss = g.add_node("CrossEntropyLoss", "ce")
    g.connect(chain[4].id, "out", loss.id, "prediction")
    g.connect(label.id, "out", loss.id, "target")
    rec = Recorder()
    result = Trainer(g, data, TrainConfig(epochs=3, batch_size=32, lr=0.1, momentum=0.9),
                     callbacks=[rec]).fit()
    first, last = result.history[0], result.history[-1]
    assert last["train/loss"] < 0.5 * first["train/loss"]
    assert last["val/loss"] < first["val/loss"]
    assert last["val/ce/accuracy"] > 0.8
    assert len(last["val/ce/confusion"]) == 10
    assert sum(map(sum, last["val/ce/confusion"])) == len(data.val)
    batch_losses = losses_of(rec)
    assert sum(batch_losses[-5:]) < sum(batch_losses[:5])


def test_metrics_and_events_are_plain_python():
    rec = Recorder()
    result = Trainer(mlp(), blobs(), TrainConfig(epochs=1, **CFG), callbacks=[rec]).fit()
    m = result.metrics
    for key in ("train/loss", "val/loss", "val/loss/accuracy", "train/loss/accuracy", "lr",
                "samples_per_s", "epoch_time"):
        assert isinstance(m[key], float), key
    confusion = m["val/loss/confusion"]
    assert all(isinstance(v, int) for row in confusion for v in row)
    assert sum(map(sum, confusion)) == 24  # every validation sample once
    assert len(m["val/loss/per_class_accuracy"]) == 3

    def plain(x):
        if isinstance(x, dict):
            return all(isinstance(k, str) and plain(v) for k, v in x.items())
        if isinstance(x, (list, tuple)):
            return all(plain(v) for v in x)
        return x is None or isinstance(x, (bool, int, float, str))

    assert all(plain(args) for _, args in rec.calls)


def test_multi_task_two_losses_weighted():
    g = mlp()
    fc2 = g.by_name("fc2")
    head = g.add_node("Linear", "reg_head", {"out_features": 1})
    g.connect(g.by_name("relu").id, "out", head.id, "x")
    g.add_node("Output", "size")
    g.connect(head.id, "out", g.by_name("size").id, "x")
    tgt = g.add_node("Input", "size_target", {"field": "size", "shape": [1]})
    mse = g.add_node("MSELoss", "size_loss", {"weight": 0.5})
    g.connect(head.id, "out", mse.id, "prediction")
    g.connect(tgt.id, "out", mse.id, "target")
    assert fc2 is not None
    n = 96
    size = torch.linspace(-1, 1, n).unsqueeze(1)
    data = blobs(n, extra={"size": size})
    rec = Recorder()
    trainer = Trainer(g, data, TrainConfig(epochs=2, **CFG), callbacks=[rec])
    result = trainer.fit()
    m = result.metrics
    assert {"val/loss/accuracy", "val/size_loss/mae", "val/size_loss/rmse",
            "train/size_loss/loss", "val/loss/confusion"} <= set(m)
    assert m["val/loss"] == pytest.approx(m["val/loss/loss"] + 0.5 * m["val/size_loss/loss"])
    step, epoch, batch, loss, losses, lr, speed = rec.of("on_batch_end")[0]
    assert set(losses) == {"loss", "size_loss"}
    assert loss == pytest.approx(losses["loss"] + 0.5 * losses["size_loss"], rel=1e-5)
    assert set(trainer.model(torch.zeros(2, 4))) == {"logits", "size"}


def test_hook_order(tmp_path):
    rec = Recorder()
    data = blobs(n=40)  # 30 train -> 2 batches of 16, 10 val
    Trainer(mlp(), data, TrainConfig(epochs=2, checkpoint_every=2, **CFG), callbacks=[rec],
            run_dir=tmp_path).fit()
    epoch = ["on_epoch_start", "on_batch_end", "on_batch_end", "on_validation_end", "on_epoch_end"]
    assert rec.names() == (["on_fit_start"]
                           + epoch + ["on_checkpoint", "on_checkpoint"]  # last.pt, best.pt
                           + epoch + ["on_checkpoint"] * 3  # last, epoch-0002, best
                           + ["on_finished", "on_fit_end"])
    assert [a[:3] for a in rec.of("on_batch_end")] == [(1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 2, 2)]
    paths = [a[0] for a in rec.of("on_checkpoint")]
    assert [p.rsplit("/", 1)[1] for p in paths] == ["last.pt", "best.pt", "last.pt",
                                                    "epoch-0002.pt", "best.pt"]
    info = rec.of("on_fit_start")[0][0]
    assert info["steps_per_epoch"] == 2 and info["losses"][0]["task"] == "classification"
    assert rec.of("on_finished")[0][0]["reason"] == "completed"


def test_stop_mid_run():
    class StopAt(Callback):
        def __init__(self):
            self.trainer = None

        def on_batch_end(self, step, *args):
            if step == 3:
                self.trainer.stop()

    stopper, rec = StopAt(), Recorder()
    trainer = Trainer(mlp(), blobs(), TrainConfig(epochs=5, **CFG), callbacks=[stopper, rec])
    stopper.trainer = trainer
    result = trainer.fit()
    assert result.reason == "stopped"
    assert result.global_step == 3
    assert result.history == []  # the first epoch (5 batches) never completed
    assert "on_epoch_end" not in rec.names()
    assert rec.names()[-2:] == ["on_finished", "on_fit_end"]


def test_pause_and_resume_from_another_thread():
    first_batch = threading.Event()

    class Slow(Callback):
        def on_batch_end(self, step, *args):
            if step == 1:
                first_batch.set()
            time.sleep(0.005)

    rec = Recorder()
    trainer = Trainer(mlp(), blobs(), TrainConfig(epochs=2, **CFG), callbacks=[Slow(), rec])
    trainer.pause()  # before the first batch's end: the loop holds after batch 1
    thread = threading.Thread(target=trainer.fit)
    thread.start()
    assert first_batch.wait(30)
    time.sleep(0.3)  # time in which an unpaused loop would run on
    assert trainer.paused and len(rec.of("on_batch_end")) == 1
    trainer.resume()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert rec.names()[-2:] == ["on_finished", "on_fit_end"]
    assert len(rec.of("on_batch_end")) == 10


def test_stop_while_paused_ends_the_run():
    first_batch = threading.Event()

    class First(Callback):
        def on_batch_end(self, step, *args):
            first_batch.set()

    trainer = Trainer(mlp(), blobs(), TrainConfig(epochs=2, **CFG), callbacks=[First()])
    trainer.pause()
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=trainer.fit()))
    thread.start()
    assert first_batch.wait(30)
    trainer.stop()
    thread.join(timeout=30)
    assert result["r"].reason == "stopped" and result["r"].global_step == 1


def test_resume_after_stop_equals_uninterrupted(tmp_path):
    cfg = TrainConfig(epochs=2, seed=3, schedule="cosine", warmup_epochs=1, **CFG)
    graph = mlp(dropout=0.3)  # dropout draws from the global RNG: restored from the checkpoint
    full = Trainer(graph, blobs(), cfg).fit()

    class StopAfterEpoch1(Callback):
        def on_epoch_end(self, epoch, metrics):
            trainer.stop()

    trainer = Trainer(graph, blobs(), cfg, callbacks=[StopAfterEpoch1()], run_dir=tmp_path)
    first = trainer.fit()
    assert first.reason == "stopped" and first.epochs_completed == 1
    resumed = Trainer(graph, blobs(), cfg, resume_from=tmp_path / "checkpoints" / "last.pt",
                      run_dir=tmp_path).fit()
    assert resumed.reason == "completed" and resumed.global_step == full.global_step
    assert strip_timing(resumed.history) == strip_timing(full.history)


def test_same_seed_same_losses_and_other_seed_differs():
    def run(seed):
        rec = Recorder()
        Trainer(mlp(dropout=0.2), blobs(), TrainConfig(epochs=2, seed=seed, **CFG),
                callbacks=[rec]).fit()
        return losses_of(rec)

    a, b, c = run(1), run(1), run(2)
    assert a == b
    assert a != c


def test_dataloader_path_and_deferred_sync_match_fast_path():
    def run(batched, defer, workers=0):
        rec = Recorder()
        trainer = Trainer(mlp(), blobs(batched=batched),
                          TrainConfig(epochs=1, num_workers=workers, **CFG), callbacks=[rec])
        trainer.defer_sync = defer
        result = trainer.fit()
        return losses_of(rec), [a[:3] for a in rec.of("on_batch_end")], strip_timing(result.history)

    fast = run(True, False)
    assert run(False, False) == fast  # per-sample DataLoader, same order and values
    assert run(True, True) == fast  # one-batch-late host sync (what CUDA uses)


def test_nan_loss_stops_with_step_and_checkpoint(tmp_path):
    data = blobs()
    x = data.train.tensors["features"].clone()
    data2 = Bundle(BatchedDictDataset({**data.train.tensors, "features": x}), data.val, data.fields)
    rec = Recorder()

    class Poison(Callback):
        def on_epoch_end(self, epoch, metrics):
            x[40:48] = float("inf")  # batch 3 of epoch 2 (unshuffled positions vary: any batch)

    trainer = Trainer(mlp(), data2, TrainConfig(epochs=3, **CFG), callbacks=[Poison(), rec],
                      run_dir=tmp_path)
    with pytest.raises(TrainingFailed) as info:
        trainer.fit()
    message = str(info.value)
    assert "epoch 2, batch" in message and "(step " in message
    assert str(tmp_path / "checkpoints" / "last.pt") in message
    assert rec.of("on_failed") == [(message,)]
    assert "on_finished" not in rec.names() and rec.names()[-1] == "on_fit_end"
    assert info.value.result.reason == "failed" and info.value.result.epochs_completed == 1
    assert all(math.isfinite(args[3]) for args in rec.of("on_batch_end"))  # bad batch not emitted


def test_exception_in_training_becomes_on_failed_and_torchwire_error():
    class Boom(Callback):
        def on_batch_end(self, step, *args):
            if step == 2:
                raise RuntimeError("disk on fire")

    rec = Recorder()
    with pytest.raises(TrainingFailed, match="epoch 1, batch 2: RuntimeError: disk on fire"):
        Trainer(mlp(), blobs(), TrainConfig(epochs=1, **CFG), callbacks=[Boom(), rec]).fit()
    assert len(rec.of("on_failed")) == 1 and rec.names()[-1] == "on_fit_end"


def test_missing_field_names_input_and_field():
    g = mlp()
    g.set_param(g.by_name("features").id, "field", "pixels")
    with pytest.raises(TrainingSetupError, match="Input 'features' is bound to field 'pixels'.*"
                                                 "it has: features, label"):
        Trainer(g, blobs(), TrainConfig(epochs=1))


def test_shape_mismatch_names_input_field_and_shapes():
    from engine.graph import Graph

    g = Graph()
    chain = [g.add_node("Input", "image", {"field": "image", "shape": [1, 28, 28]}),
             g.add_node("Conv2d", "conv1", {"out_channels": 4, "kernel_size": [5, 5]}),
             g.add_node("Conv2d", "conv2", {"out_channels": 4, "kernel_size": [5, 5]}),
             g.add_node("Flatten", "flat"), g.add_node("Linear", "fc", {"out_features": 3}),
             g.add_node("Output", "out")]
    for a, b in zip(chain, chain[1:], strict=False):
        g.connect(a.id, a.output_ports()[0], b.id, b.input_ports()[0])
    label = g.add_node("Input", "label", {"field": "label", "shape": [], "dtype": "int64"})
    loss = g.add_node("CrossEntropyLoss", "loss")
    g.connect(chain[4].id, "out", loss.id, "prediction")
    g.connect(label.id, "out", loss.id, "target")
    images = torch.rand(8, 1, 6, 6)
    data = blobs(8, extra={"image": images})
    with pytest.raises(TrainingSetupError, match="Input 'image' expects field 'image' of shape "
                                                 "1×28×28 but the dataset gives 1×6×6"):
        Trainer(g, data, TrainConfig(epochs=1))


def test_graph_without_loss_is_a_clear_error():
    g = mlp()
    g.remove_node(g.by_name("loss").id)
    with pytest.raises(TrainingSetupError, match="no Loss node"):
        Trainer(g, blobs(), TrainConfig(epochs=1))


def test_unavailable_recipe_is_refused_clearly(monkeypatch):
    from engine.training import recipes

    monkeypatch.delitem(recipes.RECIPES, "gan", raising=False)
    monkeypatch.setitem(recipes._PLUGINS, "gan", "engine.training.not_installed_recipe")
    with pytest.raises(TrainingSetupError, match="'gan' training recipe is not available"):
        Trainer(mlp(), blobs(), TrainConfig(recipe="gan"))


def test_input_dtype_cast_and_binary_metrics():
    g = mlp(classes=1, loss="BCEWithLogitsLoss")
    g.set_param(g.by_name("label").id, "dtype", "float32")
    g.set_param(g.by_name("label").id, "shape", [1])
    data = blobs(classes=2)
    for ds in (data.train, data.val):  # int64 (N,) labels; the Input casts them to float32
        ds.tensors["label"] = ds.tensors["label"].unsqueeze(1)
    data.fields["label"].shape = (1,)
    result = Trainer(g, data, TrainConfig(epochs=3, **CFG)).fit()
    assert result.metrics["val/loss/accuracy"] > 0.8


def test_no_validation_set_monitors_train_loss(tmp_path):
    data = blobs()
    data = Bundle(data.train, DictDataset({k: v[:0] for k, v in data.val.tensors.items()}),
                  data.fields)
    result = Trainer(mlp(), data, TrainConfig(epochs=2, early_stopping_patience=1, **CFG),
                     run_dir=tmp_path).fit()
    assert result.monitor == "train/loss" and "val/loss" not in result.metrics
    assert result.best_checkpoint.endswith("best.pt")


def test_early_stopping():
    # lr so small that the weights cannot move: the validation loss never improves after epoch 1
    cfg = TrainConfig(epochs=20, lr=1e-12, early_stopping_patience=2, batch_size=64)
    result = Trainer(mlp(), blobs(), cfg).fit()
    assert result.reason == "early_stopping"
    assert result.epochs_completed == 3 and result.best_epoch == 1


def test_batch_events_reach_listeners_however_they_subscribe():
    """A subclass override and a plain object's method both get every batch; the loop skips
    building batch events only when nobody listens."""
    class EpochsOnly(Callback):
        def __init__(self):
            self.epochs = []

        def on_epoch_end(self, epoch, metrics):
            self.epochs.append(epoch)

    class Plain:  # duck-typed listener, not a Callback subclass
        def __init__(self):
            self.steps = []

        def on_batch_end(self, step, *args):
            self.steps.append(step)

        def __getattr__(self, name):  # every other hook: nothing to do
            return lambda *a: None

    epochs_only, plain = EpochsOnly(), Plain()
    assert not CallbackList([epochs_only]).listens("on_batch_end")
    assert CallbackList([epochs_only, plain]).listens("on_batch_end")
    Trainer(mlp(), blobs(n=40), TrainConfig(epochs=2, **CFG), callbacks=[epochs_only, plain]).fit()
    assert epochs_only.epochs == [1, 2]
    assert plain.steps == [1, 2, 3, 4]
