"""torch's compiled regime: every job is compiled by torch.compile, however many jobs share the adapter's wrapper."""

import numpy as np
import pytest

from tests.conftest import installed

pytestmark = pytest.mark.skipif(not installed("torch"), reason="torch not installed")


def test_every_call_in_the_compiled_regime_compiles_past_dynamos_recompile_limit():
    """The adapter calls every job's function through one wrapper (one code object): without a reset, dynamo would
    stop compiling it after its recompile limit (8) and run the rest eagerly, saying nothing. The limit is lowered
    to 2 here, so that passing it takes 5 compiles, not 12."""
    import torch
    from torch._dynamo.utils import counters

    from conformance.adapters import BUILTIN, load
    from conformance.vocabulary import Regime

    adapter = load(BUILTIN["torch"])
    adapter.regime = Regime.COMPILED
    with torch._dynamo.config.patch(recompile_limit=2):  # dynamo's own way to set it for a while
        for k in range(torch._dynamo.config.recompile_limit + 3):

            def f(env: dict, k: int = k) -> torch.Tensor:
                return (torch.sin(env["x"]) * (k + 1)).sum()

            counters.clear()
            _, grads = adapter.vjp(f, {"x": np.ones(3)}, "float64", None)
            assert counters["stats"]["unique_graphs"] >= 1, f"call {k} ran eagerly"
            np.testing.assert_allclose(np.asarray(grads["x"].value), (k + 1) * np.cos(np.ones(3)))


def test_compiled_hessian_vector_products_are_torch_funcs_compiled_whole_and_autograds_limits_are_their_errors():
    """Compiled: torch.func's jvp of grad and grad of grad, compiled whole, give eager's H v; its grad of jvp is not
    run (its compiled program segfaults: COMPILED_CRASHES); torch.autograd's compositions meet AOTAutograd's
    missing double backward (https://github.com/pytorch/pytorch/issues/91469) and a compiled function's missing
    forward-mode rule, each that composition's error."""
    import torch
    from torch._dynamo.utils import counters

    from conformance.adapters.torch import autodiff
    from conformance.vocabulary import Regime

    xs, ts = [torch.tensor([1.0, 2.0], dtype=torch.float64)], [torch.tensor([1.0, 10.0], dtype=torch.float64)]
    f = lambda x: (x**3).sum()
    counters.clear()
    out, found = autodiff.hessian_vector(f, xs, ts, Regime.COMPILED)
    assert counters["stats"]["unique_graphs"] >= 1
    _, eager = autodiff.hessian_vector(f, [x.detach().clone() for x in xs], ts, Regime.EAGER)
    for name in ("func:fwd-over-rev", "func:rev-over-rev"):
        np.testing.assert_allclose(found[name][0].detach().numpy(), [6.0, 120.0], err_msg=name)  # H = diag(6x)
    for name, (hv,) in eager.items():
        np.testing.assert_allclose(hv.detach().numpy(), [6.0, 120.0], err_msg=name)
    assert isinstance(found["func:rev-over-fwd"], autodiff.NotRun)
    assert "double backward" in str(found["autograd:rev-over-rev"])
    assert float(out) == 9.0


def test_compiled_directional_compositions_are_torch_funcs_compiled_whole_and_autograds_limits_are_their_errors():
    """Order 1 under torch.compile: torch.func's jvp and vjp compiled whole give sin's derivative; torch.autograd's
    reverse level differentiates the compiled function (AOTAutograd's backward); its forward level meets a compiled
    function with no forward-mode rule, and that error is the gradient's, not the job's."""
    from conformance.adapters import BUILTIN, load
    from conformance.vocabulary import Regime

    adapter = load(BUILTIN["torch"])
    adapter.regime = Regime.COMPILED
    ops = adapter.ops("float64")
    x, v = np.array([0.3, 1.2]), np.array([1.0, -2.0])
    _, grads = adapter.directional(lambda env: ops.functions["sin"](env["x"]), {"x": x}, "float64", {"x": v}, 1)
    assert list(grads) == ["func:fwd", "func:rev", "autograd:fwd", "autograd:rev"]
    for name in ("func:fwd", "func:rev", "autograd:rev"):
        np.testing.assert_allclose(np.asarray(grads[name].value), np.cos(x) * v, rtol=1e-14, err_msg=name)
    forward = grads["autograd:fwd"]
    assert forward.status == "error" or np.allclose(np.asarray(forward.value), np.cos(x) * v)
