"""The benchmark grid: the registries, the stage graph, the stages, the plan and the checks."""
