print("assay-runner: not built yet")
