result = fetch(⟦url, retries=3⟧, timeout=5)
