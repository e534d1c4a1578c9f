"""JAX/Flax HEAR API models, one module each."""
