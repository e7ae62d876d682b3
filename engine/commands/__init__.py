"""Small CLI commands that only need the graph, shapes and project files."""
