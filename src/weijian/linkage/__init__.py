"""Record linkage for the master patient index: a library with no Django and no `weijian.*` imports.

Shaped like Splink: a small public API here, the internals behind it.
- `standardise`: Chinese demographics made comparable (names, GB 11643 ID numbers, phones, addresses).
- `model`: the Fellegi–Sunter model (comparisons, m/u probabilities), trained with Splink and saved as a
  versioned JSON artefact.
- `realtime`: one incoming record scored against candidates with the same model's weights.
"""
