"""Training: config, the trainer loop with events, checkpoints, metrics."""
