"""One open project: the engine graph, its undo stack and live shape inference.

``Document`` is the bridge between the engine and Qt: it subscribes to the
graph and re-emits every :class:`GraphEvent` as the ``graph_event`` signal, so
widgets observe one source of truth. Every edit goes through a QUndoCommand
(see :mod:`gui.commands`); the helpers here validate first and then push, so a
refused edit never reaches the stack.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from engine.catalog import ParamError, get_spec
from engine.graph import Edge, Graph, GraphError, GraphEvent, check_name
from engine.project import Project, save_project
from engine.shapes import Inference, ShapeInferencer

from . import commands

log = logging.getLogger(__name__)

INFER_DELAY_MS = 50


class Document(QObject):
    """A project being edited.

    Signals:
        graph_event(GraphEvent): after every graph mutation (model → view).
        inference_changed(): ``inference`` holds fresh shapes and issues.
        modified_changed(bool): unsaved changes appeared or vanished.
        path_changed(): the file name changed (Save As, open).
        saved(path): the project was written to ``path`` (Save, Save As).
        message(str): a one-line status message for the user.
    """

    graph_event = Signal(object)
    inference_changed = Signal()
    modified_changed = Signal(bool)
    path_changed = Signal()
    saved = Signal(object)  # the Path written (save and save as; not open or new)
    message = Signal(str)
    project_replaced = Signal()
    _inferred = Signal(int, object)  # (generation, Inference) from the worker thread

    def __init__(self, project: Project | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project or Project()
        self.undo_stack = QUndoStack(self)
        self.inferencer = ShapeInferencer()
        self.inference = Inference({}, [])
        self._restored_dirty = False
        self._unsubscribe = self.project.graph.subscribe(self._on_graph_event)
        self._infer_timer = QTimer(self)
        self._infer_timer.setSingleShot(True)
        self._infer_timer.setInterval(INFER_DELAY_MS)
        self._infer_timer.timeout.connect(self._infer_async)
        self._generation = 0
        self._inferred_generation = -1
        self._infer_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._inferred.connect(self._on_inferred)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.schedule_inference()

    # -- state ------------------------------------------------------------------
    def _on_clean_changed(self, _clean: bool) -> None:
        self.modified_changed.emit(self.modified)

    @property
    def graph(self) -> Graph:
        return self.project.graph

    @property
    def path(self) -> Path | None:
        return self.project.path

    @property
    def modified(self) -> bool:
        return self._restored_dirty or not self.undo_stack.isClean()

    @property
    def title(self) -> str:
        return self.path.name if self.path else "Untitled"

    def set_project(self, project: Project, modified: bool = False) -> None:
        """Replace the whole project (open, new, restore); clears undo history."""
        self._unsubscribe()
        self.project = project
        self._unsubscribe = project.graph.subscribe(self._on_graph_event)
        self.undo_stack.clear()
        self._restored_dirty = modified
        self.graph_event.emit(GraphEvent("graph_reset"))
        self.project_replaced.emit()
        self.path_changed.emit()
        self.modified_changed.emit(self.modified)
        self.schedule_inference()

    def save(self, path: str | Path | None = None) -> Path:
        """Save atomically (engine ``save_project``); raises ProjectError."""
        target = save_project(self.project, path)
        self._restored_dirty = False
        self.undo_stack.setClean()
        self.path_changed.emit()
        self.modified_changed.emit(False)
        self.saved.emit(target)
        return target

    # -- events and inference ------------------------------------------------------
    def _on_graph_event(self, event: GraphEvent) -> None:
        self._generation += 1
        self.graph_event.emit(event)
        self._infer_timer.start()

    def _infer_async(self) -> None:
        """Infer on a snapshot in a worker thread; the result arrives queued on the GUI thread.

        Inference is memoised, so after the first run an edit costs a few ms, but the
        first run imports torch and executes every node on meta (seconds): it must
        never block the canvas.
        """
        if self._worker is not None and self._worker.is_alive():
            self._infer_timer.start()  # try again when the running one is done
            return
        snapshot, generation = self.graph.copy(), self._generation

        def work() -> None:
            result = self._run_inference(snapshot)
            try:
                self._inferred.emit(generation, result)
            except RuntimeError:  # the document was deleted meanwhile
                pass

        self._worker = threading.Thread(target=work, name="torchwire-infer", daemon=True)
        self._worker.start()

    def _run_inference(self, graph: Graph) -> Inference:
        with self._infer_lock:
            try:
                return self.inferencer.infer(graph)
            except Exception:  # noqa: BLE001 - a bug in inference must not take the editor down
                log.exception("shape inference failed")
                return Inference({}, [])

    def _on_inferred(self, generation: int, result: Inference) -> None:
        if generation != self._generation:
            return  # stale: the graph changed meanwhile and a newer run is scheduled
        self._publish(generation, result)

    def _publish(self, generation: int, result: Inference) -> None:
        self.inference = result
        self._inferred_generation = generation
        self.inference_changed.emit()

    def schedule_inference(self) -> None:
        """Re-infer soon (debounced), off the GUI thread."""
        self._generation += 1
        self._infer_timer.start()

    def infer_now(self) -> Inference:
        """Run shape inference synchronously on the GUI thread (tests, saving, start-up)."""
        self._infer_timer.stop()
        self._publish(self._generation, self._run_inference(self.graph))
        return self.inference

    @property
    def inference_current(self) -> bool:
        """True when ``inference`` describes the graph as it is now."""
        return self._inferred_generation == self._generation

    # -- edits (validated, then one undo command each) ------------------------------------
    def add_node(self, kind: str, pos: tuple[float, float], connect_from: tuple[str, str, bool] | None = None
                 ) -> str | None:
        """Add a node of ``kind`` at ``pos``; optionally wire it to ``(node_id, port, is_output)``.

        Returns the new node id.
        """
        spec = get_spec(kind)
        node_id = self.graph.new_id()
        name = self.graph.unique_name(spec.name_hint or kind.lower())
        add = commands.AddNode(self.graph, kind, name, spec.defaults(), pos, node_id)
        if connect_from is None:
            self.undo_stack.push(add)
            return node_id
        other, port, is_output = connect_from
        self.undo_stack.beginMacro(f"Add {kind}")
        self.undo_stack.push(add)
        wired = self._first_compatible(node_id, other, port, is_output)
        if wired is not None:
            self.undo_stack.push(commands.Connect(self.graph, *wired))
        self.undo_stack.endMacro()
        return node_id

    def _first_compatible(self, new_id: str, other: str, port: str, is_output: bool
                          ) -> tuple[str, str, str, str] | None:
        node = self.graph.node(new_id)
        ports = node.input_ports() if is_output else node.output_ports()
        for p in ports:
            conn = (other, port, new_id, p) if is_output else (new_id, p, other, port)
            if self.graph.can_connect(*conn):
                return conn
        return None

    def connect(self, src: str, src_port: str, dst: str, dst_port: str) -> str | None:
        """Wire two ports. Returns the engine's reason if the connection is refused."""
        try:
            self.graph.check_connection(src, src_port, dst, dst_port)
        except GraphError as err:
            self.message.emit(str(err))
            return str(err)
        self.undo_stack.push(commands.Connect(self.graph, src, src_port, dst, dst_port))
        return None

    def disconnect(self, edge: Edge) -> None:
        self.undo_stack.push(commands.Disconnect(self.graph, edge))

    def set_param(self, node_id: str, name: str, value: Any) -> str | None:
        """Change one parameter. Returns the reason if the value is refused (model untouched)."""
        node = self.graph.node(node_id)
        try:
            new = node.spec.param(name).validate(value)
        except ParamError as err:
            return str(err)
        if new == node.params.get(name):
            return None
        self.undo_stack.push(commands.SetParam(self.graph, node_id, name, new))
        return None

    def rename(self, node_id: str, name: str) -> str | None:
        """Rename a node. Returns the reason if the name is refused."""
        node = self.graph.node(node_id)
        if name == node.name:
            return None
        try:
            check_name(name)
        except GraphError as err:
            return str(err)
        if name in self.graph.names():
            return f"a node named '{name}' already exists; names must be unique"
        self.undo_stack.push(commands.Rename(self.graph, node_id, name))
        return None

    def move_nodes(self, moves: dict[str, tuple[tuple[float, float], tuple[float, float]]],
                   text: str = "Move") -> None:
        """Record ``{id: (old, new)}`` as one undo step (positions may already be applied)."""
        moves = {k: v for k, v in moves.items() if v[0] != v[1] and k in self.graph}
        if moves:
            self.undo_stack.push(commands.MoveNodes(self.graph, moves, text))

    def delete(self, node_ids: list[str], edges: list[Edge] = ()) -> None:  # type: ignore[assignment]
        """Delete nodes (with their edges) and loose edges as one undo step."""
        node_ids = [n for n in node_ids if n in self.graph]
        edges = [e for e in edges if e in self.graph.edges and e.src not in node_ids
                 and e.dst not in node_ids]
        if not node_ids and not edges:
            return
        self.undo_stack.beginMacro("Delete")
        for e in edges:
            self.undo_stack.push(commands.Disconnect(self.graph, e))
        for nid in node_ids:
            self.undo_stack.push(commands.RemoveNode(self.graph, nid))
        self.undo_stack.endMacro()

    def paste(self, clip: Any, offset: tuple[float, float] = (30.0, 30.0), text: str = "Paste") -> list[str]:
        """Paste a clip (engine.clipboard) as one undo step; returns the new node ids.

        Raises:
            ClipError: the clip is not valid.
        """
        from engine.clipboard import plan_paste

        plan = plan_paste(self.graph, clip, offset)
        if not plan.nodes:
            return []
        self.undo_stack.beginMacro(text)
        for n in plan.nodes:
            self.undo_stack.push(commands.AddNode(self.graph, n.kind, n.name, n.params, n.pos, n.id))
        for conn in plan.edges:
            if self.graph.can_connect(*conn):
                self.undo_stack.push(commands.Connect(self.graph, *conn))
        self.undo_stack.endMacro()
        return [n.id for n in plan.nodes]

    def auto_layout(self, size: Any = None) -> None:
        """Arrange every node left to right (one undo step)."""
        from engine.layout import layered_layout

        new = layered_layout(self.graph, size)
        moves = {nid: (self.graph.node(nid).pos, pos) for nid, pos in new.items()}
        self.move_nodes(moves, "Auto-layout")

    def dispose(self) -> None:
        self._unsubscribe()
        self._infer_timer.stop()
        if self._worker is not None:
            self._worker.join(timeout=10)
