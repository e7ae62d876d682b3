"""The node canvas: a QGraphicsScene that mirrors an engine Graph, and its view."""

from .scene import GraphScene
from .view import GraphView

__all__ = ["GraphScene", "GraphView"]
