"""PyTorch HEAR API models, one module each."""
