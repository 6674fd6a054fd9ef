"""What a float model and a qmodel share: layer shapes, sizes, and enum-typed kinds.

Both :class:`~c64ml.model.floatmodel.Model` and :class:`~c64ml.model.qmodel.QModel` (and
their layers) mix these in, so a string activation or output mode given by any caller
becomes an enum when the object is made, and an unknown one fails there in one line.
"""

from __future__ import annotations

import numpy as np

from c64ml.spec import Activation, OutputMode, parse
from c64ml.text import check_label


class LayerShape:
    """A dense layer's shape; ``weights`` is indexed ``[input][unit]``."""

    weights: np.ndarray
    activation: Activation

    def __post_init__(self) -> None:
        self.activation = parse(Activation, self.activation, "activation")

    @property
    def n_in(self) -> int:
        return self.weights.shape[0]

    @property
    def n_out(self) -> int:
        return self.weights.shape[1]


class ModelShape:
    """Sizes of a model whose ``layers`` are :class:`LayerShape` and inputs ``input_lo``."""

    name: str
    input_lo: np.ndarray
    layers: list
    output: OutputMode
    classes: list[str] | None

    def __post_init__(self) -> None:
        self.output = parse(OutputMode, self.output, "output")
        self.check_text()

    def check_text(self) -> None:
        """The name and class names are user text: printable and bounded (c64ml/text.py)."""
        check_label(self.name, "name")
        for i, c in enumerate(() if self.classes is None else self.classes):
            check_label(c, f"classes[{i}]")

    @property
    def inputs(self) -> int:
        return len(self.input_lo)

    @property
    def n_out(self) -> int:
        return self.layers[-1].n_out

    @property
    def n_classes(self) -> int:
        """One output unit decides between two classes (docs/semantics.md §6)."""
        return 2 if self.n_out == 1 else self.n_out

    def macs(self) -> int:
        return sum(layer.n_in * layer.n_out for layer in self.layers)

    def params(self) -> int:
        return sum(layer.weights.size + layer.bias.size for layer in self.layers)
