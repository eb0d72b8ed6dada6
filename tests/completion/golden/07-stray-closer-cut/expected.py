total = value⟦ + 1⟧
