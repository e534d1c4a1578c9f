"""Deployment settings as Dagster resources: where HEAR_HOME is, and how models run."""

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from hear_assets.lib.store.layout import Layout, resolve_home
from hear_models.registry import ModelSpec
from hear_models.runtime import LoadedModel, open_model

log = logging.getLogger(__name__)


class HearHome(dg.ConfigurableResource):
    """The data root. Empty ``root``: ``$HEAR_HOME``, else ``./data`` (resolved when used)."""

    root: str = ""

    def layout(self) -> Layout:
        """The absolute layout of this HEAR_HOME."""
        return Layout(resolve_home(self.root or None))


class ModelsResource(dg.ConfigurableResource):
    """How models run. Empty ``device``: ``$HEAR_DEVICE``, else ``cpu``."""

    device: str = ""

    def resolved_device(self) -> str:
        """``cpu`` or ``cuda[:N]``."""
        return self.device or os.environ.get("HEAR_DEVICE", "cpu")

    @contextmanager
    def open(self, spec: ModelSpec) -> Iterator[LoadedModel]:
        """Load a model for the duration of the block, then release it."""
        with open_model(spec, self.resolved_device()) as model:
            yield model
