x = compute(⟦a, b)⟧  # total
