"""Pure routing logic: types, registry, settings, classifier, router. No I/O frameworks."""
